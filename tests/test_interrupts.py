"""Runs that are interrupted (Ctrl-C) or fail leave a consistent Simulator.

After a ``KeyboardInterrupt`` or an error, time, every probe's data and every
random input stream are those of the last completed chunk, so that continuing
the run gives exactly what an uninterrupted run gives.
"""

import _thread
import threading
import time

import nengo
import numpy as np
import pytest
from nengo.exceptions import SimulationError

from nengodl_notebook import Simulator
from nengodl_notebook.run_chunks import ChunkLength, HeldInterrupt

TOTAL_STEPS = 6000


def noisy_network(fail_at=None):
    """WhiteNoise and WhiteSignal inputs, spiking neurons, probes with and without
    ``sample_every``; with ``fail_at``, a Node function raises from that time on
    until ``net.failing[0]`` is set to False."""
    with nengo.Network(seed=3) as net:
        net.failing = [fail_at is not None]
        noise = nengo.Node(nengo.processes.WhiteNoise(scale=False), size_out=2)
        signal = nengo.Node(nengo.processes.WhiteSignal(10, high=5), size_out=1)
        ens = nengo.Ensemble(
            60, 3, noise=nengo.processes.WhiteNoise(nengo.dists.Gaussian(0, 0.05))
        )
        nengo.Connection(noise, ens[:2], synapse=None)
        nengo.Connection(signal, ens[2], synapse=None)
        out = nengo.Node(size_in=3)
        nengo.Connection(ens, out, synapse=0.01)
        nengo.Probe(out)
        nengo.Probe(ens.neurons, sample_every=0.003)
        nengo.Probe(noise)
        if fail_at is not None:

            def check(t):
                if net.failing[0] and t > fail_at:
                    raise ValueError(f"input failed at t={t:.3f}")
                return np.sin(t)

            clock = nengo.Node(check)
            nengo.Connection(clock, ens[0], synapse=None)
    return net


def make_sim(net, chunk_steps, **kwargs):
    sim = Simulator(net, progress_bar=False, dtype="float64", **kwargs)
    sim._chunks = ChunkLength(initial=chunk_steps)
    return sim


def assert_consistent(sim, net):
    """Every probe holds exactly the samples of ``sim.n_steps`` steps."""
    steps = sim.n_steps
    assert len(sim.trange()) == steps
    for probe in net.probes:
        data = sim.data[probe]
        expected = len(sim.trange(sample_every=probe.sample_every))
        assert data.shape[-2] == expected, (probe, data.shape, steps)


def assert_same_data(sim, ref, net):
    assert sim.n_steps == ref.n_steps
    for probe in net.probes:
        np.testing.assert_array_equal(
            sim.data[probe], ref.data[probe], err_msg=str(probe)
        )


@pytest.fixture(scope="module")
def clean_run():
    """The data of an uninterrupted run, and how long the run took."""
    net = noisy_network()
    with make_sim(net, chunk_steps=100) as sim:
        sim.run_steps(TOTAL_STEPS)  # compiles the 100-step chunk
        sim.reset()
        start = time.perf_counter()
        sim.run_steps(TOTAL_STEPS)
        duration = time.perf_counter() - start
        data = {p: sim.data[p].copy() for p in net.probes}
    return net, data, duration


