"""configure_settings options read by the Simulator, and its ``device`` and
``unroll_simulation`` arguments (NengoDL 3.6's config documentation)."""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import BuildError, SimulationError, ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook import xla_cache


def spiking_net(**settings):
    """One SpikingRectifiedLinear neuron at 1 Hz: it does not spike in 10 steps,
    while its rate twin (RectifiedLinear) outputs 1 at once."""
    neuron_type = nengo.SpikingRectifiedLinear(
        initial_state={"voltage": nengo.dists.Choice([0])}
    )
    with nengo.Network(seed=0) as net:
        if settings:
            nengo_dl.configure_settings(**settings)
        net.inp = nengo.Node([0])
        net.ens = nengo.Ensemble(1, 1, gain=[0], bias=[1], neuron_type=neuron_type)
        nengo.Connection(net.inp, net.ens, synapse=None)
        net.p = nengo.Probe(net.ens.neurons)
    return net


def rate_net(**settings):
    with nengo.Network(seed=1) as net:
        if settings:
            nengo_dl.configure_settings(**settings)
        net.inp = nengo.Node([0.5])
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(net.inp, net.ens)
        net.p = nengo.Probe(net.ens, synapse=0.01)
    return net


# -- dtype --------------------------------------------------------------------------


def test_dtype_setting_is_the_default_precision(Simulator):
    with Simulator(rate_net(dtype="float64")) as sim:
        assert sim.dtype == "float64"
        sim.run_steps(5)
        assert sim.data[sim.model.probes[0]].dtype == np.float64
    with Simulator(rate_net(dtype=tf.float64)) as sim:
        assert sim.dtype == "float64"


def test_dtype_argument_beats_the_setting(Simulator):
    with Simulator(rate_net(dtype="float64"), dtype="float32") as sim:
        assert sim.dtype == "float32"
    with Simulator(rate_net()) as sim:
        assert sim.dtype == "float32"


def test_bad_dtype_setting_names_the_setting(Simulator):
    with pytest.raises(ValidationError, match=r"configure_settings\(dtype"):
        Simulator(rate_net(dtype="int32"))


def test_float64_setting_matches_nengo(Simulator):
    net = rate_net(dtype="float64")
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(50)
    with Simulator(net) as sim:
        sim.run_steps(50)
        np.testing.assert_allclose(sim.data[net.p], ref.data[net.p], atol=1e-10)


# -- inference_only -------------------------------------------------------------------


def test_inference_only_refuses_training_and_runs(Simulator):
    net = rate_net(inference_only=True)
    x = {net.inp: np.ones((2, 5, 1))}
    y = {net.p: np.zeros((2, 5, 1))}
    with Simulator(net) as sim:
        with pytest.raises(SimulationError, match="inference_only=True.*"):
            sim.train({**x, **y}, keras.optimizers.SGD(0.1), {net.p: nengo_dl.obj.mse})
        sim.compile(keras.optimizers.SGD(0.1), loss="mse")
        with pytest.raises(SimulationError, match="Cannot fit.*inference_only"):
            sim.fit(x, y)
        with pytest.raises(SimulationError, match="inference_only"):
            sim.loss({**x, **y}, {net.p: nengo_dl.obj.mse}, training=True)
        # inference still works, and the simulator stays usable
        assert np.isfinite(sim.loss({**x, **y}, {net.p: nengo_dl.obj.mse}))
        sim.run_steps(5)
        assert sim.data[net.p].shape == (5, 1)
        assert sim.predict(x)[net.p].shape == (2, 5, 1)


def test_inference_only_with_learning_phase_refuses_to_build(Simulator):
    with pytest.raises(BuildError, match="inference_only=True"):
        Simulator(rate_net(inference_only=True, learning_phase=True))


# -- learning_phase -------------------------------------------------------------------


def test_learning_phase_runs_spiking_neurons_as_rates(Simulator):
    with Simulator(spiking_net(learning_phase=True)) as sim:
        sim.run_steps(10)
        np.testing.assert_allclose(sim.data[sim.model.probes[0]], 1)
    for setting in ({}, {"learning_phase": None}, {"learning_phase": False}):
        with Simulator(spiking_net(**setting)) as sim:
            sim.run_steps(10)
            np.testing.assert_allclose(sim.data[sim.model.probes[0]], 0)


