"""Parameter snapshots in memory: ``sim.get_params()`` and ``sim.set_params()``.

1. A snapshot holds copies of every parameter array and TensorNode (Keras)
   weight, keyed as in a parameter file; training does not change it, and
   restoring it gives back the same values and the same probe output.
2. A snapshot of another Simulator of the same network applies; one of another
   network, or a mapping with a wrong shape, a NaN, a missing or an unknown key,
   is refused with an error naming the entry, and nothing changes.
3. Files are snapshots on disk: ``save_params`` writes what ``get_params`` gives.
4. The compare panel and the Dashboard keep snapshots in memory (no temporary
   directories).
"""

import os
import tempfile

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.params import Params

MB = 4


def make_net(order=("a", "b"), seed=1, extra=False):
    """inp -> a -> b -> Dense TensorNode (probed); ``order``: the ensembles' labels.

    Rectified linear neurons: bounded gradients, so training changes it steadily.
    """
    keras.utils.set_random_seed(seed)
    with nengo.Network(seed=seed) as net:
        net.inp = nengo.Node([0.5], label="inp")
        ens = [
            nengo.Ensemble(10, 1, neuron_type=nengo.RectifiedLinear(), label=label)
            for label in order
        ]
        nengo.Connection(net.inp, ens[0], synapse=None)
        nengo.Connection(ens[0], ens[1], synapse=None)
        net.layer = keras.layers.Dense(2)
        net.dense = nengo_dl.Layer(net.layer)(ens[1])
        net.p = nengo.Probe(net.dense)
        if extra:
            nengo.Ensemble(5, 1, label="extra")
    return net


def train(sim, net):
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, size=(8, 5, 1))
    y = np.concatenate([x, -x], axis=-1)
    sim.train(
        {net.inp: x, net.p: y},
        tf.keras.optimizers.Adam(1e-3),
        objective={net.p: nengo_dl.obj.mse},
        n_epochs=2,
        progress_bar=False,
    )


def values(sim):
    """Every parameter and TensorNode weight of ``sim``, as bytes (bit for bit)."""
    params, state = sim._store.values()
    weights = sim._tensor_vars.by_key()[0]
    return (
        params.tobytes(),
        state.tobytes(),
        {k: v.tobytes() for k, v in weights.items()},
    )


def probe_output(sim, net, n_steps=20):
    sim.reset(include_trainable=False)
    sim.run_steps(n_steps)
    return sim.data[net.p].copy()


@pytest.fixture
def net():
    return make_net()


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, minibatch_size=MB) as sim:
        yield sim


# -- 1. snapshots are copies ---------------------------------------------------------


def test_round_trip_and_keys_of_a_file(sim, tmp_path):
    params = sim.get_params()
    assert isinstance(params, Params)
    sim.save_params(tmp_path / "params")
    with np.load(tmp_path / "params.npz") as saved:
        file_keys = [k for k in saved.files if not k.startswith("__")]
        for key in file_keys:
            assert np.array_equal(params[key], saved[key]), key
    assert list(params) == file_keys  # the names the file gives the arrays
    assert "0.encoders" in params and "tensor_node0.0" in params
    assert "0.encoders (10, 1): <Ensemble 'a'>" in repr(params), repr(params)
    assert str(params.entry("0.encoders")) == (
        "encoders of <Ensemble 'a'> with shape (10, 1)"
    )
    before = values(sim)
    sim.set_params(params)
    assert values(sim) == before
    assert sim.get_params() == params


def test_snapshot_is_a_read_only_copy(sim):
    params = sim.get_params()
    with pytest.raises(ValueError, match="read-only"):
        params["0.encoders"][0, 0] = 1.0
    again = sim.get_params()
    assert all(not np.shares_memory(params[k], again[k]) for k in params)


def test_training_leaves_snapshot_and_restore_gives_old_output(sim, net):
    expected = probe_output(sim, net)
    params = sim.get_params()
    kept = {k: v.copy() for k, v in params.items()}
    train(sim, net)
    trained = sim.get_params()
    changed = [k for k in params if not np.array_equal(params[k], trained[k])]
    assert "tensor_node0.0" in changed and "0.encoders" in changed, changed
    assert all(np.array_equal(params[k], kept[k]) for k in kept)  # not changed
    assert not np.allclose(probe_output(sim, net), expected)
    sim.set_params(params)
    assert sim.get_params() == params
    assert np.array_equal(probe_output(sim, net), expected)
    np.testing.assert_array_equal(net.layer.get_weights()[0], kept["tensor_node0.0"])


def test_keras_weights_included(sim, net):
    kernel, bias = net.layer.get_weights()
    params = sim.get_params()
    assert np.array_equal(params["tensor_node0.0"], kernel)
    assert np.array_equal(params["tensor_node0.1"], bias)
    assert "<TensorNode 'dense'> " in params.labels[-1]  # with the variable's name
    net.layer.set_weights([kernel + 1, bias - 1])
    sim.set_params(params)
    np.testing.assert_array_equal(net.layer.get_weights()[0], kernel)
    np.testing.assert_array_equal(net.layer.get_weights()[1], bias)


def test_snapshot_of_another_simulator_of_the_network(net, Simulator):
    with Simulator(net, minibatch_size=MB) as first:
        train(first, net)
        params = first.get_params()
        expected = probe_output(first, net)
    again = make_net(seed=2)  # the same network, built again with another seed
    with Simulator(again) as other:
        assert other.get_params() != params
        other.set_params(params)
        assert other.get_params() == params
        assert np.allclose(probe_output(other, again), expected[0], atol=1e-5)


def test_edited_mapping_applies(sim):
    params = dict(sim.get_params())
    params["1.bias"] = params["1.bias"] + 1.0
    sim.set_params(params)
    assert np.array_equal(sim.get_params()["1.bias"], params["1.bias"])


