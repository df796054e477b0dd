"""The converter registry and ``LayerConverter``, the base of per-layer converters.

A `LayerConverter` turns one application (a Keras graph node) of one Keras layer
into nengo objects: it gets the nengo objects of the node's inputs and returns
the object whose output is the node's output (a ``nengo.Node``, an Ensemble's
``.neurons`` or a `TensorNode`), flattened in C order like the Keras tensor
without its batch axis. Converters are registered by Keras layer class and found
by MRO lookup (`find_converter`), as nengo's ``Builder`` finds build functions.
"""

import inspect
import warnings

import keras
import nengo
import numpy as np
import tensorflow as tf

from nengodl_notebook.neurons import LeakyReLU
from nengodl_notebook.tensor_node import TensorNode

CONVERTERS: dict[type, type["LayerConverter"]] = {}


def register(keras_class):
    """Decorator registering a `LayerConverter` for ``keras_class`` (and subclasses).

    Parameters
    ----------
    keras_class : type
        A Keras layer (or operation) class; a converter registered for it also
        converts its subclasses that have no converter of their own.
    """

    def register_converter(converter_class):
        if keras_class in CONVERTERS:
            warnings.warn(
                f"Layer {keras_class.__name__} already has a converter; overwriting",
                stacklevel=2,
            )
        CONVERTERS[keras_class] = converter_class
        return converter_class

    return register_converter


def find_converter(keras_class):
    """The converter registered for ``keras_class`` or its nearest base, or None."""
    for cls in keras_class.__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
    return None


def _activation_map():
    """Keras/TF activation function -> nengo neuron type (None: linear)."""
    relu, sigmoid = nengo.RectifiedLinear(), nengo.Sigmoid(tau_ref=1)
    tanh, leaky = nengo.Tanh(tau_ref=1), LeakyReLU(negative_slope=0.2)
    acts = keras.activations
    return {
        None: None,
        acts.linear: None,
        acts.relu: relu,
        tf.nn.relu: relu,
        acts.sigmoid: sigmoid,
        tf.nn.sigmoid: sigmoid,
        acts.tanh: tanh,
        tf.nn.tanh: tanh,
        acts.leaky_relu: leaky,  # Keras's and TF's default slope is 0.2
        tf.nn.leaky_relu: leaky,
    }


ACTIVATION_MAP = _activation_map()

# Keras' and TF's names of one function: a swap keyed by either applies to both
_ALIASES = {
    keras.activations.relu: tf.nn.relu,
    keras.activations.sigmoid: tf.nn.sigmoid,
    keras.activations.tanh: tf.nn.tanh,
    keras.activations.leaky_relu: tf.nn.leaky_relu,
}
_ALIASES.update({tf_func: keras_func for keras_func, tf_func in _ALIASES.items()})


class FallbackLayer(keras.layers.Layer):
    """Runs one node of a Keras layer or operation on flat, concatenated inputs.

    The node's inputs arrive side by side in one ``(batch, total)`` tensor; they
    are split, reshaped to their Keras shapes and passed to the operation the
    way the Keras graph passes them, and the output is flattened again. The
    operation (and so its weights) is the Keras model's own.
    """

    def __init__(self, operation, node, **kwargs):
        super().__init__(name=f"fallback_{operation.name}", **kwargs)
        self.operation = operation
        self.node = node
        self.shapes = [tuple(t.shape[1:]) for t in node.input_tensors]
        self.built = True  # the wrapped operation is built; never rebuild it

    def call(self, x, training=None):
        sizes = [int(np.prod(s)) for s in self.shapes]
        parts = tf.split(x, sizes, axis=1) if len(sizes) > 1 else [x]
        values = {
            id(t): tf.reshape(p, (-1,) + s)
            for t, p, s in zip(self.node.input_tensors, parts, self.shapes)
        }
        args, kwargs = self.node.arguments.fill_in(values)
        if isinstance(self.operation, keras.layers.Layer):
            kwargs["training"] = training
        out = self.operation(*args, **kwargs)
        return tf.reshape(out, (tf.shape(x)[0], -1))


