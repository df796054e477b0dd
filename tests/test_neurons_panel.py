"""The Dashboard's Neurons tab, its probes, build failures and re-run cells.

The neuron data is compared with nengo.Simulator's for the same network and
seed; the user's network must come out of a Dashboard exactly as it went in.
"""

import time

import nengo
import numpy as np
import pytest
from nengo.utils.ensemble import tuning_curves
from tutorial_nets import training_network
from unsupported import UnknownNode

import nengodl_notebook
from nengodl_notebook import NotSupportedError
from nengodl_notebook.config import trainable_objects
from nengodl_notebook.widgets import Dashboard
from nengodl_notebook.widgets.neuron_probes import (
    MAX_ENSEMBLES,
    VALUE_SYNAPSE,
    raster_points,
)

MB = 2


def small_net(n_neurons=12):
    with nengo.Network(seed=1) as net:
        net.inp = nengo.Node(lambda t: np.sin(8 * t), label="in")
        net.ens = nengo.Ensemble(n_neurons, 1, label="a")
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, net.ens)
        nengo.Connection(net.ens, net.out)
        net.p = nengo.Probe(net.out, synapse=0.01)
    return net


def state_of(net):
    """What a Dashboard must leave unchanged: objects of every kind and config."""
    kinds = [net.all_probes, net.all_ensembles, net.all_nodes, net.all_connections]
    trainable = trainable_objects(net)  # first: reading the config fills it lazily
    return (
        [list(k) for k in kinds],
        [list(n.probes) for n in [net] + net.all_networks],
        list(net.networks),
        list(net.config.params),
        trainable,
    )


def params_dict(params):
    return {k: np.array(v) for k, v in params.items()}


def same_params(a, b):
    a, b = params_dict(a), params_dict(b)
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# -- the user's network ---------------------------------------------------------------


def test_network_unchanged_and_probes_only_in_the_model():
    net = training_network(n_neurons=15)
    before = state_of(net)
    d = Dashboard(net, minibatch_size=MB, n_steps=50, update_interval=0.05)
    try:
        assert state_of(net) == before
        recorded = [p for r in d.records for p in r.probes]
        assert len(recorded) == 2 * len(net.all_ensembles)
        assert set(d.sim.model.probes) == set(net.all_probes) | set(recorded)
        assert d.run_panel.probes == net.all_probes  # the panels show the user's
        d.network_view.set_trainable(net.out_conn, True)  # rebuilt at the next use
        assert d.sim.model.probes[-len(recorded) :] == recorded
        assert d.n_builds == 2
        assert state_of(net)[:4] == before[:4]
    finally:
        d.close()


def test_recording_bounds_and_user_probes_unaffected():
    with nengo.Network(seed=2) as net:
        inp = nengo.Node(nengo.processes.WhiteSignal(1, high=5))
        big = nengo.Ensemble(105, 1)
        nengo.Connection(inp, big)
        for _ in range(MAX_ENSEMBLES):
            nengo.Ensemble(3, 1)
        p = nengo.Probe(big, synapse=0.01)
    d = Dashboard(net, minibatch_size=MB, record_neurons=20)
    try:
        assert len(d.records) == MAX_ENSEMBLES
        assert list(d.records[0].neurons) == list(range(0, 105, 6))  # 18 spread
        d.sim.run_steps(100)
        plain = d.sim.data[p].copy()
    finally:
        d.close()
    # unfiltered probes add no process: the white noise draws the same seed
    with nengodl_notebook.Simulator(
        net, seed=0, minibatch_size=MB, progress_bar=False
    ) as sim:
        sim.run_steps(100)
        # float32 round-off of other operator groupings only
        np.testing.assert_allclose(sim.data[p], plain, atol=1e-6)
    d = Dashboard(net, minibatch_size=MB, record_neurons=0)
    try:
        assert d.records == [] and d.sim.model.probes == [p]
    finally:
        d.close()


# -- what the Neurons tab shows ----------------------------------------------------


