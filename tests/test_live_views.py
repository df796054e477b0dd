"""Live mode's XY views, spike raster and rates, and the Dashboard's Live tab
(issue 18, items 1 and 3), without a browser: what the widgets hold."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from tutorial_nets import training_network

import nengodl_notebook as nengo_dl
from nengodl_notebook.widgets import Dashboard, LivePanel
from nengodl_notebook.widgets.live_views import (
    MAX_LIVE_SPIKES,
    NO_RECORDS,
    grown_limit,
    window_points,
)
from nengodl_notebook.widgets.neuron_probes import (
    ensemble_records,
    firing_rates,
    raster_points,
    recording_probes,
)

MB = 2


def circle_net():
    """A 2-D path of radius 1.5 (a Node and an ensemble of it), two ensembles of
    different sizes, and a 1-D probe."""
    with nengo.Network(seed=1) as net:
        net.inp = nengo.Node(lambda t: [1.5 * np.sin(8 * t), 1.5 * np.cos(8 * t)])
        net.big = nengo.Ensemble(20, 2, radius=1.5, label="big")
        net.small = nengo.Ensemble(10, 1, label="small")
        nengo.Connection(net.inp, net.big)
        nengo.Connection(net.big[0], net.small)
        net.inp_p = nengo.Probe(net.inp, label="input")
        net.big_p = nengo.Probe(net.big, synapse=0.01, label="big")
        net.small_p = nengo.Probe(net.small, synapse=0.01, label="small")
    return net


@pytest.fixture
def circle():
    net = circle_net()
    probes = list(net.probes)
    panel = LivePanel(net, real_time=False, window=0.5)
    assert net.probes == probes  # the recording probes were there for the build
    panel.start()
    panel.engine.wait_for(0.7)  # the window is full
    panel.pause()  # redraws
    yield net, panel
    panel.close()


def test_xy_views_show_the_windows_points(circle):
    net, panel = circle
    assert set(panel.xy_views) == {net.inp_p, net.big_p}  # the 2-D probes only
    assert panel.probes == [net.inp_p, net.big_p, net.small_p]  # not the records'
    for probe, view in panel.xy_views.items():
        t, values = panel.engine.window_data(probe)
        keep = window_points(len(t))
        assert len(t) == 500 and len(keep) == 500
        assert np.array_equal(view.lines.x, values[0, keep, 0])
        assert np.array_equal(view.lines.y, values[0, keep, 1])
    view = panel.xy_views[net.inp_p]
    assert view.limit == 2.0  # radius 1.5 left (-1, 1): grown to a round 2
    assert view.plot.scales["x"].min == -2.0 and view.plot.scales["y"].max == 2.0
    x_before = view.lines.x.copy()
    panel.resume()
    panel.engine.wait_for(panel.engine.time + 0.2)
    panel.pause()
    assert not np.array_equal(view.lines.x, x_before)  # scrolls
    assert view.limit == 2.0  # and the range stays


def test_grown_limit_is_round_and_only_grows():
    assert grown_limit(1.0, 0.5) == 1.0
    assert grown_limit(1.0, 1.5) == 2.0
    assert grown_limit(2.0, 1.9) == 2.0
    assert grown_limit(2.0, 3.0) == 5.0
    assert grown_limit(10.0, 90.0) == 200.0
    assert grown_limit(1.0, np.inf) == 1.0
    assert np.array_equal(window_points(1200, 500), np.arange(2, 1200, 3))


def test_raster_and_rates_are_neuron_probes_of_the_window(circle):
    net, panel = circle
    view = panel.neurons
    assert [r.ensemble for r in panel.records] == [net.big, net.small]
    assert view.record.ensemble is net.big  # the first, from the start
    for index, record in enumerate(panel.records):
        view.ensemble_select.value = index  # switching redraws
        t, values = panel.engine.window_data(record.spikes)
        times, rows, _ = raster_points(
            values[0], t, panel.sim.dt, max_points=MAX_LIVE_SPIKES
        )
        assert len(times) > 50
        assert np.array_equal(view.raster_mark.x, times.astype(np.float32))
        assert np.array_equal(view.raster_mark.y, rows)
        rates = firing_rates(values[0], panel.sim.dt, spiking=True)
        assert np.allclose(view.rate_bars.y, rates)
        assert len(view.rate_bars.x) == len(record.neurons) == record.ensemble.n_neurons
        assert view.rate_scale.max >= rates.max()
        assert view.raster_y.max == len(record.neurons) - 0.5
        assert record.ensemble.label in view.message.value
    panel.batch_item.value = None  # (no batch: item 0)
    assert panel.redraws > 2


def test_batch_items_show_their_own_spikes(Simulator):
    net = circle_net()
    records = ensemble_records(net)
    with recording_probes(net, records):
        sim = Simulator(net, minibatch_size=MB, progress_bar=False)
    with sim:
        panel = LivePanel(sim, real_time=False, records=records)
        panel.engine.set_input(net.inp, [0.0, 1.0], item=1)
        panel.start()
        panel.engine.wait_for(0.3)
        panel.pause()
        t, values = panel.engine.window_data(records[0].spikes)
        panel.batch_item.value = 1
        times, rows, _ = raster_points(values[1], t, sim.dt)
        assert np.array_equal(panel.neurons.raster_mark.x, times.astype(np.float32))
        assert not np.array_equal(values[0], values[1])
        panel.close()
        assert not sim.closed  # the panel did not build it


def test_a_simulator_without_records_says_why_the_view_is_empty(Simulator):
    net = circle_net()
    with Simulator(net, progress_bar=False) as sim:
        panel = LivePanel(sim, real_time=False)
        assert panel.records == [] and panel.neurons.record is None
        assert NO_RECORDS.split(":")[0] in panel.neurons.message.value
        panel.start()
        panel.engine.wait_for(0.1)  # runs and redraws without neurons
        panel.stop()
        panel.redraw()
        assert len(panel.neurons.raster_mark.x) == 0
        with pytest.raises(ValidationError, match="probes of <Ensemble 'big'> are"):
            LivePanel(sim, records=ensemble_records(net))
        panel.close()
        sim.run_steps(5, progress_bar=False)  # still usable


def target_fn(t, x):
    return np.sin(x**2)


@pytest.fixture
def dashboard():
    net = training_network(n_neurons=15)
    d = Dashboard(
        net,
        targets={net.out_p: target_fn, net.nofilt_p: target_fn},
        minibatch_size=MB,
        n_steps=200,
        batch_size=16,
        training_n_steps=1,
        epochs=3,
        update_interval=0.05,
    )
    yield d
    d.close()


def live_rows(panel, probe, value, seconds):
    """From time 0, the input held at ``value``: the window's rows of ``probe``."""
    panel.engine.set_input(panel.engine.nodes[0], value)
    panel.reset()
    panel.start()
    panel.engine.wait_for(seconds)
    panel.stop()
    return panel.engine.window_data(probe)[1]


