"""Long runs in the RunPanel: chunks, progress, Stop, and bounded plot data."""

import time

import nengo
import numpy as np
import pytest

from nengodl_notebook.widgets import RunPanel
from nengodl_notebook.widgets.decimate import MAX_POINTS, minmax_decimate
from nengodl_notebook.widgets.sim_access import sim_lock

# -- minmax_decimate -----------------------------------------------------------------


def test_short_series_are_unchanged():
    x = np.arange(10.0)
    y = np.sin(x)
    dx, dy = minmax_decimate(x, y, max_points=10)
    assert np.array_equal(dx, x) and np.array_equal(dy, y)


@pytest.mark.parametrize("n", [2001, 10_000, 100_003])
def test_long_series_keep_their_envelope(n):
    rng = np.random.RandomState(n)
    x = np.arange(n) * 0.001
    y = np.cumsum(rng.randn(n, 3), axis=0)
    y[n // 3, 1] = 1e3  # a single spike must survive
    dx, dy = minmax_decimate(x, y, max_points=1000)
    assert len(dx) <= 1000 and dy.shape == (len(dx), 3)
    assert np.all(np.diff(dx) >= 0)
    assert dx[0] == x[0] and dx[-1] == x[-1]
    assert np.array_equal(dy.max(axis=0), y.max(axis=0))
    assert np.array_equal(dy.min(axis=0), y.min(axis=0))
    # every kept value is one of its line's values
    for j in range(3):
        assert np.isin(dy[:, j], y[:, j]).all()


def test_min_and_max_keep_their_order_in_each_bucket():
    x = np.arange(8.0)
    y = np.array([0, 5, 1, 2, 9, 3, -4, 1.0])  # buckets of 4 at max_points=4
    dx, dy = minmax_decimate(x, y, max_points=4)
    assert np.array_equal(dx, [0, 3, 4, 7])
    assert np.array_equal(dy, [0, 5, 9, -4])  # rising bucket, then falling


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="x has 3 points but y has 2"):
        minmax_decimate(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match="max_points must be at least 2"):
        minmax_decimate(np.arange(3), np.arange(3), max_points=1)


def wait_for(condition, timeout):
    end = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < end:
        time.sleep(0.01)
    return condition()


# -- the panel ------------------------------------------------------------------------


@pytest.fixture
def net():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(lambda t: np.sin(10 * t))
        ens = nengo.Ensemble(20, 1)
        nengo.Connection(stim, ens)
        net.stim_p = nengo.Probe(stim)
        net.ens_p = nengo.Probe(ens, synapse=0.01)
    return net


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, seed=0) as sim:
        yield sim


def test_a_long_run_sends_bounded_lines_and_keeps_the_full_data(net, sim):
    panel = RunPanel(sim, run_time=20.0)
    panel.probe_select.value = (0, 1)
    assert panel.run()  # in the foreground when called, not clicked
    assert sim.n_steps == 20_000 and sim.data[net.stim_p].shape == (20_000, 1)
    for probe in (net.stim_p, net.ens_p):
        lines = panel.probe_lines[probe]
        assert 0 < len(lines.x) <= MAX_POINTS
        assert np.atleast_2d(lines.y).shape[-1] == len(lines.x)
        t, y = panel.probe_values(probe)
        assert y.shape == (20_000, 1)  # the panel's own copy is complete too
        assert lines.y.max() == y.max() and lines.y.min() == y.min()
    assert panel.progress.value == panel.progress.max == 20_000
    assert panel.status.value.startswith("Ran 20000 steps")
    assert not panel.run_button.disabled and panel.stop_button.disabled


def test_clicked_runs_go_in_the_background_and_stop(net, sim):
    panel = RunPanel(sim, run_time=100.0)
    panel.run_button.click()
    assert panel.running and panel.run_button.disabled
    assert not panel.stop_button.disabled
    assert not panel.run()  # one run at a time
    assert wait_for(lambda: panel.progress.value > 0, 60)  # progress is shown
    panel.stop_button.click()
    assert panel.wait(60)
    assert panel.status.value.startswith("Stopped after")
    assert 0 < sim.n_steps < 100_000
    assert panel.probe_values(net.stim_p)[1].shape == (sim.n_steps, 1)
    assert not sim_lock(sim).locked()  # the Simulator is free again
    panel.run_time.text.value = "0.5"
    panel.run_button.click()
    assert panel.wait(60) and sim.n_steps == 500
    np.testing.assert_allclose(
        sim.data[net.stim_p][:, 0], np.sin(10 * sim.trange()), atol=1e-6
    )


def test_a_failing_run_is_reported_and_frees_the_simulator(Simulator):
    def fail_late(t):
        if t > 1.5:
            raise RuntimeError("the input broke")
        return t

    with nengo.Network() as net:
        nengo.Probe(nengo.Node(fail_late))
    with Simulator(net) as sim:
        panel = RunPanel(sim, run_time=3.0)
        panel.run_button.click()
        assert panel.wait(60)
        assert "Run failed: RuntimeError: the input broke" in panel.message.value
        assert not sim_lock(sim).locked() and not panel.run_button.disabled
        assert sim.n_steps == 1000  # the chunks before the failure are kept


def test_closing_stops_a_run(sim):
    panel = RunPanel(sim, run_time=100.0)
    panel.run_button.click()
    panel.close()
    assert not panel.running and not sim_lock(sim).locked()