class LayerConverter:
    """Base of the converters of one Keras layer class to nengo objects.

    Subclasses implement `convert`; they may override `convertible` (a reason
    why a layer cannot be converted natively, or None) and `keras_weights` (the
    layer's weights read back from a Simulator). ``has_weights`` marks layers
    whose weights are copied into the network (a layer applied twice then needs
    ``split_shared_weights=True``).

    Parameters
    ----------
    layer : keras.layers.Layer or keras.Operation
        The Keras layer being converted.
    converter : Converter
        The Converter running the conversion.
    """

    has_weights = False

    def __init__(self, layer, converter) -> None:
        self.layer = layer
        self.converter = converter
        self.built: list[dict] = []  # per converted node: what keras_weights reads

    @classmethod
    def convertible(cls, layer, converter) -> str | None:
        """Why ``layer`` cannot be converted to native nengo objects, or None."""
        return None

    def convert(self, node, inputs):
        """Nengo object giving the output of Keras graph ``node`` of this layer.

        Parameters
        ----------
        node : keras Node
            One application of the layer (``node.input_tensors``...).
        inputs : list
            Nengo objects giving ``node.input_tensors``, in order.
        """
        raise NotImplementedError

    def keras_weights(self, sim):
        """The layer's weights (``layer.get_weights()`` order) from ``sim``, or None."""
        return None

    # -- helpers for subclasses ----------------------------------------------

    @staticmethod
    def in_shape(node, i=0):
        """Shape (without batch) of input ``i`` of ``node``."""
        return tuple(node.input_tensors[i].shape[1:])

    @staticmethod
    def out_shape(node):
        """Shape (without batch) of the output of ``node``."""
        return tuple(node.output_tensors[0].shape[1:])

    def set_trainable(self, obj, trainable):
        """Set ``obj``'s trainable config in the converted network."""
        self.converter.net.config[obj].trainable = trainable

    def connect(self, pre, post, transform=None, trainable=False, **kwargs):
        """A Connection (``converter.synapse`` on it when ``pre`` is neurons)."""
        synapse = (
            self.converter.synapse if isinstance(pre, nengo.ensemble.Neurons) else None
        )
        conn = nengo.Connection(
            pre, post, transform=transform, synapse=synapse, **kwargs
        )
        self.set_trainable(conn, trainable)
        return conn

    def neuron_type(self, activation):
        """Nengo neuron type for ``activation`` (None: linear), with the swaps.

        Raises
        ------
        TypeError
            ``activation`` has no nengo equivalent (the caller falls back).
        """
        swap = self.converter.swap_activations
        alias = _ALIASES.get(activation) if _hashable(activation) else None
        activation = swap.get(activation, swap.get(alias, activation))
        if isinstance(activation, nengo.neurons.NeuronType):
            neuron = activation
        elif _hashable(activation) and activation in ACTIVATION_MAP:
            neuron = ACTIVATION_MAP[activation]
        else:
            name = getattr(activation, "__name__", activation)
            raise TypeError(f"activation {name} has no nengo neuron type")
        return neuron if neuron is None else swap.get(neuron, neuron)

    def add_neurons(self, node, activation, bias=None, bias_trainable=True):
        """Object applying ``activation`` to its input (+ ``bias``) for ``node``.

        A linear activation gives a passthrough Node, a bias then coming from a
        constant Node through a trainable Connection; a nonlinear one gives an
        Ensemble's ``.neurons`` (gain 1 and ``bias`` as the Ensemble's
        trainable bias; gain ``s`` and bias ``s * bias`` with
        ``scale_firing_rates=s``, amplitude divided by ``s``). Activations with
        no neuron type run in a TensorNode (or raise without allow_fallback).

        Returns
        -------
        obj : nengo.Node, Neurons or TensorNode
        info : dict
            ``ensemble``/``bias_conn`` and ``scale`` (for `keras_weights`).
        """
        size = int(np.prod(self.out_shape(node)))
        label = f"{self.layer.name}.{len(self.built)}"
        try:
            neuron = self.neuron_type(activation)
        except TypeError as error:
            return self._fallback_activation(node, activation, size, bias, label, error)
        if neuron is None:
            obj = nengo.Node(size_in=size, label=label)
            return obj, {"bias_conn": self._bias_conn(obj, bias, bias_trainable)}
        scale = self._scale()
        neuron = _scaled_amplitude(neuron, scale)
        ens = nengo.Ensemble(
            size,
            1,
            neuron_type=neuron,
            gain=nengo.dists.Choice([scale]),
            bias=nengo.dists.Choice([0]) if bias is None else bias * scale,
            label=label,
        )
        self.set_trainable(ens, bias is not None and bias_trainable)
        return ens.neurons, {"ensemble": ens, "scale": scale}

    def _bias_conn(self, obj, bias, trainable=True):
        """Connection adding ``bias`` to ``obj`` from a constant Node, or None."""
        if bias is None:
            return None
        ones = nengo.Node([1.0], label=f"{self.layer.name}.bias")
        return self.connect(ones, obj, transform=bias[:, None], trainable=trainable)

    def _scale(self):
        """This layer's ``scale_firing_rates`` factor (1 when none)."""
        scale = self.converter.scale_firing_rates
        if isinstance(scale, dict):
            scale = scale.get(self.layer)
        return 1.0 if scale is None else float(scale)

    def _fallback_activation(self, node, activation, size, bias, label, error):
        """A TensorNode applying ``activation`` to its summed input."""
        if not self.converter.allow_fallback:
            raise TypeError(
                f"Unable to convert layer '{self.layer.name}' to native nengo objects: "
                f"{error}; set allow_fallback=True to run it in a TensorNode"
            ) from None
        warnings.warn(
            f"Layer '{self.layer.name}': {error}; falling back to TensorNode",
            stacklevel=4,
        )
        shape = self.out_shape(node)

        def apply(x, activation=activation, shape=shape):
            y = activation(tf.reshape(x, (-1,) + shape))
            return tf.reshape(y, (tf.shape(x)[0], -1))

        obj = TensorNode(apply, shape_in=(size,), pass_time=False, label=label)
        bias_conn = self._bias_conn(obj, bias)
        return obj, {"bias_conn": bias_conn}


