"""One test per Keras layer kind: the converted network, run with rate neurons
for one step with no synapses, gives the Keras model's outputs (float32, 1e-5).

Every model is tiny and gets random weights (biases and batch-norm statistics
included, so that each is checked); native conversions must hold no TensorNode,
fallbacks exactly one per fallback layer.
"""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl

layers = keras.layers


def randomize(model, seed=0):
    """Random weights for every layer (positive variances for batch norm)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            if "variance" in w.path:
                values.append(rng.uniform(0.5, 2.0, w.shape))
            else:
                values.append(rng.uniform(-1, 1, w.shape))
        layer.set_weights(values)
    return model


def run_both(model, x, Simulator=None, **converter_args):
    """(keras output, converted network output reshaped like it, converter)."""
    converter = nengo_dl.Converter(model, **converter_args)
    keras_out = model.predict(x, verbose=0)
    node = converter.inputs[model.inputs[0]]
    probe = converter.outputs[model.outputs[0]]
    with nengo_dl.Simulator(
        converter.net, minibatch_size=len(x), progress_bar=False
    ) as sim:
        out = sim.predict({node: x.reshape(len(x), 1, -1)})[probe]
    return keras_out, out.reshape(keras_out.shape), converter


def n_tensor_nodes(net):
    return sum(isinstance(n, nengo_dl.TensorNode) for n in net.all_nodes)


def model_of(shape, *layer_list):
    inp = keras.Input(shape)
    x = inp
    for layer in layer_list:
        x = layer(x)
    return keras.Model(inp, x)


def two_inputs(merge, shape=(3, 4)):
    """A merge layer over two branches of one input."""
    inp = keras.Input(shape)
    a = layers.Conv1D(4, 1, activation="relu")(inp)
    b = layers.Conv1D(4, 1)(inp)
    return keras.Model(inp, merge([a, b]))


# name: (model builder, input shape, converter arguments, TensorNodes expected)
CASES = {
    "dense_relu": (lambda: model_of((5,), layers.Dense(4, "relu")), (5,), {}, 0),
    "dense_linear": (lambda: model_of((5,), layers.Dense(4)), (5,), {}, 0),
    "dense_sigmoid": (lambda: model_of((5,), layers.Dense(4, "sigmoid")), (5,), {}, 0),
    "dense_tanh": (lambda: model_of((5,), layers.Dense(4, "tanh")), (5,), {}, 0),
    "dense_leaky_relu": (
        lambda: model_of((5,), layers.Dense(4, "leaky_relu")),
        (5,),
        {},
        0,
    ),
    "dense_tf_relu_no_bias": (
        lambda: model_of((5,), layers.Dense(4, tf.nn.relu, use_bias=False)),
        (5,),
        {},
        0,
    ),
    "activation": (
        lambda: model_of((5,), layers.Dense(4), layers.Activation("sigmoid")),
        (5,),
        {},
        0,
    ),
    "relu_layer": (
        lambda: model_of((5,), layers.Dense(4), layers.ReLU(negative_slope=0.1)),
        (5,),
        {},
        0,
    ),
    "leaky_relu_layer": (
        lambda: model_of((5,), layers.Dense(4), layers.LeakyReLU(0.3)),
        (5,),
        {},
        0,
    ),
    "conv1d": (
        lambda: model_of((7, 2), layers.Conv1D(3, 3, strides=2, activation="relu")),
        (7, 2),
        {},
        0,
    ),
    "conv2d": (
        lambda: model_of(
            (5, 5, 2), layers.Conv2D(3, 3, padding="same", activation="relu")
        ),
        (5, 5, 2),
        {},
        0,
    ),
    "conv2d_groups": (
        lambda: model_of((5, 5, 4), layers.Conv2D(4, 2, groups=2)),
        (5, 5, 4),
        {},
        0,
    ),
    "conv2d_transpose": (
        lambda: model_of(
            (3, 3, 2), layers.Conv2DTranspose(3, 3, strides=2, activation="relu")
        ),
        (3, 3, 2),
        {},
        0,
    ),
    "conv1d_transpose": (
        lambda: model_of(
            (4, 2), layers.Conv1DTranspose(3, 2, strides=2, padding="same")
        ),
        (4, 2),
        {},
        0,
    ),
    "average_pooling1d": (
        lambda: model_of((6, 2), layers.AveragePooling1D(2)),
        (6, 2),
        {},
        0,
    ),
    "average_pooling2d": (
        lambda: model_of((4, 6, 2), layers.AveragePooling2D((2, 3), padding="same")),
        (4, 6, 2),
        {},
        0,
    ),
    "global_average_pooling1d": (
        lambda: model_of((5, 3), layers.GlobalAveragePooling1D()),
        (5, 3),
        {},
        0,
    ),
    "global_average_pooling2d": (
        lambda: model_of((3, 4, 3), layers.GlobalAveragePooling2D()),
        (3, 4, 3),
        {},
        0,
    ),
    "batch_normalization": (
        lambda: model_of((3, 3, 2), layers.BatchNormalization()),
        (3, 3, 2),
        {"inference_only": True},
        0,
    ),
    "batch_normalization_axis1": (
        lambda: model_of((3, 2), layers.BatchNormalization(axis=1, center=False)),
        (3, 2),
        {"inference_only": True},
        0,
    ),
    "flatten_dense": (
        lambda: model_of((2, 3, 2), layers.Flatten(), layers.Dense(3, "relu")),
        (2, 3, 2),
        {},
        0,
    ),
    "reshape": (
        lambda: model_of((6,), layers.Reshape((3, 2)), layers.Conv1D(2, 2)),
        (6,),
        {},
        0,
    ),
    "zero_padding1d": (
        lambda: model_of((3, 2), layers.ZeroPadding1D((1, 2)), layers.Conv1D(2, 2)),
        (3, 2),
        {},
        0,
    ),
    "zero_padding2d": (
        lambda: model_of((3, 2, 2), layers.ZeroPadding2D(((1, 0), (2, 1)))),
        (3, 2, 2),
        {},
        0,
    ),
    "add": (lambda: two_inputs(layers.Add()), (3, 4), {}, 0),
    "concatenate": (lambda: two_inputs(layers.Concatenate()), (3, 4), {}, 0),
    "concatenate_axis1": (
        lambda: two_inputs(layers.Concatenate(axis=1)),
        (3, 4),
        {},
        0,
    ),
    "dropout": (
        lambda: model_of((5,), layers.Dense(4, "relu"), layers.Dropout(0.5)),
        (5,),
        {},
        0,
    ),
    # fallbacks: run the Keras layer in a TensorNode
    "softmax_fallback": (
        lambda: model_of((5,), layers.Dense(4, "softmax")),
        (5,),
        {},
        1,
    ),
    "max_pooling_fallback": (
        lambda: model_of((4, 4, 2), layers.MaxPooling2D(2)),
        (4, 4, 2),
        {},
        1,
    ),
    "batch_normalization_training_fallback": (
        lambda: model_of((4,), layers.BatchNormalization()),
        (4,),
        {},
        1,
    ),
    "conv3d_fallback": (
        lambda: model_of((3, 3, 3, 1), layers.Conv3D(2, 2)),
        (3, 3, 3, 1),
        {},
        1,
    ),
    "average_pooling3d_fallback": (
        lambda: model_of((2, 2, 2, 1), layers.AveragePooling3D(2)),
        (2, 2, 2, 1),
        {},
        1,
    ),
}


@pytest.mark.filterwarnings("ignore:.*falling back:UserWarning")
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_keras(case):
    build, shape, args, n_fallback = CASES[case]
    model = randomize(build())
    x = np.random.default_rng(1).uniform(-1, 1, (2,) + shape).astype(np.float32)
    keras_out, out, converter = run_both(model, x, **args)
    np.testing.assert_allclose(out, keras_out, atol=1e-5, rtol=1e-5)
    assert n_tensor_nodes(converter.net) == n_fallback


def test_max_to_avg_pool_averages():
    """max_to_avg_pool: MaxPooling2D converts natively, as average pooling."""
    model = model_of((4, 4, 2), layers.MaxPooling2D(2))
    x = np.random.default_rng(2).uniform(-1, 1, (2, 4, 4, 2)).astype(np.float32)
    _, out, converter = run_both(model, x, max_to_avg_pool=True)
    average = layers.AveragePooling2D(2)(x)
    np.testing.assert_allclose(out, average, atol=1e-6)
    assert n_tensor_nodes(converter.net) == 0
    assert not np.allclose(out, model.predict(x, verbose=0))


def test_sigmoid_and_tanh_neurons():
    """sigmoid and tanh become nengo neurons whose rate is Keras' function."""
    model = model_of((2,), layers.Dense(2, "sigmoid"), layers.Dense(2, "tanh"))
    converter = nengo_dl.Converter(model)
    types = [e.neuron_type for e in converter.net.all_ensembles]
    assert types == [nengo.Sigmoid(tau_ref=1), nengo.Tanh(tau_ref=1)]
    assert all(np.all(e.gain.options == 1) for e in converter.net.all_ensembles)