def interrupt_after(delay):
    timer = threading.Timer(delay, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_at_several_points_leaves_a_consistent_simulator(clean_run):
    net, clean, duration = clean_run
    stopped_early = 0
    with make_sim(net, chunk_steps=100) as sim:
        sim.run_steps(100)  # compile before timing
        for trial in range(10):
            sim.reset()
            timer = interrupt_after(duration * (0.1 + 0.08 * trial))
            try:
                try:
                    sim.run_steps(TOTAL_STEPS)
                finally:
                    timer.join()  # a late interrupt lands here, not in later code
            except KeyboardInterrupt as e:
                if sim.n_steps < TOTAL_STEPS:
                    stopped_early += 1
                    assert f"after step {sim.n_steps}" in str(e)
            assert sim.n_steps % 100 == 0  # a whole number of chunks
            assert_consistent(sim, net)
            for probe in net.probes:  # what was kept equals the clean run's start
                n = sim.data[probe].shape[-2]
                np.testing.assert_array_equal(sim.data[probe], clean[probe][:n])
            sim.run_steps(TOTAL_STEPS - sim.n_steps)  # continues as a clean run
            for probe in net.probes:
                np.testing.assert_array_equal(sim.data[probe], clean[probe])
    assert stopped_early >= 5  # most interrupts came in the middle of the run


def test_ctrl_c_with_minibatch_and_progress_bar(capsys):
    net = noisy_network()
    with make_sim(net, chunk_steps=50, minibatch_size=3) as sim:
        sim.run_steps(50)
        sim.reset()
        start = time.perf_counter()
        sim.run_steps(2000)
        duration = time.perf_counter() - start
        sim.reset()
        timer = interrupt_after(duration / 2)
        with pytest.raises(KeyboardInterrupt):
            try:
                sim.run_steps(2000, progress_bar=True)
                timer.join()
            finally:
                timer.join()
        assert_consistent(sim, net)
        stopped = sim.n_steps
        sim.run_steps(2000 - stopped)
        with make_sim(net, chunk_steps=50, minibatch_size=3) as ref:
            ref.run_steps(2000)
            assert_same_data(sim, ref, net)
    assert "Simulation interrupted" in capsys.readouterr().out


def test_failed_run_does_not_consume_random_inputs():
    """A Node that raises mid-run: the failing chunk is not applied, random
    streams (WhiteNoise, ensemble noise) are rewound, the next run is clean."""
    net = noisy_network(fail_at=0.25)
    with make_sim(net, chunk_steps=100) as sim:
        with pytest.raises(ValueError, match="input failed at t=0.251") as info:
            sim.run_steps(500)
        assert "stays at step 200" in "\n".join(info.value.__notes__)
        assert sim.n_steps == 200
        assert_consistent(sim, net)
        with pytest.raises(ValueError):  # again: still nothing consumed
            sim.run_steps(100)
        net.failing[0] = False
        sim.run_steps(300)
        with make_sim(net, chunk_steps=100) as ref:
            ref.run_steps(500)
            assert_same_data(sim, ref, net)


class NoisyGain(nengo.Process):
    """A process with an input and no TensorFlow implementation, drawing random
    numbers and keeping a state array in nengo's ``state`` dict."""

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        return {"total": np.zeros(shape_out)}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        total = state["total"]

        def step(t, x):
            total[...] += x + rng.normal(size=shape_out)
            return total * dt

        return step


def test_failed_run_rewinds_python_processes():
    """A failure inside the compiled loop (a Node with input) after a Python
    process drew random numbers for the same chunk."""
    with nengo.Network(seed=4) as net:
        net.failing = [True]
        stim = nengo.Node(nengo.processes.WhiteNoise(), size_out=1)
        noisy = nengo.Node(NoisyGain(default_size_in=1, default_size_out=1), size_in=1)
        nengo.Connection(stim, noisy, synapse=None)

        def watch(t, x):
            if net.failing[0] and t > 0.13:
                raise RuntimeError("watch failed")
            return x

        watcher = nengo.Node(watch, size_in=1)
        nengo.Connection(noisy, watcher, synapse=None)
        nengo.Probe(watcher)
        nengo.Probe(noisy)
    with pytest.warns(UserWarning, match="NoisyGain"):
        sim = make_sim(net, chunk_steps=50)
    with sim:
        with pytest.raises(RuntimeError, match="watch failed"):
            sim.run_steps(300)
        assert sim.n_steps == 100
        assert_consistent(sim, net)
        net.failing[0] = False
        sim.run_steps(200)
        with pytest.warns(UserWarning, match="NoisyGain"):
            ref = make_sim(net, chunk_steps=50)
        with ref:
            ref.run_steps(300)
            assert_same_data(sim, ref, net)


class Wrong(nengo.Process):
    """Returns two values more than its output has."""

    def make_step(self, shape_in, shape_out, dt, rng, state):
        return lambda t, *x: np.zeros(shape_out[0] + 2)


def test_input_process_of_the_wrong_size_is_named():
    with nengo.Network() as net:
        a = nengo.Node(Wrong(), size_out=2)
        nengo.Probe(a)
    with make_sim(net, chunk_steps=100) as sim:
        with pytest.raises(SimulationError, match="Wrong.*returned 4 values per step"):
            sim.run_steps(10)
        assert sim.n_steps == 0


def test_process_with_input_of_the_wrong_size_is_named():
    with nengo.Network() as net:
        a = nengo.Node([0.5, 0.2])
        b = nengo.Node(Wrong(default_size_in=2, default_size_out=2), size_in=2)
        nengo.Connection(a, b, synapse=None)
        nengo.Probe(b)
    with pytest.warns(UserWarning, match="Wrong"):
        sim = make_sim(net, chunk_steps=100)
    with sim:
        with pytest.raises(SimulationError, match="Wrong.*returned 4 values per step"):
            sim.run_steps(10)
        assert sim.n_steps == 0


def test_long_runs_are_chunked_and_shrink_when_slow():
    chunks = ChunkLength(initial=1000, target=0.25, slow=0.5)
    assert [chunks.next(r) for r in (2500, 1000, 3)] == [1000, 1000, 3]
    chunks.update(1000, 5.0)  # first call of a length compiles: not counted
    assert chunks.steps == 1000
    chunks.update(1000, 2.0)  # 8x too slow: three halvings
    assert chunks.steps == 125
    chunks.update(125, 0.3)  # under `slow`: kept
    assert chunks.steps == 125
    chunks.update(60, 10.0)  # a shorter remainder chunk: never counted
    assert chunks.steps == 125


def test_held_interrupt_is_raised_between_chunks_only():
    with HeldInterrupt() as held:
        _thread.interrupt_main()
        time.sleep(0.01)  # the handler runs here: only marks it pending
        assert held.pending
        with pytest.raises(KeyboardInterrupt, match="between chunks"):
            held.deliver("between chunks")
        held.deliver("nothing pending: no error")


def test_worker_thread_runs_are_not_affected():
    """Only the main thread handles signals: a run in a thread is not held."""
    net = noisy_network()
    results = []
    with make_sim(net, chunk_steps=100) as sim:

        def work():
            sim.run_steps(300)
            results.append(sim.n_steps)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert results == [300]
