"""Jupyter widgets for nengodl_notebook: the Dashboard and its panels.

Each panel works on its own with a Simulator; the Dashboard builds one Simulator
and connects them. The core package never imports this one.
"""

from nengodl_notebook.widgets.compare_panel import ComparePanel
from nengodl_notebook.widgets.dashboard import Dashboard
from nengodl_notebook.widgets.input_designer import InputDesignerWidget
from nengodl_notebook.widgets.live_panel import LivePanel
from nengodl_notebook.widgets.neurons_panel import NeuronsPanel
from nengodl_notebook.widgets.run_panel import RunPanel
from nengodl_notebook.widgets.spiking_explorer import SpikingExplorer
from nengodl_notebook.widgets.training_panel import TrainingPanel

#: ``nengodl_notebook.Live(net)``: a network running live (`LivePanel`).
Live = LivePanel

__all__ = [
    "ComparePanel",
    "Dashboard",
    "InputDesignerWidget",
    "Live",
    "LivePanel",
    "NeuronsPanel",
    "RunPanel",
    "SpikingExplorer",
    "TrainingPanel",
]
