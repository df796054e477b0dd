"""Live runs: the engine (chunks in a thread, steering, pause, reset) and its panel."""

import time

import nengo
import numpy as np
import pytest
from nengo.exceptions import SimulationError, ValidationError
from tutorial_nets import build_tutorial_network

import nengodl_notebook
from nengodl_notebook.widgets import Live, LivePanel, RunPanel
from nengodl_notebook.widgets.live_engine import LiveEngine, ProbeWindow, input_range
from nengodl_notebook.widgets.live_panel import MAX_POINTS
from nengodl_notebook.widgets.sim_access import sim_lock

CHUNK = 0.05  # s: the engine's default 50 steps (the panel's 40 are shorter)


@pytest.fixture
def tutorial(Simulator):
    """The tutorial network, its Simulator (batch of 2) and a fast engine."""
    tn = build_tutorial_network()
    with Simulator(tn.net, minibatch_size=2) as sim:
        engine = LiveEngine(sim, real_time=False)
        yield tn, sim, engine
        engine.stop()


def after(engine, probe, t):
    """Window rows of ``probe`` later than ``t``: ``(times, (mb, n, size))``."""
    times, values = engine.window_data(probe)
    return times[times > t + 1e-9], values[:, times > t + 1e-9]


def test_slider_changes_the_decoded_value_within_half_a_second(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(0.3)
    engine.set_input(tn.inpt, 0.8)
    t_set = engine.time  # the chunk in progress may still use the old value
    engine.wait_for(t_set + CHUNK + 0.5)
    engine.pause()
    _, before = engine.window_data(tn.inpt_p)
    assert np.ptp(before[0, :250]) > 0.05  # the WhiteSignal of its own output
    times, inp = after(engine, tn.inpt_p, t_set + CHUNK)
    assert np.all(inp == np.float32(0.8))
    times, out = after(engine, tn.outpt_p, t_set + CHUNK)
    at_half = out[:, np.searchsorted(times, t_set + CHUNK + 0.5) - 1, 0]
    assert np.allclose(at_half, np.sin(0.8**2), atol=0.15), at_half


def test_one_batch_item_is_steered_alone(tutorial):
    tn, sim, engine = tutorial
    engine.set_input(tn.inpt, [-0.5], item=1)
    assert engine.mode(tn.inpt) == "slider"
    assert engine.input_value(tn.inpt, 0) == 0
    assert engine.input_value(tn.inpt, 1) == -0.5
    engine.start()
    engine.wait_for(0.2)
    engine.pause()
    _, inp = engine.window_data(tn.inpt_p)
    assert np.all(inp[1] == np.float32(-0.5))
    assert np.all(inp[0] == 0)  # held value of item 0, not its own output
    engine.set_input(tn.inpt, 0.25)  # all items
    t = engine.time
    engine.resume()
    engine.wait_for(t + 0.1)
    _, inp = after(engine, tn.inpt_p, t)
    assert np.all(inp == np.float32(0.25))


def test_own_output_mode_gives_the_node_its_output_back(tutorial):
    tn, sim, engine = tutorial
    engine.set_input(tn.inpt, 0.8)
    engine.start()
    engine.wait_for(0.1)
    engine.set_mode(tn.inpt, "own")
    t = engine.time
    engine.wait_for(t + CHUNK + 0.3)
    engine.pause()
    _, inp = after(engine, tn.inpt_p, t + CHUNK)
    assert not np.any(inp == np.float32(0.8))
    assert np.ptp(inp[0]) > 0.05  # the WhiteSignal again


def test_pause_stops_the_time_axis_and_resume_continues(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(0.2)
    engine.pause()
    t, (times, _) = engine.time, engine.window_data(tn.outpt_p)
    time.sleep(0.3)
    assert engine.time == t and engine.window_data(tn.outpt_p)[0][-1] == times[-1]
    assert engine.running and engine.paused
    engine.resume()
    engine.wait_for(t + 0.2)
    assert engine.window_data(tn.outpt_p)[0][-1] > t


def test_no_program_is_built_while_running_and_steering(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(CHUNK)
    built = engine.programs_built
    assert built >= 1
    for i, value in enumerate(np.linspace(-1, 1, 8)):
        engine.set_input(tn.inpt, value, item=i % 2)
        engine.wait_for(engine.time + CHUNK)
        engine.set_mode(tn.inpt, "own" if i % 3 == 0 else "slider")
        engine.wait_for(engine.time + CHUNK)
    assert engine.programs_built == built
    engine.stop()
    sim.run_steps(7, progress_bar=False)  # another length: the count sees it
    assert engine.programs_built == built + 1


def test_reset_goes_back_to_time_zero(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(2.5)
    engine.real_time = True  # (a window of 2 s of simulated time lasts 2 s)
    engine.reset()
    t, _ = engine.window_data(tn.outpt_p)
    assert len(t) == 0 or t[0] == pytest.approx(sim.dt)  # rows from time 0 on
    engine.pause()
    assert engine.time < 2.5
    engine.reset()  # while paused
    assert engine.time == 0 and len(engine.window_data(tn.outpt_p)[0]) == 0
    engine.resume()
    engine.wait_for(0.1)


def test_memory_stays_bounded(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net) as sim:
        engine = LiveEngine(sim, window=0.2, real_time=False)
        engine.start()
        engine.wait_for(1.0)
        engine.stop()
        t, values = engine.window_data(tn.outpt_p)
        assert values.shape == (1, 200, 1) and len(t) == 200
        assert np.allclose(np.diff(t), sim.dt) and t[-1] == pytest.approx(sim.time)
        assert len(sim.data[tn.outpt_p]) == 0  # rows cleared after each chunk


def test_probe_window_keeps_the_last_seconds():
    w = ProbeWindow(period=0.01, window=0.05)
    w.add(np.arange(3.0).reshape(1, 3, 1), end_time=0.03)
    w.add(np.arange(3.0, 7.0).reshape(1, 4, 1), end_time=0.07)
    assert np.allclose(w.t, [0.03, 0.04, 0.05, 0.06, 0.07])
    assert np.array_equal(w.values[0, :, 0], [2, 3, 4, 5, 6])


def test_bad_input_is_refused_and_the_run_goes_on(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(CHUNK)
    with pytest.raises(ValidationError, match="is not an input Node"):
        engine.set_input(tn.outpt, 0.5)  # size_in=1
    with pytest.raises(ValidationError, match="must be 1 finite number"):
        engine.set_input(tn.inpt, [0.1, 0.2])
    with pytest.raises(ValidationError, match="must be 1 finite number"):
        engine.set_input(tn.inpt, np.nan)
    with pytest.raises(ValidationError, match=r"integer in 0\.\.1, got 2"):
        engine.set_input(tn.inpt, 0.1, item=2)
    with pytest.raises(ValidationError, match="mode of .* must be one of"):
        engine.set_mode(tn.inpt, "sliders")
    with pytest.raises(ValidationError, match="not a probe of the live network"):
        engine.window_data(nengo.Probe(tn.sin, add_to_container=False))
    assert engine.mode(tn.inpt) == "own"
    engine.wait_for(engine.time + 0.1)  # still running
    with pytest.raises(ValidationError, match="chunk_steps must be a positive"):
        LiveEngine(sim, chunk_steps=0)
    with pytest.raises(ValidationError, match="window must be a positive"):
        LiveEngine(sim, window=float("nan"))


def test_a_busy_simulator_is_not_started_twice(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    with pytest.raises(SimulationError, match="busy"):
        LiveEngine(sim).start()
    panel = RunPanel(sim)
    panel.run_button.click()  # refused, says so
    assert "busy" in panel.message.value
    panel.close()


def test_stop_leaves_the_simulator_usable(tutorial):
    tn, sim, engine = tutorial
    engine.start()
    engine.wait_for(0.2)
    engine.stop()
    t = sim.time
    assert not engine.running and not sim.closed
    sim.run_steps(10, progress_bar=False)
    assert sim.time == pytest.approx(t + 10 * sim.dt)
    assert sim.data[tn.outpt_p].shape == (2, 10, 1)
    engine.start()  # again, from where it is
    engine.wait_for(sim.time + 0.1)


def test_a_failing_run_stops_with_its_error(Simulator):
    def fail_late(t, x):
        if t > 0.12:
            raise RuntimeError("bad node")
        return x

    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5])
        node = nengo.Node(fail_late, size_in=1)
        nengo.Connection(stim, node, synapse=None)
        nengo.Probe(node)
    with Simulator(net) as sim:
        engine = LiveEngine(sim, real_time=False)
        engine.start()
        with pytest.raises(SimulationError, match="bad node"):
            engine.wait_for(1.0)
        assert not engine.running and isinstance(engine.error, Exception)
        assert sim.time == pytest.approx(0.1)  # the failed chunk is not applied
        lock = sim_lock(sim)  # free again for the other panels
        assert lock.acquire(blocking=False)
        lock.release()


def test_input_range_comes_from_the_nodes_output():
    with nengo.Network():
        const = nengo.Node([0.2, -3.0])
        func = nengo.Node(lambda t: 2.5 * np.sin(10 * t))
        white = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.6))
    assert input_range(const, 0.001) == (-3.6, 3.6)
    low, high = input_range(func, 0.001)
    assert low == -high and 2.5 < high <= 3.1
    sample = white.output.run(1.0, dt=0.001, rng=np.random.RandomState(0))
    low, high = input_range(white, 0.001)
    assert low == -high and 1.2 * np.abs(sample).max() <= high
    assert high < 1.2 * np.abs(sample).max() + 0.1 and high > 1.0


# -- the panel -----------------------------------------------------------------------


def test_live_is_the_panel():
    assert nengodl_notebook.Live is Live is LivePanel


def test_panel_runs_steers_and_pauses(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net, minibatch_size=2) as sim:
        panel = LivePanel(sim, real_time=False)
        assert [s.description for s in panel.sliders[tn.inpt]] == [""]
        panel.speed.value = "real time"
        assert panel.engine.real_time
        panel.speed.value = "as fast as possible"
        panel.start_button.click()
        assert panel.start_button.description == "Pause"
        panel.engine.wait_for(0.2)
        panel.batch_item.value = 1
        panel.sliders[tn.inpt][0].value = 0.7
        assert panel.modes[tn.inpt].value == "slider"
        assert panel.engine.input_value(tn.inpt, 1) == pytest.approx(0.7)
        assert panel.engine.input_value(tn.inpt, 0) == 0
        t = panel.engine.time
        panel.engine.wait_for(t + CHUNK + 0.2)
        panel.start_button.click()
        assert panel.start_button.description == "Resume" and panel.engine.paused
        assert "x real time" in panel.status.value
        lines, x_scale = panel.plots[tn.inpt_p].lines, panel.plots[tn.inpt_p].x_scale
        assert lines.x[-1] == pytest.approx(panel.engine.time)
        assert np.atleast_2d(lines.y)[0, -1] == pytest.approx(0.7)  # item 1 shown
        assert x_scale.max == pytest.approx(panel.engine.time)
        panel.batch_item.value = 0  # the sliders show item 0's value
        assert panel.sliders[tn.inpt][0].value == 0
        panel.modes[tn.inpt].value = "own output"
        assert panel.engine.mode(tn.inpt) == "own"
        panel.reset_button.click()
        assert panel.engine.time == 0
        assert panel.redraws > 0
        panel.close()
        assert not sim.closed and not panel.engine.running


def test_panel_from_a_network_owns_its_simulator():
    tn = build_tutorial_network()
    panel = nengodl_notebook.Live(tn.net, ranges={tn.inpt: (-2, 2)})
    assert (panel.sliders[tn.inpt][0].min, panel.sliders[tn.inpt][0].max) == (-2, 2)
    assert panel.batch_item.layout.display == "none"  # no minibatch
    panel.start()
    panel.engine.wait_for(0.1)
    panel.close()
    assert panel.sim.closed


def test_panel_plots_at_most_max_points_ending_at_the_newest(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net) as sim:
        panel = LivePanel(sim, window=1.2, real_time=False)
        panel.engine.start()
        panel.engine.wait_for(1.3)
        panel.engine.pause()
        panel.redraw()
        lines = panel.plots[tn.outpt_p].lines
        t, values = panel.engine.window_data(tn.outpt_p)
        assert len(t) == 1200 and len(lines.x) == 400 <= MAX_POINTS
        assert lines.x[-1] == t[-1]
        assert np.atleast_2d(lines.y)[0, -1] == values[0, -1, 0]
        panel.close()