def test_learning_phase_in_predict_and_loss(Simulator):
    net = spiking_net(learning_phase=True)
    x = {net.inp: np.zeros((1, 10, 1))}
    with Simulator(net) as sim:
        np.testing.assert_allclose(sim.predict(x)[net.p], 1)
        loss = sim.loss({**x, net.p: np.zeros((1, 10, 1))}, {net.p: nengo_dl.obj.mse})
        assert loss == pytest.approx(1)
    plain = spiking_net()
    with Simulator(plain) as sim:
        np.testing.assert_allclose(sim.predict({plain.inp: x[net.inp]})[plain.p], 0)


def test_learning_phase_passes_training_to_keras_layers(Simulator):
    class Training(keras.layers.Layer):
        def call(self, x, training=None):
            return tf.ones_like(x) * tf.cast(bool(training), x.dtype)

    for phase, expected in ((True, 1), (None, 0)):
        with nengo.Network() as net:
            nengo_dl.configure_settings(learning_phase=phase)
            node = nengo_dl.TensorNode(Training(), shape_in=(1,), pass_time=False)
            nengo.Connection(nengo.Node([0.5]), node, synapse=None)
            p = nengo.Probe(node)
        with Simulator(net) as sim:
            sim.run_steps(3)
            np.testing.assert_allclose(sim.data[p], expected)


# -- planner / sorter / simplifications ----------------------------------------------


@pytest.mark.parametrize("name", ["planner", "sorter", "simplifications", "use_loop"])
def test_planner_settings_warn_and_change_nothing(name, Simulator):
    with Simulator(rate_net()) as sim:
        sim.run_steps(20)
        expected = sim.data[sim.model.probes[0]]
    net = rate_net(**{name: lambda *args: None})
    with pytest.warns(UserWarning, match=f"{name}=.*ignored here.*not pluggable"):
        sim = Simulator(net)
    with sim:
        sim.run_steps(20)
        np.testing.assert_array_equal(sim.data[net.p], expected)


# -- Simulator(device=..., unroll_simulation=...) -----------------------------------


def test_device_cpu_places_the_program_and_gives_the_same_numbers(
    Simulator, monkeypatch
):
    # the traced program (not one saved on disk, whose graph is not kept)
    monkeypatch.setattr(xla_cache, "DIRECTORY", None)
    net = rate_net()
    with Simulator(net) as sim:
        sim.run_steps(20)
        expected = sim.data[net.p]
    with Simulator(net, device="/cpu:0") as sim:
        assert sim.device == "/device:CPU:0"
        sim.run_steps(20)
        np.testing.assert_array_equal(sim.data[net.p], expected)
        devices = {
            op.device
            for fn in sim._program._programs.values()
            for op in fn.graph.get_operations()
            # reads of variables run where the variables live
            if op.type not in ("Placeholder", "NoOp", "Identity", "ReadVariableOp")
        }
        assert devices == {"/device:CPU:0"}


def test_device_cpu_trains(Simulator):
    net = rate_net()
    x = {net.inp: np.ones((4, 20, 1))}
    y = {net.p: np.full((4, 20, 1), -0.5)}
    with Simulator(net, device="/cpu:0", minibatch_size=2) as sim:
        sim.compile(keras.optimizers.Adam(0.01), loss="mse")
        before = sim.evaluate(x, y)["loss"]
        sim.fit(x, y, epochs=3)
        assert sim.evaluate(x, y)["loss"] < before


@pytest.mark.parametrize("device", ["/gpu:7", "/cpu:3", "nonsense", 0])
def test_unknown_device_is_refused_by_name(device, Simulator):
    with pytest.raises(ValidationError, match="device") as info:
        Simulator(rate_net(), device=device)
    assert repr(device) in str(info.value)
    with Simulator(rate_net()) as sim:  # a new simulator still works
        sim.run_steps(2)


def test_unroll_simulation_changes_nothing(Simulator):
    net = rate_net()
    with Simulator(net) as sim:
        sim.run_steps(7)
        expected = sim.data[net.p]
    with Simulator(net, unroll_simulation=5) as sim:
        assert sim.unroll == 5
        sim.run_steps(7)  # not a multiple of 5: exactly 7 steps run
        assert sim.n_steps == 7
        np.testing.assert_array_equal(sim.data[net.p], expected)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_bad_unroll_simulation_is_refused(bad, Simulator):
    with pytest.raises(ValidationError, match="unroll_simulation must be"):
        Simulator(rate_net(), unroll_simulation=bad)