def test_neuron_data_matches_nengo():
    net = small_net()
    d = Dashboard(net, minibatch_size=MB, seed=0)
    try:
        panel = d.neurons_panel
        assert panel.data() is None  # nothing chosen yet
        assert panel.select(net.ens) and panel.record.ensemble is net.ens
        panel.redraw()
        assert panel.message.value.startswith("No run yet")
        d.sim.run_steps(300)
        data = panel.data(item=1)
        panel.redraw()
        assert "12 of 12 neurons" in panel.message.value
        assert len(panel.raster_mark.x) == len(data["raster"][0]) > 0
    finally:
        d.close()
    with net:
        spikes = nengo.Probe(net.ens.neurons)
        value = nengo.Probe(net.ens, synapse=None)
    with nengo.Simulator(net, seed=0, progress_bar=False) as ref:
        ref.run_steps(300)
        counts = np.rint(ref.data[spikes] * ref.dt)
        times, rows = ref.trange()[np.nonzero(counts)[0]], np.nonzero(counts)[1]
        x_ref, rates_ref = tuning_curves(net.ens, ref)
        value_ref = nengo.Lowpass(VALUE_SYNAPSE).filt(
            ref.data[value], dt=ref.dt, y0=0, axis=0
        )
    got_times, got_rows, every = data["raster"]
    assert every == 1
    order = np.lexsort((got_times, got_rows))
    np.testing.assert_allclose(got_times[order], times[np.lexsort((times, rows))])
    np.testing.assert_array_equal(got_rows[order], np.sort(rows))
    np.testing.assert_allclose(data["rates"], counts.sum(axis=0) / 0.3)
    centers, hist, edges = data["histogram"]
    assert hist.sum() == 12
    assert np.array_equal(hist, np.histogram(counts.sum(axis=0) / 0.3, edges)[0])
    np.testing.assert_allclose(data["curves"][0], x_ref[:, 0])
    np.testing.assert_allclose(data["curves"][1], rates_ref, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(data["value"], value_ref, atol=2e-3)


def test_raster_is_thinned_evenly():
    dt = 0.001
    spikes = np.zeros((1000, 3))
    spikes[::2, 0] = spikes[::10, 1] = 1 / dt  # 500 + 100 spikes
    times, rows, every = raster_points(spikes, np.arange(1000) * dt, dt, 200)
    assert every == 4 and len(times) <= 200  # 3 would keep 167 + 34
    assert np.sum(rows == 0) == 125 and np.sum(rows == 1) == 25
    np.testing.assert_allclose(times[rows == 1], np.arange(0, 1, 0.04))
    assert np.sum(rows == 2) == 0


def test_click_on_ensemble_selects_it_and_health_table():
    net = small_net(n_neurons=20)
    with net:  # no input, intercepts above 0: never fires
        dead = nengo.Ensemble(5, 1, label="dead", intercepts=nengo.dists.Choice([0.5]))
    d = Dashboard(net, minibatch_size=MB)
    try:
        sim = d.sim
        sim.run_steps(200)
        view = d.network_view
        trainable = dict(trainable_objects(net))
        # a click in the view's "show neurons" mode
        view._handle_custom_msg({"type": "select", "id": view.id_for(dead)}, [])
        assert trainable_objects(net) == trainable  # not toggled
        panel = d.neurons_panel
        assert panel.record.ensemble is dead
        assert panel.message.value.startswith("dead: 5 of 5 neurons recorded")
        assert d._sim is sim  # read without a rebuild
        assert len(panel.rate_bars.y) == 10 and panel.rate_bars.y.sum() == 5
        rows = dict((r[0], r[1:]) for r in panel.health_rows())
        assert rows["dead"][0] == 5 and rows["dead"][2] == 5  # 5 dead of 5
        assert rows["a"][0] == 20 and rows["a"][2] < 20
        assert "<td>dead</td><td>5</td>" in panel.health_table.value
    finally:
        d.close()


# -- robustness ---------------------------------------------------------------------


def test_unsupported_part_gives_a_dashboard_with_a_message():
    net = small_net()
    with net:
        UnknownNode(np.zeros(2), label="mystery")
    before = state_of(net)
    d = Dashboard(net, minibatch_size=MB)
    try:
        assert "SimUnknown" in d.build_error and "'mystery'" in d.build_error
        assert "NotSupportedError" in d.build_error and "mystery" in d.status.value
        tab = d.widget.children[1]
        assert list(tab.titles)[0] == "Network"
        assert tab.children[0] is d.network_view
        assert "ens0" in [n["id"] for n in d.network_view.graph["nodes"]]
        for page in tab.children[2:]:
            assert "mystery" in page.value
        with pytest.raises(RuntimeError, match="mystery"):
            d.sim  # noqa: B018
        assert state_of(net) == before
    finally:
        d.close()
    with pytest.raises(NotSupportedError, match="SimUnknown"):
        nengodl_notebook.Simulator(net, progress_bar=False)  # the core still raises


def train_once(d, epochs=1):
    d.training_panel.epochs.set(epochs)
    assert d.training_panel.start()
    assert d.training_panel.join(120)
    assert d.training_panel.error.value == ""


def make_dashboard(net, **kwargs):
    return Dashboard(
        net,
        targets={net.nofilt_p: lambda t, x: np.sin(x**2)},
        minibatch_size=MB,
        n_steps=50,
        batch_size=16,
        epochs=1,
        update_interval=0.05,
        record_neurons=0,
        **kwargs,
    )


def test_rerun_keeps_runs_and_parameters():
    net = training_network(n_neurons=15)
    first = make_dashboard(net)
    fresh = first.sim.get_params()
    train_once(first)
    trained = first.sim.get_params()
    assert not same_params(trained, fresh)
    second = make_dashboard(net)  # the cell re-run
    try:
        assert first.closed and first._sim.closed
        assert same_params(second.sim.get_params(), trained)
        assert [r["label"] for r in second.training_panel.runs] == ["run 1"]
        labels = [s["label"] for s in second.compare_panel.snapshots]
        assert labels[0] == "before training" and labels[1].startswith("run 1")
        assert same_params(second.compare_panel.snapshots[0]["params"], fresh)
        assert "Continuing" in second.status.value
        train_once(second)
        assert second.training_panel.runs[-1]["label"].startswith("run 2")
    finally:
        second.close()
    third = make_dashboard(net, keep_previous=False)
    try:
        assert third.training_panel.runs == []
        assert same_params(third.sim.get_params(), fresh)
    finally:
        third.close()


def test_rerun_while_training_keeps_the_stopped_run():
    net = training_network(n_neurons=15)
    first = make_dashboard(net)
    first.training_panel.epochs.set(100000)
    assert first.training_panel.start()
    time.sleep(1.0)
    assert first.training_panel.running
    second = make_dashboard(net)
    try:
        assert first.closed and not first.training_panel.running
        (run,) = second.training_panel.runs
        assert run["stopped"]
        assert same_params(second.sim.get_params(), run["params"])
    finally:
        second.close()


def test_neuron_health_is_shown_live_during_training():
    net = small_net(n_neurons=20)
    with net:  # no input, intercepts above 0: never fires
        nengo.Ensemble(5, 1, label="dead", intercepts=nengo.dists.Choice([0.5]))
    d = Dashboard(
        net,
        minibatch_size=MB,
        targets={net.p: lambda t, x: x},
        batch_size=8,
        epochs=2,
        update_interval=0.05,
    )
    try:
        panel = d.training_panel
        seen = []
        panel.health.observe(lambda change: seen.append(change["new"]), "value")
        assert panel.start()
        assert panel.join(120) and panel.error.value == "", panel.error.value
        # before training, after epoch 1 (at least once while it ran), after epoch 2
        assert any("before training" in v for v in seen), seen
        assert "after epoch 2" in panel.health.value
        assert "<td>dead</td><td>5</td>" in panel.health.value  # 5 recorded
        assert "<td>0.0</td><td>5</td>" in panel.health.value  # rate 0, 5 dead
        assert "<td>a</td><td>20</td>" in panel.health.value
    finally:
        d.close()
