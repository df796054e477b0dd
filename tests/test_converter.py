"""``nengo_dl.Converter`` on whole models: outputs equal Keras', the options
(fallback, swap_activations, scale_firing_rates, synapse, shared layers),
``verify``, training with ``sim.fit`` and weights written back to Keras."""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError
from test_converter_layers import n_tensor_nodes, randomize, run_both

import nengodl_notebook as nengo_dl

layers = keras.layers


def mlp():
    inp = keras.Input((6,))
    x = layers.Dense(8, activation="relu")(inp)
    x = layers.Dense(5, activation="tanh")(x)
    return keras.Model(inp, layers.Dense(3)(x))


def cnn():
    inp = keras.Input((8, 8, 2))
    x = layers.Conv2D(4, 3, activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2D(4, 2, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(3, activation="sigmoid")(x))


def data(shape, n=4, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + shape).astype("float32")


@pytest.mark.parametrize("build, shape", [(mlp, (6,)), (cnn, (8, 8, 2))])
def test_whole_models_match_keras(build, shape):
    model = randomize(build())
    keras_out, out, converter = run_both(model, data(shape), inference_only=True)
    np.testing.assert_allclose(out, keras_out, atol=1e-5, rtol=1e-5)
    assert n_tensor_nodes(converter.net) == 0
    assert converter.verify(inputs=[data(shape)])


def test_sequential_model():
    model = randomize(
        keras.Sequential([keras.Input((4,)), layers.Dense(3, "relu"), layers.Dense(2)])
    )
    keras_out, out, converter = run_both(model, data((4,)))
    np.testing.assert_allclose(out, keras_out, atol=1e-5, rtol=1e-5)
    assert isinstance(converter.model, keras.Model)
    assert not isinstance(converter.model, keras.Sequential)


def test_attributes_map_keras_tensors():
    inp = keras.Input((3,))
    hidden = layers.Dense(4, activation="relu", name="hidden")
    h = hidden(inp)
    out = layers.Dense(2)(h)
    converter = nengo_dl.Converter(keras.Model(inp, out))
    assert isinstance(converter.inputs[inp], nengo.Node)
    assert converter.inputs[inp].size_out == 3
    assert isinstance(converter.outputs[out], nengo.Probe)
    neurons = converter.layers[h]
    assert isinstance(neurons, nengo.ensemble.Neurons)
    assert converter.layers[hidden] is neurons  # a layer applied once: its output
    assert isinstance(neurons.ensemble.neuron_type, nengo.RectifiedLinear)
    assert converter.outputs[out].target is converter.layers[out]
    assert neurons.ensemble in converter.net.all_ensembles


class AddOne(layers.Layer):
    def call(self, x):
        return x + 1


def test_fallback_runs_keras_layer_in_tensor_node():
    model = randomize(model_with_custom_layer())
    with pytest.warns(UserWarning, match="AddOne has no registered converter"):
        keras_out, out, converter = run_both(model, data((3,)))
    np.testing.assert_allclose(out, keras_out, atol=1e-5, rtol=1e-5)
    assert n_tensor_nodes(converter.net) == 1


def model_with_custom_layer():
    inp = keras.Input((3,))
    x = layers.Dense(4)(inp)
    x = AddOne(name="add_one")(x)
    return keras.Model(inp, layers.Dense(2, activation="relu")(x))


def test_no_fallback_error_names_layer():
    with pytest.raises(TypeError, match="'add_one'.*AddOne has no registered"):
        nengo_dl.Converter(model_with_custom_layer(), allow_fallback=False)
    model = keras.Model(*_io(layers.Dense(2, activation="softmax", name="soft")))
    with pytest.raises(TypeError, match="'soft'.*softmax"):
        nengo_dl.Converter(model, allow_fallback=False)
    with pytest.raises(TypeError, match="'pool'.*max_to_avg_pool"):
        nengo_dl.Converter(
            model_of_pool(layers.MaxPooling1D(2, name="pool")), allow_fallback=False
        )


def _io(layer, shape=(3,)):
    inp = keras.Input(shape)
    return inp, layer(inp)


def model_of_pool(layer):
    return keras.Model(*_io(layer, (4, 2)))


def test_shared_layer_needs_split():
    inp = keras.Input((3,))
    shared = layers.Dense(3, activation="relu")
    model = keras.Model(inp, shared(shared(inp)))
    randomize(model)
    with pytest.raises(ValueError, match="split_shared_weights"):
        nengo_dl.Converter(model)
    keras_out, out, converter = run_both(model, data((3,)), split_shared_weights=True)
    np.testing.assert_allclose(out, keras_out, atol=1e-5, rtol=1e-5)
    assert len(converter.net.all_ensembles) == 2
    with pytest.raises(KeyError, match="applied 2 times"):
        converter.layers[shared]


def test_bad_models():
    with pytest.raises(ValidationError, match="no input shape"):
        nengo_dl.Converter(keras.Sequential([layers.Dense(2)]))
    with pytest.raises(ValidationError, match="keras.Model"):
        nengo_dl.Converter(layers.Dense(2))


@pytest.mark.parametrize(
    "key", [tf.nn.relu, keras.activations.relu, nengo.RectifiedLinear()]
)
def test_swap_activations_to_spiking(key):
    model = randomize(keras.Model(*_io(layers.Dense(4, activation="relu"))))
    converter = nengo_dl.Converter(
        model, swap_activations={key: nengo.SpikingRectifiedLinear()}
    )
    (ens,) = converter.net.all_ensembles
    assert isinstance(ens.neuron_type, nengo.SpikingRectifiedLinear)


def test_swap_warns_on_unused_key():
    model = keras.Model(*_io(layers.Dense(4, activation="relu")))
    with pytest.warns(UserWarning, match="swap_activations contained"):
        nengo_dl.Converter(model, swap_activations={tf.nn.sigmoid: nengo.LIF()})


def spiking_rates(scale, synapse=None, n_steps=200):
    """Mean output and spike count of a spiking ReLU layer over ``n_steps``."""
    model = randomize(keras.Model(*_io(layers.Dense(4, activation="relu"))))
    x = np.full((1, 3), 0.5, dtype="float32")
    converter = nengo_dl.Converter(
        model,
        swap_activations={tf.nn.relu: nengo.SpikingRectifiedLinear()},
        scale_firing_rates=scale,
        synapse=synapse,
    )
    node, probe = converter.inputs[model.input], converter.outputs[model.output]
    with nengo_dl.Simulator(converter.net, progress_bar=False) as sim:
        out = sim.predict({node: np.tile(x[:, None], (1, n_steps, 1))})[probe][0]
    (ens,) = converter.net.all_ensembles
    amplitude = ens.neuron_type.amplitude
    return out, np.sum(out != 0), amplitude, model.predict(x, verbose=0)[0]


def test_scale_firing_rates_keeps_mean_output():
    out1, spikes1, amp1, keras_out = spiking_rates(1)
    out100, spikes100, amp100, _ = spiking_rates(1000)
    assert amp100 == pytest.approx(amp1 / 1000)
    assert spikes100 > 10 * spikes1  # firing rates scaled up...
    np.testing.assert_allclose(
        out100.mean(axis=0), keras_out, atol=0.02
    )  # ...not output
    assert not np.allclose(out1.mean(axis=0), keras_out, atol=0.02)


def test_scale_firing_rates_per_layer_and_rate_output_unchanged():
    inp = keras.Input((3,))
    first = layers.Dense(4, activation="relu")
    out = layers.Dense(2, activation="relu")(first(inp))
    model = randomize(keras.Model(inp, out))
    keras_out, nengo_out, converter = run_both(
        model, data((3,)), scale_firing_rates={first: 10}
    )
    np.testing.assert_allclose(nengo_out, keras_out, atol=1e-5, rtol=1e-5)
    gains = [e.gain.options[0] for e in converter.net.all_ensembles]
    assert gains == [10, 1]


def test_synapse_on_connections_out_of_neurons():
    model = randomize(mlp())
    converter = nengo_dl.Converter(model, synapse=0.01)
    for conn in converter.net.all_connections:
        neurons = isinstance(conn.pre_obj, nengo.ensemble.Neurons)
        assert conn.synapse == (nengo.Lowpass(0.01) if neurons else None)
    assert converter.outputs[model.output].synapse is None  # output is a Node
    node, probe = converter.inputs[model.input], converter.outputs[model.output]
    x = data((6,), n=2)
    with nengo_dl.Simulator(converter.net, minibatch_size=2, progress_bar=False) as sim:
        out = sim.predict({node: np.tile(x[:, None], (1, 300, 1))})[probe]
    keras_out = model.predict(x, verbose=0)
    assert not np.allclose(out[:, 0], keras_out, atol=1e-2)  # filtered at first
    np.testing.assert_allclose(out[:, -1], keras_out, atol=1e-4)  # settled


def test_verify_detects_mismatch():
    model = randomize(mlp())
    converter = nengo_dl.Converter(model)
    assert converter.verify()
    layer = model.layers[1]
    layer.set_weights([w + 0.5 for w in layer.get_weights()])
    with pytest.raises(ValueError, match="does not match.*max difference"):
        converter.verify()


def test_verify_training():
    model = randomize(mlp())
    assert nengo_dl.Converter(model).verify(training=True, atol=1e-5)


def train_converted(model, shape):
    """Converter (trainable: no inference_only), its Simulator trained 5 epochs."""
    converter = nengo_dl.Converter(model, inference_only=False)
    node, probe = converter.inputs[model.input], converter.outputs[model.output]
    x = data(shape, n=8).reshape(8, 1, -1)
    y = {probe: np.full((8, 1, probe.size_in), 0.5, dtype="float32")}
    sim = nengo_dl.Simulator(converter.net, minibatch_size=4, progress_bar=False)
    sim.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = sim.evaluate({node: x}, y, verbose=0)["loss"]
    sim.fit({node: x}, y, epochs=5, verbose=0)
    after = sim.evaluate({node: x}, y, verbose=0)["loss"]
    return converter, sim, x, before, after


@pytest.mark.parametrize("build, shape", [(mlp, (6,)), (cnn, (8, 8, 2))])
def test_fit_and_write_weights_back(build, shape):
    model = randomize(build())
    converter, sim, x, before, after = train_converted(model, shape)
    assert after < 0.9 * before
    node, probe = converter.inputs[model.input], converter.outputs[model.output]
    with sim:
        trained = sim.predict({node: x})[probe][:, 0]
        old_keras = model.predict(x.reshape((8,) + shape), verbose=0)
        converter.set_keras_weights(sim)
    assert not np.allclose(old_keras, trained, atol=1e-3)
    new_keras = model.predict(x.reshape((8,) + shape), verbose=0)
    np.testing.assert_allclose(new_keras, trained, atol=1e-5, rtol=1e-5)


def test_keras_weights_of_split_layer_refused():
    inp = keras.Input((3,))
    shared = layers.Dense(3)
    model = keras.Model(inp, shared(shared(inp)))
    converter = nengo_dl.Converter(model, split_shared_weights=True)
    with nengo_dl.Simulator(converter.net, progress_bar=False) as sim:
        with pytest.raises(ValidationError, match="split into 2 copies"):
            converter.get_keras_weights(sim)


def test_native_network_runs_in_nengo_simulator():
    """A fully native conversion is a plain nengo network (as NengoDL promises)."""
    model = randomize(mlp())
    converter = nengo_dl.Converter(model)
    node, probe = converter.inputs[model.input], converter.outputs[model.output]
    x = data((6,), n=1)
    node.output = x[0]
    with nengo.Simulator(converter.net, progress_bar=False) as ref:
        ref.step()
    np.testing.assert_allclose(
        ref.data[probe][0], model.predict(x, verbose=0)[0], atol=1e-5
    )


def test_two_inputs_verify():
    a, b = keras.Input((3,)), keras.Input((3,))
    out = layers.Dense(2, activation="relu")(layers.Concatenate()([a, b]))
    model = randomize(keras.Model([a, b], out))
    converter = nengo_dl.Converter(model)
    assert converter.inputs[a] is not converter.inputs[b]
    assert converter.verify(inputs=[data((3,), 2, seed=1), data((3,), 2, seed=2)])


def test_register_custom_converter():
    """A registered LayerConverter replaces the fallback (docs' AddOne example)."""
    from nengodl_notebook.converter_base import LayerConverter

    class AddOneConverter(LayerConverter):
        def convert(self, node, inputs):
            size = inputs[0].size_out
            obj = nengo.Node(size_in=size)
            self.connect(inputs[0], obj)
            self.connect(nengo.Node(np.ones(size)), obj)
            self.built.append({})
            return obj

    nengo_dl.Converter.register(AddOne)(AddOneConverter)
    try:
        converter = nengo_dl.Converter(model_with_custom_layer(), allow_fallback=False)
        assert converter.verify()
        with pytest.warns(UserWarning, match="already has a converter"):
            nengo_dl.Converter.register(AddOne)(AddOneConverter)
    finally:
        del nengo_dl.Converter.converters[AddOne]
    assert n_tensor_nodes(converter.net) == 0
