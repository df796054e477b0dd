"""``Converter``: a Keras 3 model (functional or Sequential) as a nengo network.

The Keras graph is walked from the model's outputs back to its inputs; each
application of a layer is converted by the `LayerConverter` registered for its
class (`converter_base`, `converter_layers`), or runs in a `TensorNode` when it
has none (``allow_fallback``). Weights are copied; `Converter.set_keras_weights`
copies trained ones back.
"""

import warnings
from collections.abc import Mapping

import keras
import nengo
import numpy as np
from nengo.exceptions import ValidationError

# registers the per-layer converters (decorators run on import)
import nengodl_notebook.converter_layers  # noqa: F401
from nengodl_notebook.config import configure_settings
from nengodl_notebook.converter_base import (
    CONVERTERS,
    FallbackConverter,
    LayerConverter,
    find_converter,
    register,
)


class KerasTensorDict(Mapping):
    """A mapping keyed by Keras tensors (or by a layer applied once: its output)."""

    def __init__(self) -> None:
        self._items: dict[int, tuple] = {}

    @staticmethod
    def _key(key):
        if isinstance(key, keras.layers.Layer):
            if len(key._inbound_nodes) != 1:
                raise KeyError(
                    f"Layer {key.name} was applied {len(key._inbound_nodes)} times; "
                    "use one of its output tensors as the key"
                )
            key = key._inbound_nodes[0].output_tensors[0]
        return id(key)

    def __setitem__(self, key, value):
        self._items[self._key(key)] = (key, value)

    def __getitem__(self, key):
        index = self._key(key)
        try:
            return self._items[index][1]
        except KeyError:
            raise KeyError(f"{key} is not a tensor of the converted model") from None

    def __iter__(self):
        return (key for key, _ in self._items.values())

    def __len__(self):
        return len(self._items)


class _TrackedDict(Mapping):
    """``swap_activations``: a mapping remembering which keys were looked up."""

    def __init__(self, items) -> None:
        self._items = dict(items)
        self.used: set = set()

    def __getitem__(self, key):
        value = self._items[key]
        self.used.add(key)
        return value

    def get(self, key, default=None):
        try:
            hash(key)
        except TypeError:
            return default
        return self[key] if key in self._items else default

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