def _hashable(x):
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _scaled_amplitude(neuron, scale):
    """``neuron`` with amplitude divided by ``scale`` (a warning if it has none)."""
    if scale == 1:
        return neuron
    if not hasattr(neuron, "amplitude"):
        warnings.warn(
            f"scale_firing_rates on {type(neuron).__name__}, which has no amplitude: "
            "the output is not scaled back and will differ",
            stacklevel=4,
        )
        return neuron
    names = inspect.signature(type(neuron)).parameters
    args = {name: getattr(neuron, name) for name in names if hasattr(neuron, name)}
    args["amplitude"] = neuron.amplitude / scale
    return type(neuron)(**args)


class FallbackConverter(LayerConverter):
    """Any layer or operation: run it in a `TensorNode` (the Keras layer itself)."""

    def convert(self, node, inputs):
        shapes = [tuple(t.shape[1:]) for t in node.input_tensors]
        sizes = [int(np.prod(s)) for s in shapes]
        obj = TensorNode(
            FallbackLayer(self.layer, node),
            shape_in=(sum(sizes),),
            pass_time=False,
            label=f"{self.layer.name}.{len(self.built)}",
        )
        start = 0
        for pre, size in zip(inputs, sizes):
            self.connect(pre, obj[start : start + size])
            start += size
        self.built.append({})
        return obj
