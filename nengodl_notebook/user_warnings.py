"""Warnings pointed at the user's line of code."""

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message, category=None):
    """Warn at the user's line: the first caller outside this package.

    Parameters
    ----------
    message : str or Warning
        What to say (a Warning instance carries its own category).
    category : type, optional
        The warning class for a string message (default UserWarning).
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
