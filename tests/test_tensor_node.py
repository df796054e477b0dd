"""TensorNode and Layer: TensorFlow code and Keras layers inside a Nengo network."""

import warnings

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError
from tutorial_nets import build_tutorial_network

import nengodl_notebook as nengo_dl
from nengodl_notebook.config import trainable_objects
from nengodl_notebook.tensor_node import SimTensorNode, trace
from nengodl_notebook.tensor_node_variables import split_variables


def probe_rows(sim, probe, item=0):
    data = sim.data[probe]
    return data[item] if data.ndim == 3 else data  # (minibatch, n_steps, size)


# -- the tutorial's cell 19 and basic use --------------------------------------------


def tutorial_net(seed=0):
    """Tutorial cells 2 and 19: e^sin(x^2) by a nengo Node and by a TensorNode."""
    tn = build_tutorial_network(seed=seed)
    net, sin = tn.net, tn.sin
    net.inpt_p, net.outpt_p = tn.inpt_p, tn.outpt_p
    with net:
        exp_np = nengo.Node(lambda t, x: np.exp(x), size_in=1)
        nengo.Connection(sin, exp_np)
        net.np_probe = nengo.Probe(exp_np, synapse=0.01)
        net.exp_tf = nengo_dl.TensorNode(lambda t, x: tf.exp(x), size_in=1)
        nengo.Connection(sin, net.exp_tf)
        net.tf_probe = nengo.Probe(net.exp_tf, synapse=0.01)
    return net


def test_tutorial_cell_19(Simulator):
    net = tutorial_net()
    assert isinstance(net.exp_tf, nengo.Node)
    assert net.exp_tf.shape_in == (1,) and net.exp_tf.shape_out == (1,)
    assert net.exp_tf.size_in == 1 and net.exp_tf.size_out == 1
    with pytest.warns(UserWarning, match="numpy_function"):  # the numpy Node
        sim = Simulator(net, seed=0)
    with sim:
        sim.run(1.0)
    assert sim.data[net.tf_probe].dtype == np.float32
    np.testing.assert_allclose(
        sim.data[net.tf_probe], sim.data[net.np_probe], atol=1e-5
    )
    settled = sim.data[net.tf_probe][100:]  # after the probe's synapse filled up
    assert 0.8 < settled.min() and settled.max() < 1.4


def test_xla_when_only_tensor_nodes(Simulator):
    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.sin)
        ens = nengo.Ensemble(30, 1)
        node = nengo_dl.TensorNode(lambda t, x: tf.exp(x), size_in=1, label="exp")
        nengo.Connection(inp, ens)
        nengo.Connection(ens, node, synapse=0.005)
        p_ens = nengo.Probe(ens, synapse=0.005)
        p = nengo.Probe(node)
    with Simulator(net) as sim:
        assert sim._program.jit_compile
        sim.run_steps(100)
    # the node's input is the decoded value filtered as the probe filters it
    np.testing.assert_allclose(sim.data[p], np.exp(sim.data[p_ens]), rtol=1e-5)


def test_shapes_time_and_minibatch(Simulator):
    x0 = np.arange(6.0)
    with nengo.Network() as net:
        inp = nengo.Node(x0)
        # x: (minibatch, 2, 3); the result (minibatch, 2) is inferred
        node = nengo_dl.TensorNode(
            lambda t, x: t * tf.reduce_sum(x, axis=2), shape_in=(2, 3)
        )
        nengo.Connection(inp, node, synapse=None)
        p = nengo.Probe(node)
    assert node.shape_out == (2,) and node.size_out == 2 and node.size_in == 6
    data = np.stack([np.tile(x0 * (i + 1), (4, 1)) for i in range(3)])
    with Simulator(net, minibatch_size=3) as sim:
        sim.run_steps(4, data={inp: data})
    t = sim.trange()[:, None]
    for i in range(3):
        expected = t * (i + 1) * np.array([0 + 1 + 2, 3 + 4 + 5])
        np.testing.assert_allclose(sim.data[p][i], expected, rtol=1e-6)


