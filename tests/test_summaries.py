"""NengoSummaries and TensorBoard: event files read back with TensorFlow."""

import glob
import os

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook import summaries
from nengodl_notebook.summaries import (
    NengoSummaries,
    TensorBoard,
    histogram_buckets,
)


def read_events(log_dir):
    """``[(step, tag, plugin, value)]`` of all summaries, and the graph count."""
    values, graphs = [], 0
    for path in sorted(glob.glob(os.path.join(str(log_dir), "events.out.tfevents*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            graphs += event.HasField("graph_def")
            for v in event.summary.value:
                plugin = v.metadata.plugin_data.plugin_name
                values.append((event.step, v.tag, plugin, tf.make_ndarray(v.tensor)))
    return values, graphs


@pytest.fixture
def net():
    with nengo.Network(seed=0) as net:
        net.inp = nengo.Node([0.5])
        net.ens = nengo.Ensemble(8, 1, neuron_type=nengo.RectifiedLinear(), label="e")
        net.out = nengo.Node(size_in=1)
        nengo.Connection(net.inp, net.ens)
        net.conn = nengo.Connection(net.ens, net.out, label="dec")
        net.passthrough = nengo.Connection(net.inp, net.out)
        net.p = nengo.Probe(net.out, synapse=0.01)
    return net


def fit(sim, net, callbacks, epochs=2, validation=False):
    x = {net.inp: np.ones((4, 10, 1))}
    y = {net.p: np.full((4, 10, 1), -0.3)}
    sim.compile(keras.optimizers.Adam(0.05), loss="mse")
    return sim.fit(
        x,
        y,
        epochs=epochs,
        callbacks=callbacks,
        validation_data=(x, y) if validation else None,
    )


def test_histogram_buckets_count_every_value():
    values = np.random.RandomState(0).normal(size=1000)
    buckets = histogram_buckets(values)
    assert buckets.shape == (30, 3)
    assert buckets[:, 2].sum() == 1000
    assert buckets[0, 0] == values.min() and buckets[-1, 1] == values.max()
    np.testing.assert_array_equal(histogram_buckets(np.full(5, 2.0)), [[2, 2, 5]])
    assert histogram_buckets([]).shape == (0, 3)


def test_nengo_summaries_log_trained_parameters(net, Simulator, tmp_path):
    objects = [net.ens, net.ens.neurons, net.conn]
    with Simulator(net) as sim:
        before = sim.data[net.conn].weights.copy()
        fit(sim, net, [NengoSummaries(tmp_path, sim, objects)])
        after = sim.data[net.conn].weights
        assert not np.allclose(before, after)
        values, _ = read_events(tmp_path)
    tags = {(step, tag) for step, tag, _, _ in values}
    names = ["Ensemble_e_encoders", "Ensemble.neurons_e_bias", "Connection_dec_weights"]
    assert tags == {(step, name) for step in (0, 1) for name in names}
    assert {plugin for _, _, plugin, _ in values} == {"histograms"}
    last = [v for step, tag, _, v in values if step == 1 and tag == names[2]][0]
    np.testing.assert_allclose(last, histogram_buckets(after))
    assert last[:, 2].sum() == 8


def test_nengo_summaries_refuse_bad_objects(net, Simulator, tmp_path):
    with Simulator(net) as sim:
        with pytest.raises(ValidationError, match="Unknown summary object"):
            NengoSummaries(tmp_path, sim, [net.p])
        with pytest.raises(ValidationError, match="no weights to log"):
            NengoSummaries(tmp_path, sim, [net.passthrough])
        with nengo.Network():
            other = nengo.Ensemble(2, 1)
        with pytest.raises(ValidationError, match="not part of this Simulator"):
            NengoSummaries(tmp_path, sim, [other])
        fit(sim, net, [NengoSummaries(tmp_path, sim, [net.ens])], epochs=1)


def test_tensorboard_writes_losses_histograms_and_graph(net, Simulator, tmp_path):
    board = TensorBoard(log_dir=str(tmp_path), histogram_freq=1)
    with Simulator(net) as sim:
        history = fit(sim, net, [board], validation=True)
        params = sim.get_params()
    train, graphs = read_events(tmp_path / "train")
    scalars = {(s, t): float(v) for s, t, p, v in train if p == "scalars"}
    for epoch in (0, 1):
        assert scalars[epoch, "epoch_loss"] == pytest.approx(
            history.history["loss"][epoch], rel=1e-6
        )
        assert scalars[epoch, "epoch_learning_rate"] == pytest.approx(0.05)
    histograms = {(s, t): v for s, t, p, v in train if p == "histograms"}
    assert {t for _, t in histograms} == {f"{key}/histogram" for key in params}
    key = next(iter(params))
    np.testing.assert_allclose(
        histograms[1, f"{key}/histogram"], histogram_buckets(params[key])
    )
    assert graphs == 1
    validation, _ = read_events(tmp_path / "validation")
    val = {(s, t): float(v) for s, t, _, v in validation}
    assert val[1, "epoch_loss"] == pytest.approx(history.history["val_loss"][1])


def test_tensorboard_batch_updates(net, Simulator, tmp_path):
    board = TensorBoard(log_dir=str(tmp_path), update_freq="batch", write_graph=False)
    with Simulator(net, minibatch_size=2) as sim:
        fit(sim, net, [board], epochs=1)
    train, graphs = read_events(tmp_path / "train")
    batch_steps = sorted(s for s, t, _, _ in train if t == "batch_loss")
    assert batch_steps == [1, 2]  # two minibatches of 2
    assert graphs == 0


def test_callbacks_module_names():
    """``nengo_dl.callbacks`` holds the three callbacks, as in NengoDL 3."""
    assert nengo_dl.callbacks.NengoSummaries is summaries.NengoSummaries
    assert nengo_dl.callbacks.TensorBoard is summaries.TensorBoard
    assert issubclass(nengo_dl.callbacks.IsolateState, keras.callbacks.Callback)
