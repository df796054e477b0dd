"""nengodl_notebook: a TensorFlow simulator for Nengo models, for notebooks.

``import nengodl_notebook as nengo_dl`` gives the NengoDL-style API of the
tutorial: ``Simulator`` (a drop-in for ``nengo.Simulator`` with
``minibatch_size``, ``data=``, ``train``/``loss`` and ``compile/fit/evaluate/
predict``), ``TensorNode`` and ``Layer`` (TensorFlow code and Keras layers in a
network), ``configure_settings``, ``obj`` (objectives), ``losses`` (Keras
losses: ``nan_mse``, ``Regularize``), ``dists`` (Keras-style initialisers as
nengo distributions), ``neurons`` (NengoDL's neuron types, also at the top
level: ``SoftLIFRate``, ``LeakyReLU``, ``SpikingLeakyReLU``) and ``Converter``.
"""

import os

# TensorFlow's C++ start-up chatter (XLA service, CPU features) buries the output
# of notebook cells; users can still set TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from nengodl_notebook import xla_cache  # noqa: F401 - before TF reads XLA flags
from nengodl_notebook.tf_startup import import_tensorflow

import_tensorflow()  # before any module imports it: see tf_startup

from nengodl_notebook import callbacks, dists, losses, neurons, obj, probe_files
from nengodl_notebook.config import configure_settings
from nengodl_notebook.converter import Converter
from nengodl_notebook.layer import Layer, tensor_layer
from nengodl_notebook.neurons import LeakyReLU, SoftLIFRate, SpikingLeakyReLU
from nengodl_notebook.planner import NotSupportedError
from nengodl_notebook.simulator import Simulator
from nengodl_notebook.tensor_node import TensorNode

# The one version number: pyproject.toml reads it (statically, so keep it a plain
# string literal), and the installed metadata and the docs take it from there.
__version__ = "0.1.0.dev0"

__all__ = [
    "Converter",
    "Layer",
    "LeakyReLU",
    "NotSupportedError",
    "Simulator",
    "SoftLIFRate",
    "SpikingLeakyReLU",
    "TensorNode",
    "callbacks",
    "configure_settings",
    "dists",
    "losses",
    "neurons",
    "obj",
    "probe_files",
    "tensor_layer",
]


def __getattr__(name):
    """``nengodl_notebook.Dashboard`` / ``Live`` import the widgets only when asked."""
    if name == "Dashboard":
        from nengodl_notebook.widgets import Dashboard

        return Dashboard
    if name == "Live":
        from nengodl_notebook.widgets import Live

        return Live
    raise AttributeError(f"module 'nengodl_notebook' has no attribute {name!r}")
