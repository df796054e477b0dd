"""CodeExportWidget: an "Export code" button that writes the dashboard as code.

The browser (``static/code_export.js``, built from ``js/code_export.js``) sends
``{"type": "export"}`` when the button is clicked; Python makes the source
(`code_source.export_source`), sets ``source`` and counts up ``request``. The
browser then puts the source into a new cell below the widget's cell when it can
reach JupyterLab's application object (``window.jupyterapp``, present with
``--LabApp.expose_app_in_browser``; JupyterLab 4 and Notebook 7), else copies it
to the clipboard; it always shows it, read-only, with a Copy button, and reports
what it did in ``delivered``.

Why not the kernel: ``get_ipython().set_next_input`` only reaches the front end
in the reply to a cell's execution, not from a button's comm message
(jupyterlab/jupyterlab#8893), so `Dashboard.export_code(insert=True)` uses it
from a cell and the button uses the front end.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from nengodl_notebook.widgets.code_source import export_source

__all__ = ["CodeExportWidget", "export_source"]

#: What the browser did with the last export.
DELIVERED = ("", "cell", "clipboard", "shown")


class CodeExportWidget(anywidget.AnyWidget):
    """ "Export code": the source of a dashboard's state, into a cell or the clipboard.

    Parameters
    ----------
    make_source : callable
        ``make_source()`` returns the source to export.
    **kwargs
        Trait values.

    Attributes
    ----------
    source : str
        The last exported source (shown read-only in the browser).
    request : int
        Counts exports; each new value asks the browser to deliver ``source``.
    delivered : str
        Set by the browser: ``"cell"`` (a new cell below the dashboard),
        ``"clipboard"``, or ``"shown"`` (only shown); ``""`` before any export.
    error : str
        Why the last export failed ("" if it did not).
    """

    _esm = pathlib.Path(__file__).parent / "static" / "code_export.js"

    source = traitlets.Unicode("").tag(sync=True)
    request = traitlets.Int(0).tag(sync=True)
    delivered = traitlets.Enum(DELIVERED, default_value="").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, make_source: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._make_source = make_source
        self.on_msg(self._on_msg)

    def export(self) -> str:
        """Make the source and ask the browser to deliver it (as a click does).

        Returns
        -------
        str
            The source ("" when making it failed; ``error`` says why).
        """
        try:
            source = self._make_source()
        except Exception as e:  # noqa: BLE001 -- shown in the widget; the dashboard stays usable
            self.error = f"Export failed: {type(e).__name__}: {e}"
            return ""
        with self.hold_sync():
            self.error = ""
            self.delivered = ""
            self.source = source
            self.request += 1
        return source

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "export":
            self.export()