class Converter:
    """Convert a Keras model to a nengo network of native nengo objects.

    Parameters
    ----------
    model : keras.Model
        A functional or Sequential model (Sequential must be built, i.e. have an
        input shape).
    allow_fallback : bool
        Run layers with no native conversion in a `TensorNode` (the Keras layer
        itself, weights shared with ``model``); if False they raise.
    inference_only : bool
        Allow conversions right at inference only (BatchNormalization folded
        into a fixed scale and bias).
    max_to_avg_pool : bool
        Convert max pooling to average pooling (changes the output).
    split_shared_weights : bool
        A layer with weights applied more than once becomes independent copies
        (same initial weights); if False that raises.
    swap_activations : dict
        Replacements keyed by Keras/TF activation function or nengo neuron type
        (applied before and after the default map, e.g.
        ``{tf.nn.relu: nengo.SpikingRectifiedLinear()}``).
    scale_firing_rates : float or dict
        Neuron input scaled by ``x``, output by ``1 / x`` (exact for linear
        neurons such as ReLU); a dict maps Keras layers to factors.
    synapse : float or nengo.synapses.Synapse
        Synapse on every connection (and output probe) out of neurons.

    Attributes
    ----------
    model : keras.Model
        The converted model (for a Sequential model, its functional twin).
    net : nengo.Network
        The converted network.
    inputs : KerasTensorDict
        Keras model input -> input ``nengo.Node`` (zeros; feed data to it).
    outputs : KerasTensorDict
        Keras model output -> ``nengo.Probe``.
    layers : KerasTensorDict
        Keras tensor (or layer applied once) -> nengo object giving its value.
    """

    converters = CONVERTERS
    register = staticmethod(register)
    KerasTensorDict = KerasTensorDict

    def __init__(
        self,
        model,
        allow_fallback=True,
        inference_only=False,
        max_to_avg_pool=False,
        split_shared_weights=False,
        swap_activations=None,
        scale_firing_rates=None,
        synapse=None,
    ) -> None:
        self.allow_fallback = allow_fallback
        self.inference_only = inference_only
        self.max_to_avg_pool = max_to_avg_pool
        self.split_shared_weights = split_shared_weights
        self.swap_activations = _TrackedDict(swap_activations or {})
        self.scale_firing_rates = scale_firing_rates
        self.synapse = synapse
        self.model = _functional(model)
        self._converters: dict[int, LayerConverter] = {}
        self._nodes: dict[tuple[int, int], list] = {}
        self.layers = KerasTensorDict()
        self.inputs = KerasTensorDict()
        self.outputs = KerasTensorDict()
        with nengo.Network(label=self.model.name) as self.net:
            configure_settings(trainable=None, inference_only=inference_only)
            for tensor in self.model.inputs + self.model.outputs:
                self._tensor_obj(tensor)
            for tensor in self.model.inputs:
                self.inputs[tensor] = self.layers[tensor]
            for tensor in self.model.outputs:
                obj = self.layers[tensor]
                neurons = isinstance(obj, nengo.ensemble.Neurons)
                probe = nengo.Probe(obj, synapse=synapse if neurons else None)
                self.outputs[tensor] = probe
        unused = set(self.swap_activations) - self.swap_activations.used
        if unused:
            warnings.warn(
                f"swap_activations contained {unused}, but no layer of the model has "
                "that activation",
                stacklevel=2,
            )

    # -- graph walk ---------------------------------------------------------------

    def _tensor_obj(self, tensor):
        """Nengo object of a Keras tensor, converting what it depends on first."""
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            raise ValidationError(
                f"{tensor} is not a Keras tensor of a model", attr="model"
            )
        operation, node_index, tensor_index = history
        key = (id(operation), node_index)
        if key not in self._nodes:
            node = operation._inbound_nodes[node_index]
            inputs = [self._tensor_obj(t) for t in node.input_tensors]
            converter = self.get_converter(operation)
            obj = converter.convert(node, inputs)
            self._nodes[key] = [obj]
            self.layers[node.output_tensors[0]] = obj
            if len(node.output_tensors) > 1:
                raise ValidationError(
                    f"Layer '{operation.name}' has {len(node.output_tensors)} outputs; "
                    "the converter takes layers with one output",
                    attr="model",
                )
        return self._nodes[key][tensor_index]

    def get_converter(self, layer):
        """The `LayerConverter` of ``layer`` (one per layer, made on first use).

        Raises
        ------
        TypeError
            ``layer`` has no native conversion and ``allow_fallback`` is False
            (the message names the layer and why).
        ValueError
            A layer with weights is applied twice without ``split_shared_weights``.
        """
        converter = self._converters.get(id(layer))
        if converter is not None:
            if converter.has_weights and not self.split_shared_weights:
                raise ValueError(
                    f"Layer '{layer.name}' is applied more than once (shared weights); "
                    "this is not supported unless split_shared_weights=True"
                )
            return converter
        cls = find_converter(type(layer))
        reason = (
            f"Layer type {type(layer).__name__} has no registered converter"
            if cls is None
            else cls.convertible(layer, self)
        )
        if reason is not None:
            if not self.allow_fallback:
                raise TypeError(
                    f"Unable to convert layer '{layer.name}' to native nengo objects "
                    f"({reason}); set allow_fallback=True to run it in a TensorNode, "
                    "or register a LayerConverter for it"
                )
            warnings.warn(f"{reason}; falling back to a TensorNode", stacklevel=3)
            cls = FallbackConverter
        converter = cls(layer, self)
        self._converters[id(layer)] = converter
        return converter

    # -- checks and weights -------------------------------------------------------

    def verify(self, training=False, inputs=None, atol=1e-8, rtol=1e-5):
        """Check that the converted network gives the Keras model's outputs.

        Parameters
        ----------
        training : bool
            First train both (3 epochs of SGD(0.1) on a mean squared error to
            targets of ones; this changes ``model``'s weights) and compare after.
        inputs : list of numpy.ndarray
            Input values (default: ones, batch size 2).
        atol, rtol : float
            Tolerances of ``np.isclose(keras, nengo, atol, rtol)``.

        Returns
        -------
        bool
            True when all outputs match.

        Raises
        ------
        ValueError
            An output differs (the message gives the largest difference).
        """
        from nengodl_notebook.simulator import Simulator

        if inputs is None:
            inputs = [np.ones((2,) + tuple(t.shape[1:])) for t in self.model.inputs]
        batch = inputs[0].shape[0]
        targets = [np.ones((batch,) + tuple(t.shape[1:])) for t in self.model.outputs]
        keras_x = inputs[0] if len(inputs) == 1 else list(inputs)  # model's structure
        if training:
            keras_y = targets[0] if len(targets) == 1 else targets
            self.model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
            self.model.fit(keras_x, keras_y, epochs=3, batch_size=batch, verbose=0)
        keras_out = self.model.predict(keras_x, batch_size=batch, verbose=0)
        keras_out = keras_out if isinstance(keras_out, list | tuple) else [keras_out]
        flat = [np.reshape(x, (batch, 1, -1)) for x in inputs]
        nodes = [self.inputs[t] for t in self.model.inputs]
        probes = [self.outputs[t] for t in self.model.outputs]
        with Simulator(self.net, minibatch_size=batch, progress_bar=False) as sim:
            if training:
                sim.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
                y = {p: np.reshape(t, (batch, 1, -1)) for p, t in zip(probes, targets)}
                sim.fit(dict(zip(nodes, flat)), y, epochs=3, verbose=0)
            sim_out = sim.predict(dict(zip(nodes, flat)))
        for tensor, expected, probe in zip(self.model.outputs, keras_out, probes):
            want, got = np.ravel(expected), np.ravel(sim_out[probe])
            fails = ~np.isclose(want, got, atol=atol, rtol=rtol)
            if np.any(fails):
                diff = np.max(np.abs(want[fails] - got[fails]))
                raise ValueError(
                    f"Output {tensor.name} of the Keras model does not match the "
                    f"converted network ({fails.sum()} of {fails.size} values; max "
                    f"difference {diff:.2E})"
                )
        return True

    def get_keras_weights(self, sim):
        """Trained weights of the natively converted layers, read from ``sim``.

        Parameters
        ----------
        sim : Simulator
            A Simulator of ``self.net`` (after training, say).

        Returns
        -------
        dict
            ``{keras layer: [arrays]}`` in ``layer.get_weights()`` order, for
            Dense and convolution layers (fixed conversions such as folded
            BatchNormalization keep Keras' weights; fallback TensorNodes run
            the Keras layer itself, so it holds its trained weights already).

        Raises
        ------
        ValidationError
            A layer was split (``split_shared_weights``): its copies may differ.
        """
        weights = {}
        for converter in self._converters.values():
            if not converter.has_weights or isinstance(converter, FallbackConverter):
                continue
            if len(converter.built) > 1:
                raise ValidationError(
                    f"Layer '{converter.layer.name}' was split into "
                    f"{len(converter.built)} copies (split_shared_weights); their "
                    "weights cannot be written back to one Keras layer",
                    attr="sim",
                )
            weights[converter.layer] = converter.keras_weights(sim)
        return weights

    def set_keras_weights(self, sim):
        """Write the weights trained in ``sim`` back into ``self.model``'s layers.

        See `get_keras_weights` for which layers; afterwards the Keras model
        computes what the converted network computes with rate neurons.
        """
        for layer, values in self.get_keras_weights(sim).items():
            layer.set_weights(
                [
                    np.asarray(v, dtype=w.dtype)
                    for v, w in zip(values, layer.get_weights())
                ]
            )


def _functional(model):
    """``model``, or the functional model of a built Sequential one."""
    if not isinstance(model, keras.Model):
        raise ValidationError(
            f"Converter needs a keras.Model, got {type(model).__name__}", attr="model"
        )
    if isinstance(model, keras.Sequential):
        try:
            inputs, outputs = model.inputs, model.outputs
        except (AttributeError, ValueError):
            inputs = outputs = None
        if not inputs:
            raise ValidationError(
                f"Sequential model '{model.name}' has no input shape yet; start it "
                "with keras.Input(shape) (or build it) before converting",
                attr="model",
            )
        return keras.Model(inputs, outputs, name=model.name)
    if not model.inputs:
        raise ValidationError(
            f"Model '{model.name}' is a subclassed model; the converter takes "
            "functional and Sequential models",
            attr="model",
        )
    return model