def test_functions_without_input_or_time(Simulator):
    with nengo.Network() as net:
        of_t = nengo_dl.TensorNode(lambda t: tf.ones((1, 2)) * t)  # broadcast
        const = nengo_dl.TensorNode(
            lambda: tf.constant([[1.0, 2.0, 3.0]]), pass_time=False
        )
        of_x = nengo_dl.TensorNode(lambda x: 2 * x, shape_in=(2,), pass_time=False)
        nengo.Connection(of_t, of_x, synapse=None)
        probes = [nengo.Probe(n) for n in (of_t, const, of_x)]
    with Simulator(net, minibatch_size=2) as sim:
        sim.run_steps(3)
    t = sim.trange()[:, None]
    for item in range(2):
        np.testing.assert_allclose(sim.data[probes[0]][item], np.tile(t, 2), rtol=1e-6)
        np.testing.assert_allclose(sim.data[probes[1]][item], [[1, 2, 3]] * 3)
        np.testing.assert_allclose(
            sim.data[probes[2]][item], 2 * np.tile(t, 2), rtol=1e-6
        )


def test_inside_subnetwork_and_sliced(Simulator):
    with nengo.Network() as net:
        inp = nengo.Node([1.0, 2.0, 3.0])
        with nengo.Network() as sub, nengo.Network():
            node = nengo_dl.TensorNode(lambda t, x: x**2, size_in=2, label="sq")
        nengo.Connection(inp[1:], node, synapse=None)
        out = nengo.Node(size_in=1)
        nengo.Connection(node[1], out, synapse=None)
        p = nengo.Probe(out)
    assert node in sub.all_nodes
    with Simulator(net) as sim:
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[p], [[9.0], [9.0]])


def test_float64(Simulator):
    with nengo.Network() as net:
        inp = nengo.Node([0.1, 0.2])
        node = nengo_dl.Layer(keras.layers.Dense(3, kernel_initializer="ones"))(inp)
        p = nengo.Probe(node)
    with Simulator(net, dtype="float64") as sim:
        sim.run_steps(1)
    assert sim.data[p].dtype == np.float64
    np.testing.assert_allclose(sim.data[p], [[0.3] * 3], rtol=1e-6)


def test_operator_roles():
    with nengo.Network() as net:
        node = nengo_dl.TensorNode(lambda t, x: x, size_in=2)
        no_input = nengo_dl.TensorNode(lambda: tf.zeros((1, 1)), pass_time=False)
    model = nengo.builder.Model()
    model.build(net)
    ops = {op.node: op for op in model.operators if isinstance(op, SimTensorNode)}
    op = ops[node]
    assert op.sets == [model.sig[node]["out"]] and op.incs == [] and op.updates == []
    assert op.reads == [model.time, model.sig[node]["in"]]
    assert op.time is model.time and op.input is model.sig[node]["in"]
    assert op.output is model.sig[node]["out"]
    assert ops[no_input].reads == [] and ops[no_input].input is None
    assert ops[no_input].time is None and model.params[node] is None


# -- errors ----------------------------------------------------------------------------


def test_nengo_simulator_needs_ours():
    net = tutorial_net()
    with pytest.raises(SimulationError, match="needs nengodl_notebook.Simulator"):
        with nengo.Simulator(net, progress_bar=False):
            pass


def test_shape_out_mismatch():
    with nengo.Network():
        with pytest.raises(
            ValidationError, match=r"'bad'.*does not match shape_out \(3,\)"
        ):
            nengo_dl.TensorNode(
                lambda t, x: x, shape_in=(2,), shape_out=(3,), label="bad"
            )


@pytest.mark.parametrize(
    "func, match",
    [
        (lambda t, x: tf.cast(x, tf.int32), "dtype int32; expected a float"),
        (lambda t, x: tf.reduce_sum(x), r"shape \(\)"),
        (lambda t, x: tf.reduce_sum(x, axis=1), r"shape \(1,\)"),
        (lambda t, x: None, "returned NoneType"),
    ],
)
def test_bad_outputs(func, match):
    with nengo.Network(), pytest.raises(ValidationError, match=match) as info:
        nengo_dl.TensorNode(func, size_in=2, label="badnode")
    assert "<TensorNode 'badnode'>" in str(info.value)


def test_wrong_minibatch_axis(Simulator):
    # the minibatch size is known only to the Simulator: checked when it is built
    with nengo.Network() as net:
        node = nengo_dl.TensorNode(
            lambda t, x: tf.reduce_sum(x, axis=0, keepdims=True), size_in=2, label="sum"
        )
        nengo.Connection(nengo.Node([1.0, 2.0]), node)
    with pytest.raises(ValidationError, match="'sum'.*1 items on the minibatch axis"):
        Simulator(net, minibatch_size=3)
    with Simulator(net) as sim:  # fine with one item
        sim.run_steps(1)


