"""Shared fixtures and options of the test suite."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import functools

import pytest

import nengodl_notebook

# nengo's pytest plugin (installed with nengo) provides --slow and the "slow" marker.


@pytest.fixture
def Simulator():
    """Our Simulator with progress bars off (tests about bars turn them on)."""
    return functools.partial(nengodl_notebook.Simulator, progress_bar=False)