# -- 2. refused snapshots ------------------------------------------------------------


def assert_refused(sim, net, params, *fragments):
    """``set_params`` raises naming ``fragments``; nothing changed; sim usable."""
    before = values(sim)
    with pytest.raises(ValidationError) as excinfo:
        sim.set_params(params)
    text = str(excinfo.value)
    for fragment in fragments:
        assert fragment in text, text
    assert values(sim) == before
    assert sim._store.changed == []
    n_steps = sim.n_steps
    sim.run_steps(3)  # still usable
    assert sim.n_steps == n_steps + 3 and np.all(np.isfinite(sim.data[net.p]))
    return text


def test_other_network_refused(sim, net, Simulator):
    with Simulator(make_net(order=("b", "a"))) as other:
        swapped = other.get_params()
    with Simulator(make_net(extra=True)) as other:
        larger = other.get_params()
    assert_refused(
        sim,
        net,
        swapped,
        "parameter 0 is encoders of <Ensemble 'b'> with shape (10, 1) in the "
        "snapshot, but encoders of <Ensemble 'a'> with shape (10, 1) in this network",
    )
    assert_refused(sim, net, larger, "snapshot holds 10 parameter arrays", "has 8")


def edited(sim, key, value):
    params = dict(sim.get_params())
    params[key] = value(params[key]) if callable(value) else value
    return params


@pytest.mark.parametrize("key", ["0.encoders", "tensor_node0.0"])
def test_wrong_shape_refused(sim, net, key):
    params = edited(sim, key, lambda v: np.zeros((v.shape[0] + 1,) + v.shape[1:]))
    shape = params[key].shape
    assert_refused(sim, net, params, f"parameter {key} (", f"given with shape {shape}")


@pytest.mark.parametrize("key", ["1.bias", "tensor_node0.1"])
def test_nan_refused(sim, net, key):
    params = edited(sim, key, lambda v: np.where(np.arange(v.size) == 1, np.nan, v))
    assert_refused(sim, net, params, f"parameter {key}", "1 non-finite value")


def test_nan_in_snapshot_refused(sim, net):
    params = sim.get_params()
    arrays = {k: v.copy() for k, v in params.items()}
    arrays["0.encoders"][0, 0] = np.inf
    poisoned = type(params)(params.entries, arrays, params.labels)
    assert_refused(sim, net, poisoned, "parameter 0.encoders", "non-finite")


def test_missing_and_unknown_entries_refused(sim, net):
    missing = dict(sim.get_params())
    del missing["4.weights"]
    assert_refused(sim, net, missing, "parameter 4.weights", "is missing")
    unknown = dict(sim.get_params(), extra=np.zeros(3))
    assert_refused(sim, net, unknown, "unknown parameter 'extra'", "0.encoders")
    assert_refused(sim, net, [1, 2], "mapping", "list")


# -- 3. files ------------------------------------------------------------------------


def test_file_holds_the_snapshot(sim, net, tmp_path, Simulator):
    train(sim, net)
    sim.save_params(tmp_path / "trained")
    with Simulator(make_net(seed=2)) as other:
        other.load_params(tmp_path / "trained")
        assert other.get_params() == sim.get_params()


# -- 4. widgets ----------------------------------------------------------------------


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    """A fresh directory as ``tempfile``'s, to see what is created in it."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def test_compare_panel_keeps_snapshots_in_memory(sim, net, temp_dir, tmp_path):
    from nengodl_notebook.widgets import ComparePanel

    panel = ComparePanel(sim, n_steps=20, targets={net.p: lambda t, x: 0 * t + 1})
    assert [s["label"] for s in panel.snapshots] == ["before training"]
    expected = probe_output(sim, net)
    train(sim, net)
    trained = sim.get_params()
    panel.add_snapshot("trained")
    assert panel.snapshots[1]["params"] == trained
    assert panel.compare_button.click() is None and panel.message.value == ""
    assert os.listdir(temp_dir) == []  # no nengodl_compare_ directory
    assert sim.get_params() == trained  # restored after comparing
    a, b = panel.outputs("A", net.p, 0), panel.outputs("B", net.p, 0)
    assert np.array_equal(a, expected[0])
    assert np.array_equal(b, probe_output(sim, net)[0])
    assert not np.allclose(a, b)
    assert "MSE (item 0)" in panel.errors.value
    # a params file (a training run's) is read into a snapshot
    sim.save_params(tmp_path / "run")
    panel.add_run({"label": "run 1", "loss": 0.5, "path": tmp_path / "run.npz"})
    assert panel.snapshots[2]["params"] == trained
    assert panel.snapshots[2]["label"] == "run 1 (loss 0.5)"
    panel.close()
    assert os.listdir(temp_dir) == []


def test_dashboard_rebuild_keeps_parameters_in_memory(temp_dir):
    from nengodl_notebook.widgets import Dashboard

    net = make_net()
    with net:
        nengo_dl.configure_settings(trainable=False)
    dashboard = Dashboard(net, targets={net.p: lambda t, x: 0 * t}, n_steps=20)
    try:
        first = dashboard.sim
        params = dict(first.get_params())
        params["1.bias"] = params["1.bias"] + 0.5  # differs from a new build
        first.set_params(params)
        net.config[net.ensembles[0]].trainable = True
        second = dashboard.sim
        assert second is not first and "rebuilt for" in dashboard.status.value
        assert np.array_equal(second.get_params()["1.bias"], params["1.bias"])
        made = [n for n in os.listdir(temp_dir) if not n.startswith("nengodl_train")]
        assert made == []  # no nengodl_compare_ / nengodl_dashboard_ directory
    finally:
        dashboard.close()
