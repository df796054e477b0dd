"""``Layer``: a Keras layer, a function or a neuron type inserted into a network.

``Layer(keras_layer)(x)`` makes a `TensorNode` running the layer on ``x``;
``Layer(nengo.LIF())(x)`` makes an Ensemble of LIF neurons driven by ``x`` and
returns its ``.neurons``. Either way the Connection from ``x`` is made too, and
is not trainable (as in NengoDL 3).
"""

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.neurons import NeuronType

from nengodl_notebook.config import configure_settings
from nengodl_notebook.tensor_node import TensorNode


class Layer:
    """Insert a Keras layer, a function or a layer of neurons in one line.

    ``Layer(func)(x)`` makes ``TensorNode(func, shape_in, pass_time=False)``
    and connects ``x`` to it; ``Layer(neuron_type)(x)`` makes
    ``nengo.Ensemble(n, 1, neuron_type=neuron_type)`` with one neuron per input
    value and connects ``x`` to its ``.neurons``. A Keras layer is built on
    first call with the input shape.

    Parameters
    ----------
    layer_func : keras.layers.Layer, callable or nengo.neurons.NeuronType
        A Keras layer or model, a function ``f(x)`` of minibatched tensors, or a
        neuron type.
    """

    def __init__(self, layer_func: Callable[..., Any] | NeuronType) -> None:
        if not (callable(layer_func) or isinstance(layer_func, NeuronType)):
            raise ValidationError(
                f"Layer needs a Keras layer, a callable or a nengo neuron type (got "
                f"{type(layer_func).__name__})",
                attr="layer_func",
            )
        self.layer_func = layer_func

    def __str__(self):
        func = self.layer_func
        return f"Layer({getattr(func, 'name', getattr(func, '__name__', func))})"

    def __call__(
        self,
        input: Any,
        transform: Any = 1,
        shape_in: Sequence[int] | None = None,
        synapse: Any = None,
        return_conn: bool = False,
        **layer_args: Any,
    ) -> Any:
        """Make the TensorNode (or neurons) and the Connection from ``input``.

        Parameters
        ----------
        input : nengo.Node, Ensemble, Neurons, TensorNode or a slice of one
            What feeds the layer.
        transform : optional
            Transform of the connection.
        shape_in : tuple of int, optional
            Shape the input is reshaped to, without the minibatch axis (default
            ``(n,)``, where ``n`` is what the connection delivers).
        synapse : nengo.synapses.Synapse or None
            Synapse of the connection (none by default).
        return_conn : bool
            Also return the Connection.
        **layer_args
            Further arguments of the `TensorNode` (``label``...), or of the
            ``nengo.Ensemble`` for a neuron type (``label``, ``max_rates``...).

        Returns
        -------
        obj : TensorNode or nengo.ensemble.Neurons
        conn : nengo.Connection
            Only with ``return_conn``.

        Notes
        -----
        The Connection is not trainable: ``net.config[conn].trainable`` is set to
        False in the network being built (``configure_settings(trainable=None)``
        is called first when that network has no ``trainable`` setting yet).
        """
        size = _connection_size(input, transform)
        if shape_in is not None:
            size = int(np.prod(shape_in))
        if isinstance(self.layer_func, NeuronType):
            obj: Any = nengo.Ensemble(
                size, 1, neuron_type=self.layer_func, **layer_args
            ).neurons
        else:
            layer_args.setdefault("label", getattr(self.layer_func, "name", None))
            obj = TensorNode(
                self.layer_func,
                shape_in=(size,) if shape_in is None else shape_in,
                pass_time=False,
                **layer_args,
            )
        conn = nengo.Connection(input, obj, synapse=synapse, transform=transform)
        _not_trainable(conn)
        return (obj, conn) if return_conn else obj


def _not_trainable(conn):
    """Set ``conn``'s trainable config to False in the network being built."""
    config = nengo.Network.context[-1].config
    if not (
        nengo.Connection in config.params
        and "trainable" in config[nengo.Connection].extra_params
    ):
        configure_settings(trainable=None)
    config[conn].trainable = False


def _connection_size(x, transform):
    """Size of what a Connection from ``x`` with ``transform`` delivers."""
    inputs = (nengo.Node, nengo.Ensemble, nengo.ensemble.Neurons, nengo.base.ObjView)
    if not isinstance(x, inputs):
        raise ValidationError(
            f"Layer input must be a Node, Ensemble, Neurons or TensorNode (got "
            f"{type(x).__name__})",
            attr="input",
        )
    if isinstance(transform, nengo.transforms.Transform):
        return transform.size_out
    if transform is not None and np.ndim(transform) == 2:
        return np.shape(transform)[0]
    return x.size_out


def tensor_layer(
    input: Any,
    layer_func: Any,
    shape_in: Sequence[int] | None = None,
    synapse: Any = None,
    transform: Any = 1,
    return_conn: bool = False,
    **layer_args: Any,
) -> Any:
    """NengoDL 2's ``tensor_layer``: ``Layer(layer_func)(input, ...)``.

    Deprecated (as in NengoDL 3): use `Layer`. Takes NengoDL 2's argument
    order and returns what `Layer.__call__` returns.
    """
    warnings.warn(
        "tensor_layer is deprecated: use nengo_dl.Layer(layer_func)(input, ...)",
        DeprecationWarning,
        stacklevel=2,
    )
    return Layer(layer_func)(
        input,
        transform=transform,
        shape_in=shape_in,
        synapse=synapse,
        return_conn=return_conn,
        **layer_args,
    )