def test_failure_when_traced_is_chained():
    def needs_eager(t, x):
        return x if x[0, 0] > 0 else -x  # Python bool of a symbolic tensor

    with nengo.Network():
        with pytest.raises(
            ValidationError, match="'tracefail'.*failed when traced"
        ) as info:
            nengo_dl.TensorNode(needs_eager, size_in=1, label="tracefail")
    assert isinstance(info.value.__cause__, TypeError)


def test_function_raising_is_chained():
    def broken(t, x):
        raise RuntimeError("my own problem")

    with nengo.Network():
        with pytest.raises(ValidationError, match="my own problem") as info:
            nengo_dl.TensorNode(broken, size_in=1)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_bad_arguments():
    with nengo.Network():
        with pytest.raises(ValidationError, match="callable"):
            nengo_dl.TensorNode(np.zeros(3))
        with pytest.raises(ValidationError, match="not both"):
            nengo_dl.TensorNode(lambda t, x: x, shape_in=(1,), size_in=1)
        with pytest.raises(ValidationError, match="Layer needs"):
            nengo_dl.Layer(3)
        with pytest.raises(ValidationError, match="Layer input"):
            nengo_dl.Layer(keras.layers.Dense(1))(np.zeros(2))


def test_data_cannot_override_tensor_node(Simulator):
    with nengo.Network() as net:
        node = nengo_dl.TensorNode(lambda t: tf.ones((1, 1)), label="src")
        p = nengo.Probe(node)
    with Simulator(net) as sim:
        with pytest.raises(ValidationError, match="'src'> is a TensorNode.*data="):
            sim.run_steps(2, data={node: np.zeros((1, 2, 1))})
        with pytest.raises(ValidationError, match="is a TensorNode"):
            sim.predict({node: np.zeros((1, 2, 1))})
        sim.run_steps(1)
    assert sim.data[p][0, 0] == 1


# -- Keras layers and training ---------------------------------------------------------


def dense_net(trainable=None, seed=0):
    """inp (4) -> Dense(2) -> probe; only the Keras layer is trainable."""
    keras.utils.set_random_seed(seed)
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable=None)
        net.config[nengo.Connection].trainable = False
        net.inp = nengo.Node(np.zeros(4))
        net.dense = keras.layers.Dense(2)
        net.layer = nengo_dl.Layer(net.dense)(net.inp)
        if trainable is not None:
            net.config[net.layer].trainable = trainable
        net.p = nengo.Probe(net.layer)
    return net


def dense_data(net, n=64):
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (n, 1, 4))
    return {net.inp: x, net.p: x @ rng.randn(4, 2)}


def test_layer_builds_node_and_connection():
    with nengo.Network() as net:
        ens = nengo.Ensemble(10, 2)
        dense = keras.layers.Dense(3, name="my_dense")
        node, conn = nengo_dl.Layer(dense)(ens.neurons, return_conn=True)
        flat = nengo_dl.Layer(keras.layers.Flatten())(node, transform=np.ones((6, 3)))
        conv = nengo_dl.Layer(keras.layers.Conv2D(2, 3))(
            nengo.Node(np.zeros(16)), shape_in=(4, 4, 1)
        )
    assert node.label == "my_dense" and dense.built
    assert node.shape_in == (10,) and node.shape_out == (3,) and not node.pass_time
    assert conn.pre == ens.neurons and conn.post is node and conn.synapse is None
    assert flat.shape_in == (6,) and flat.shape_out == (6,)
    assert conv.shape_out == (2, 2, 2) and conv.size_out == 8
    assert net.all_connections[0] is conn


def test_train_dense_layer(Simulator):
    net = dense_net()
    data = dense_data(net)
    with Simulator(net, minibatch_size=16) as sim:
        assert sim._store.n_trainable == 0
        before = sim.loss(data, objective={net.p: nengo_dl.obj.mse})
        sim.train(
            data,
            keras.optimizers.Adam(0.05),
            objective={net.p: nengo_dl.obj.mse},
            n_epochs=30,
        )
        after = sim.loss(data, objective={net.p: nengo_dl.obj.mse})
        sim.run_steps(1, data={net.inp: data[net.inp][:16]})
    assert after < before / 10, (before, after)
    # the trained weights live in the Keras layer and are used by run()
    x = data[net.inp][:16, 0]
    np.testing.assert_allclose(sim.data[net.p][:, 0], net.dense(x).numpy(), atol=1e-5)