def reference_rows(d, params, value, n_steps):
    """The same network and seed in a Simulator of its own, with ``params``."""
    with recording_probes(d.net, d.records):
        sim = nengo_dl.Simulator(
            d.net, seed=d.seed, minibatch_size=MB, progress_bar=False
        )
    with sim:
        sim.set_params(params)
        data = {d.net.inpt: np.full((MB, n_steps, 1), value)}
        sim.run_steps(n_steps, data=data, progress_bar=False)
        return sim.data[d.net.out_p]


def test_dashboard_live_tab_runs_with_the_trained_parameters(dashboard):
    d = dashboard
    tab = d.widget.children[1]
    assert list(tab.titles)[-1] == "Live" and tab.children[-1] is d.live_panel
    live = d.live_panel
    assert live.sim is d.sim and live.records == d.records
    assert live.probes == list(d.net.all_probes)
    initial = d.sim.get_params()
    d.training_panel.start_button.click()
    assert d.training_panel.join(60) and d.training_panel.error.value == ""
    trained = d.sim.get_params()
    rows = live_rows(live, d.net.out_p, 0.6, 0.3)
    n = rows.shape[1]
    assert np.allclose(rows, reference_rows(d, trained, 0.6, n)[:, :n], atol=1e-5)
    untrained = reference_rows(d, initial, 0.6, n)[:, :n]
    assert np.max(np.abs(rows - untrained)) > 1e-3
    assert len(live.neurons.raster_mark.x) > 0  # the dashboard's records


def test_training_and_the_live_run_do_not_collide(dashboard):
    d = dashboard
    live, training = d.live_panel, d.training_panel
    live.start_button.click()
    live.engine.wait_for(0.05)
    training.start_button.click()
    assert "busy" in training.message.value and not training.running
    live.stop_button.click()  # frees the Simulator
    assert not live.engine.running
    training.epochs.set(100000)
    training.start_button.click()
    live.start_button.click()
    assert "busy" in live.message.value and live.start_button.description == "Start"
    training.stop()
    assert training.join(10)
    live.start_button.click()
    live.engine.wait_for(live.engine.time + 0.05)
    assert live.message.value == ""


def test_the_live_tab_follows_a_rebuilt_simulator(dashboard):
    d = dashboard
    if d.network_view is None:
        pytest.skip("network_view.py not available yet")
    live, first = d.live_panel, d.sim
    live.engine.set_input(d.net.inpt, 0.3)
    d.network_view.set_trainable(d.net.out_conn, True)
    live.start()
    assert d.sim is not first and first.closed
    assert live.sim is d.sim and live.engine.sim is d.sim
    assert live.engine.mode(d.net.inpt) == "slider"
    assert live.engine.input_value(d.net.inpt) == 0.3
    live.engine.wait_for(0.1)
    _, inp = live.engine.window_data(d.net.inpt_p)
    assert np.all(inp == np.float32(0.3))


def test_dashboard_close_stops_the_live_run():
    net = training_network(n_neurons=10)
    d = Dashboard(net, minibatch_size=1, n_steps=100)
    d.live_panel.start()
    d.live_panel.engine.wait_for(0.05)
    sim = d.sim
    d.close()
    assert not d.live_panel.engine.running and sim.closed
    assert d.live_panel.start_button.comm is None  # closed
