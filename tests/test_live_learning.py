"""Learning while a live run goes on: PES online, and "train for N minibatches"."""

import threading

import nengo
import numpy as np
import pytest
from nengo.exceptions import SimulationError, ValidationError
from tutorial_nets import build_tutorial_network

import nengodl_notebook
from nengodl_notebook.training_run import TrainingDivergedWarning
from nengodl_notebook.widgets import LivePanel
from nengodl_notebook.widgets.live_engine import LiveEngine
from nengodl_notebook.widgets.live_training import NO_TARGETS, LiveTraining
from nengodl_notebook.widgets.sim_access import sim_lock

SEED = 3


def pes_channel(learning_rate=3e-4):
    """A communication channel learning identity with PES from zero decoders.

    The error Node (``post - stim``) drives the rule; probes ``stim_p``,
    ``post_p`` and ``error_p`` are attributes of the network.
    """
    with nengo.Network(seed=0) as net:
        net.stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.4))
        pre = nengo.Ensemble(60, 1)
        post = nengo.Ensemble(60, 1)
        nengo.Connection(net.stim, pre)
        conn = nengo.Connection(
            pre,
            post,
            function=lambda x: 0,
            learning_rule_type=nengo.PES(learning_rate=learning_rate),
        )
        error = nengo.Node(size_in=1)
        nengo.Connection(post, error)
        nengo.Connection(net.stim, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        net.stim_p = nengo.Probe(net.stim)
        net.post_p = nengo.Probe(post, synapse=0.01)
        net.error_p = nengo.Probe(error, synapse=0.01)
    return net


def run_live(engine, until):
    """Run ``engine`` (as fast as possible) to ``until`` s, then pause it."""
    engine.start()
    engine.wait_for(until)
    engine.pause()


def reference(net, n_steps):
    with nengo.Simulator(net, seed=SEED, progress_bar=False) as ref:
        ref.run_steps(n_steps)
        return {p: ref.data[p] for p in net.probes}


def test_live_pes_run_equals_nengo_and_the_error_falls():
    net = pes_channel()
    with nengodl_notebook.Simulator(net, seed=SEED, progress_bar=False) as sim:
        engine = LiveEngine(sim, chunk_steps=50, window=3.0, real_time=False)
        run_live(engine, 3.0)
        n_steps, built = sim.n_steps, engine.programs_built
        _, post = engine.window_data(net.post_p)
        _, error = engine.window_data(net.error_p)
        _, stim = engine.window_data(net.stim_p)
        engine.stop()
    ref = reference(net, n_steps)
    n = post.shape[1]
    assert n == 3000 and n_steps > n  # the last window, not the whole run
    assert np.allclose(post[0], ref[net.post_p][-n:], atol=1e-4)
    assert np.allclose(error[0], ref[net.error_p][-n:], atol=1e-4)
    # |error| / |stim| over the first and the last half second (1 at the start:
    # the decoders start at zero)
    rel = [
        np.abs(error[0, s]).mean() / np.abs(stim[0, s]).mean()
        for s in (slice(0, 500), slice(-500, None))
    ]
    assert rel[1] < 0.3 * rel[0], rel
    assert built == 1  # one program for all the chunks


def test_paused_call_changes_nothing_in_the_run():
    net = pes_channel()
    with nengodl_notebook.Simulator(net, seed=SEED, progress_bar=False) as sim:
        engine = LiveEngine(sim, chunk_steps=50, window=1.0, real_time=False)
        engine.start()
        engine.wait_for(0.5)
        times = []

        def call():  # two at once: one after the other, between chunks
            run = lambda s: (s.run_steps(77, progress_bar=False), s.time)[1]  # noqa: E731
            times.append(engine.paused_call(run))

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(times) == 2 and min(times) > 0.5  # the calls moved the sim on ...
        assert engine.error is None
        # a call waits for the chunk in progress, not for many more (a run as fast
        # as possible kept taking the Simulator back first: seconds of simulation)
        t0 = engine.time
        t1 = engine.paused_call(lambda s: s.time)
        assert t1 - t0 <= 0.5, (t0, t1)
        engine.wait_for(t1 + 0.5)  # ... and the run went on from where it was
        engine.pause()
        n_steps = sim.n_steps
        _, post = engine.window_data(net.post_p)
        engine.stop()
    ref = reference(net, n_steps)
    assert n_steps % 50 == 0
    assert np.allclose(post[0], ref[net.post_p][-post.shape[1] :], atol=1e-4)


def test_slider_steers_a_learning_network_and_learning_goes_on():
    net = pes_channel(learning_rate=1e-3)
    with nengodl_notebook.Simulator(net, seed=SEED, progress_bar=False) as sim:
        # a 3 s window keeps the samples just after each move even when the
        # engine runs on for a while between wait_for and pause (a busy machine)
        engine = LiveEngine(sim, chunk_steps=50, window=3.0, real_time=False)
        engine.start()
        engine.wait_for(0.1)
        built = engine.programs_built
        errors = []
        for value in [0.6, -0.6, 0.3]:
            engine.pause()  # the move then applies from a known time t
            engine.set_input(net.stim, value)
            t = engine.time
            engine.resume()
            engine.wait_for(t + 1.0)
            engine.pause()
            times, error = engine.window_data(net.error_p)
            _, post = engine.window_data(net.post_p)
            after_move = (times > t) & (times <= t + 0.1)
            last = times > times[-1] - 0.2
            errors.append(
                (np.abs(error[0, after_move]).max(), np.abs(error[0, last]).mean())
            )
            assert abs(post[0, -1, 0] - value) < 0.1, (value, post[0, -1])
            engine.resume()
        assert engine.programs_built == built
        engine.stop()
    # each move starts with a large error that learning then removes
    for start, end in errors:
        assert end < 0.25 * start, errors


@pytest.fixture
def live_tutorial(Simulator):
    """The tutorial network (ensembles trainable) running live, targets sin(x^2)."""
    tn = build_tutorial_network(n_neurons=30)
    with tn.net:
        nengodl_notebook.configure_settings(trainable=False)
        tn.net.config[nengo.Ensemble].trainable = True
    with Simulator(tn.net, minibatch_size=2) as sim:
        panel = LivePanel(
            sim,
            real_time=False,
            targets={tn.outpt_p: lambda t, x: np.sin(x**2)},
        )
        yield tn, sim, panel
        panel.close()


def test_training_in_live_mode_keeps_time_and_state(live_tutorial):
    tn, sim, panel = live_tutorial
    engine = panel.engine
    panel.start()
    engine.wait_for(0.3)
    built = engine.programs_built
    engine.pause()
    params = sim.get_params()
    state, t = sim.get_run_state(include_probes=False), engine.time
    engine.resume()  # trained while running: it pauses after the chunk
    run = panel.training.train(n_minibatches=10, learning_rate=0.01)
    assert run["after"] < run["before"]
    assert "&rarr;" in panel.training.result.value
    engine.pause()
    assert engine.time >= t
    if engine.time == t:  # no chunk between the pause and the training
        assert np.array_equal(
            sim.get_run_state(include_probes=False).state, state.state
        )
    new = sim.get_params()
    assert not all(np.array_equal(params[k], new[k]) for k in params)
    t = engine.time
    engine.resume()
    engine.wait_for(t + 0.2)  # the run goes on with the new parameters
    assert engine.programs_built == built


def test_training_continues_from_the_same_time_and_state(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net) as sim:
        engine = LiveEngine(sim, real_time=False)
        row = LiveTraining(engine, {tn.outpt_p: lambda t, x: np.sin(x**2)})
        run_live(engine, 0.2)
        before = sim.get_run_state(include_probes=False)
        with pytest.warns(TrainingDivergedWarning):  # Adam moves all decoders by ~lr
            run = row.train(n_minibatches=3, learning_rate=0.001)
        assert run["diverged"] and "try a learning rate of 0.0001" in row.result.value
        after = sim.get_run_state(include_probes=False)
        assert after.n_steps == before.n_steps
        assert np.array_equal(after.state, before.state)
        engine.stop()


def test_training_error_is_shown_and_the_live_run_goes_on(live_tutorial):
    tn, sim, panel = live_tutorial

    def bad_target(t, x):
        raise RuntimeError("no target today")

    panel.start()
    panel.engine.wait_for(0.1)
    panel.training.targets = {tn.outpt_p: bad_target}
    panel.training.start()  # the Train button's way: a thread
    panel.training.join()
    assert "no target today" in panel.training.result.value
    assert not panel.training.train_button.disabled
    t = panel.engine.time
    panel.engine.wait_for(t + 0.1)  # still running
    panel.training.targets = {tn.outpt_p: lambda t, x: np.sin(x**2)}
    panel.training.train(n_minibatches=2)  # and it trains now
    assert panel.training.error is None
    with pytest.raises(ValueError, match="train for N minibatches"):
        panel.training.train(n_minibatches=0)
    assert "out of range" in panel.training.result.value
    panel.engine.wait_for(panel.engine.time + 0.1)


def test_without_targets_the_row_says_what_is_needed(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net) as sim:
        panel = LivePanel(sim)
        assert panel.training in panel.children
        assert panel.training.result.value == NO_TARGETS
        assert panel.training.train_button.disabled
        with pytest.raises(ValidationError, match="targets"):
            panel.training.train()
        panel.close()
        other = nengo.Probe(tn.inpt, add_to_container=False)
        with pytest.raises(ValidationError, match="not a probe of the live"):
            LiveTraining(panel.engine, targets={other: 0})


def test_training_a_busy_simulator_is_refused_then_works(Simulator):
    tn = build_tutorial_network()
    with Simulator(tn.net) as sim:
        engine = LiveEngine(sim, real_time=False)  # not started
        row = LiveTraining(engine, {tn.outpt_p: lambda t, x: np.sin(x**2)})
        with sim_lock(sim):  # another panel uses the Simulator
            with pytest.raises(SimulationError, match="busy"):
                row.train(n_minibatches=2, learning_rate=1e-4)
        assert "busy" in row.result.value and row.error is not None
        run = row.train()  # free again
        assert row.error is None and run["n"] == 2  # the settings of the refused call
        assert sim.n_steps == 0  # training did not advance the run