def test_fit_trains_layer_and_ensembles(Simulator):
    keras.utils.set_random_seed(0)
    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.zeros(2))
        ens = nengo.Ensemble(40, 2, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(inp, ens, synapse=None)
        dense = keras.layers.Dense(1)
        out = nengo_dl.Layer(dense)(ens.neurons)
        p = nengo.Probe(out)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (64, 1, 2))
    y = x[..., :1] * x[..., 1:]
    with Simulator(net, minibatch_size=16) as sim:
        kernel0 = dense.kernel.numpy().copy()
        sim.compile(keras.optimizers.Adam(0.01), loss={p: "mse"})
        first = sim.evaluate(x, y)["loss"]
        sim.fit(x, y, epochs=20)
        last = sim.evaluate(x, y)["loss"]
        assert sim._store.changed  # the ensembles trained too
    assert last < first / 3, (first, last)
    assert not np.allclose(dense.kernel.numpy(), kernel0)


def test_trainable_config(Simulator):
    net = dense_net(trainable=False)
    assert trainable_objects(net)[net.layer] is False
    data = dense_data(net)
    kernel0 = net.dense.kernel.numpy().copy()
    with Simulator(net, minibatch_size=16) as sim:
        assert sim._tensor_vars.trainable == []
        with pytest.raises(
            ValidationError, match="Nothing in this network is trainable"
        ):
            sim.train(data, keras.optimizers.Adam(0.05), objective={net.p: "mse"})
    with net:
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(net.inp[0], ens)
        p_ens = nengo.Probe(ens)
    with Simulator(net, minibatch_size=16) as sim:
        sim.train(
            {**data, p_ens: np.zeros((64, 1, 1))},
            keras.optimizers.Adam(0.05),
            objective={net.p: "mse", p_ens: "mse"},
            n_epochs=2,
        )
    np.testing.assert_array_equal(net.dense.kernel.numpy(), kernel0)  # bit for bit

    # class default and per-object settings; configure_settings(trainable=False)
    with nengo.Network() as net2:
        nengo_dl.configure_settings(trainable=False)
        a = nengo_dl.TensorNode(lambda t: tf.ones((1, 1)))
        b = nengo_dl.TensorNode(lambda t: tf.ones((1, 1)))
        net2.config[b].trainable = True
    assert trainable_objects(net2)[a] is False and trainable_objects(net2)[b] is True
    with nengo.Network() as net3:
        c = nengo_dl.TensorNode(lambda t: tf.ones((1, 1)))
    assert trainable_objects(net3)[c] is True


def test_save_load_layer_weights(Simulator, tmp_path):
    net = dense_net()
    data = dense_data(net)
    path = tmp_path / "params"
    with Simulator(net, minibatch_size=16) as sim:
        sim.train(
            data, keras.optimizers.Adam(0.05), objective={net.p: "mse"}, n_epochs=5
        )
        trained = sim.predict({net.inp: data[net.inp]})[net.p]
        sim.save_params(path)
    with np.load(f"{path}.npz") as saved:
        keys = list(saved["__keys__"])
        labels = list(saved["__labels__"])
        np.testing.assert_array_equal(saved["tensor_node0.0"], net.dense.kernel.numpy())
    assert keys[-2:] == ["tensor_node0.0", "tensor_node0.1"]
    assert "kernel" in labels[-2]

    fresh = dense_net(seed=1)  # same structure, other initial weights
    with Simulator(fresh, minibatch_size=16) as sim:
        x = {fresh.inp: data[net.inp]}
        assert not np.allclose(sim.predict(x)[fresh.p], trained)
        sim.load_params(path)
        np.testing.assert_allclose(sim.predict(x)[fresh.p], trained, atol=1e-6)
        sim.freeze_params(fresh)  # the weights stay in the layer
    np.testing.assert_array_equal(fresh.dense.kernel.numpy(), net.dense.kernel.numpy())

    with nengo.Network() as other:  # no TensorNode: a different network
        nengo.Probe(nengo.Node([0.0]))
    with Simulator(other) as sim:
        with pytest.raises(ValidationError, match="different network"):
            sim.load_params(path)


# -- stateful TensorFlow code ----------------------------------------------------------


def counter_net():
    count = tf.Variable(0.0, name="count")

    def step_counter(t):
        count.assign_add(1.0)
        return tf.reshape(count, (1, 1))

    with nengo.Network() as net:
        net.node = nengo_dl.TensorNode(step_counter, label="counter")
        net.p = nengo.Probe(net.node)
    return net, count


