"""Objective functions, as ``nengodl_notebook.obj`` (NengoDL's ``nengo_dl.obj``)."""

from nengodl_notebook.objectives import mean_rate, mse

__all__ = ["mse", "mean_rate"]