def test_counter_variable_reset(Simulator):
    net, count = counter_net()
    assert count.numpy() == 0  # construction traces the function, does not run it
    with Simulator(net, minibatch_size=2) as sim:
        assert sim._program.jit_compile  # assign inside the XLA-compiled loop
        assert sim._tensor_vars.state == [count] and sim._tensor_vars.weights == []
        sim.run_steps(5)
        sim.run_steps(3)
        np.testing.assert_array_equal(sim.data[net.p][1, :, 0], np.arange(1, 9))
        sim.reset()
        assert count.numpy() == 0
        sim.run_steps(3)
        np.testing.assert_array_equal(sim.data[net.p][0, :, 0], [1, 2, 3])
        # predictions start from run()'s state (NengoDL's stateful=False) every
        # time, and leave it alone
        for _ in range(2):
            np.testing.assert_array_equal(
                sim.predict(n_steps=4)[net.p][0, :, 0], [4, 5, 6, 7]
            )
        sim.run_steps(1)
        assert sim.data[net.p][0, -1, 0] == 4


class RunningSum(keras.layers.Layer):
    """Sums its inputs over time (a state weight with a minibatch axis)."""

    def __init__(self, minibatch_size, **kwargs):
        super().__init__(**kwargs)
        self.minibatch_size = minibatch_size

    def build(self, input_shape):
        self.total = self.add_weight(
            shape=(self.minibatch_size,) + tuple(input_shape[1:]),
            initializer="zeros",
            trainable=False,
            name="total",
        )
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        self.total.assign(self.total + x)
        return self.scale * self.total


def test_stateful_keras_layer(Simulator):
    layer = RunningSum(2)
    layer.build((2, 1))
    with nengo.Network() as net:
        inp = nengo.Node([1.0])
        node = nengo_dl.Layer(layer)(inp)
        p = nengo.Probe(node)
    with Simulator(net, minibatch_size=2) as sim:
        assert len(sim._tensor_vars.state) == 1
        assert [v.name for _, _, v in sim._tensor_vars.weights] == [
            "running_sum/scale:0"
        ]
        sim.run_steps(3, data={inp: np.array([[[1.0]] * 3, [[2.0]] * 3])})
        np.testing.assert_allclose(sim.data[p][:, :, 0], [[1, 2, 3], [2, 4, 6]])
        sim.reset()
        sim.run_steps(1)
        np.testing.assert_allclose(sim.data[p][:, :, 0], [[1], [1]])


def test_assignment_inside_cond_is_state():
    flag = tf.Variable(0.0)
    weight = tf.Variable(2.0)

    def func(t, x):
        tf.cond(t > 0.5, lambda: flag.assign(1.0), lambda: flag.assign(0.0))
        return weight * x

    with nengo.Network():
        node = nengo_dl.TensorNode(func, size_in=1)
    weights, state = split_variables(trace(node, func, tf.float32, 1))
    assert state == [flag] and weights == [weight]


def test_not_xla_compilable(Simulator):
    """A TensorNode XLA cannot compile: the model runs without XLA, with a warning.

    ``jit_compile=True`` from the user keeps XLA, and running then fails.
    """

    def python_inside(t):
        value = tf.numpy_function(lambda t: np.float32(2 * t), [t], tf.float32)
        return tf.reshape(value, (1, 1))

    with nengo.Network() as net:
        node = nengo_dl.TensorNode(
            python_inside, shape_out=(1,), label="py"
        )  # unknown static shape
        p = nengo.Probe(node)
    with pytest.warns(UserWarning, match=r"XLA cannot compile.*'py'.*PyFunc"):
        sim = Simulator(net)
    with sim:
        assert not sim._program.jit_compile
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[p][:, 0], [0.002, 0.004], rtol=1e-6)
    with Simulator(net, jit_compile=True) as sim:
        with pytest.raises(SimulationError, match="jit_compile=False"):
            sim.run_steps(2)
        sim.run_steps(0)  # still usable
    with Simulator(net, jit_compile=False) as sim:
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[p][:, 0], [0.002, 0.004], rtol=1e-6)


def print_net():
    """inp (sin) -> TensorNode printing t and returning 2 x -> probe."""

    def printed(t, x):
        tf.print("tensor node at t =", t)
        return 2 * x

    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.sin)
        net.node = nengo_dl.TensorNode(printed, shape_in=(1,), label="printer")
        nengo.Connection(inp, net.node, synapse=None)
        net.p = nengo.Probe(net.node)
    return net


def test_tf_print_falls_back_to_no_xla(Simulator, capfd):
    net = print_net()
    with pytest.warns(UserWarning, match=r"'printer'.*StringFormat") as record:
        sim = Simulator(net)
    assert sum("XLA cannot compile" in str(w.message) for w in record) == 1
    with sim:
        assert not sim._program.jit_compile
        sim.run_steps(3)
        sim.compile(keras.optimizers.SGD(0.0), loss="mse")  # training: no XLA too
        sim.evaluate(np.ones((1, 2, 1)), np.ones((1, 2, 1)), verbose=0)
    printed = capfd.readouterr().err
    assert [line for line in printed.splitlines() if "tensor node" in line][:3] == [
        "tensor node at t = 0.001",
        "tensor node at t = 0.002",
        "tensor node at t = 0.003",
    ]
    with Simulator(net, jit_compile=False) as plain:
        plain.run_steps(3)
    np.testing.assert_array_equal(sim.data[net.p], plain.data[net.p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per TensorNode
        with Simulator(net) as again:
            assert not again._program.jit_compile
    np.testing.assert_allclose(
        sim.data[net.p][:, 0], 2 * np.sin(sim.trange()), rtol=1e-6
    )


def test_tf_print_with_jit_compile_true_raises(Simulator):
    net = print_net()
    with Simulator(net, jit_compile=True) as sim:
        with pytest.raises(
            SimulationError, match=r"(?s)StringFormat.*jit_compile=False"
        ):
            sim.run_steps(2)
        assert sim.n_steps == 0


def test_string_ops_fall_back_to_no_xla(Simulator):
    def via_strings(x):
        return tf.strings.to_number(tf.strings.as_string(x, precision=3))

    with nengo.Network() as net:
        inp = nengo.Node([0.25, -1.5])
        node = nengo_dl.TensorNode(via_strings, shape_in=(2,), pass_time=False)
        nengo.Connection(inp, node, synapse=None)
        p = nengo.Probe(node)
    with pytest.warns(UserWarning, match="AsString"):
        sim = Simulator(net, minibatch_size=2)
    with sim:
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[p], np.tile([0.25, -1.5], (2, 2, 1)))


def test_unknown_output_shape_needs_shape_out():
    def unknown(t):
        return tf.numpy_function(lambda t: np.ones((1, 2), np.float32), [t], tf.float32)

    with nengo.Network():
        with pytest.raises(ValidationError, match="unknown shape.*give shape_out"):
            nengo_dl.TensorNode(unknown)
        assert nengo_dl.TensorNode(unknown, shape_out=(2,)).size_out == 2


def test_copy():
    def double(t, x):
        return 2 * x

    with nengo.Network():
        node = nengo_dl.TensorNode(double, shape_in=(2, 1), label="a")
        twin = node.copy(add_to_container=False)
    assert twin.shape_in == (2, 1) and twin.shape_out == (2, 1)
    assert twin.tensor_func is double and twin.label == "a"


class ClonedCopy(keras.layers.Layer):
    """A layer whose build clones a model and copies its weights (eager code)."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def build(self, input_shape):
        self.inner = keras.models.clone_model(self.model)
        self.inner.set_weights(self.model.get_weights())  # .numpy(): eager only

    def call(self, x):
        return self.inner(x)


class WrappedSequential(keras.layers.Layer):
    """A layer whose build makes a Sequential model and reads its kernel."""

    def build(self, input_shape):
        self.seq = keras.Sequential(
            [keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3)]
        )
        self.seq.build(input_shape)
        self.kernel_norm = float(np.linalg.norm(self.seq.layers[0].kernel.numpy()))

    def call(self, x):
        return self.seq(x)


def test_layers_whose_build_makes_models(Simulator):
    """Built on a symbolic keras.Input first, as Keras builds them."""
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    cloned, wrapped = ClonedCopy(base), WrappedSequential()
    x = np.linspace(-1, 1, 10).reshape(2, 5).astype(np.float32)
    with nengo.Network() as net:
        inp = nengo.Node(np.zeros(5))
        p_cloned = nengo.Probe(nengo_dl.Layer(cloned)(inp))
        p_wrapped = nengo.Probe(nengo_dl.Layer(wrapped)(inp))
    assert cloned.built and wrapped.built and wrapped.kernel_norm > 0
    with Simulator(net, minibatch_size=2) as sim:
        sim.run_steps(1, data={inp: x[:, None]})
    np.testing.assert_allclose(sim.data[p_cloned][:, 0], base(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(sim.data[p_wrapped][:, 0], wrapped(x).numpy(), atol=1e-6)
