"""One Simulator, one user at a time: a second thread's call raises SimulatorBusy."""

import threading

import nengo
import numpy as np
import pytest

from nengodl_notebook.single_user import SimulatorBusy


def blocking_network(gate):
    """A network whose Python Node waits for ``gate`` at t = 5 ms."""

    def wait_at_5ms(t, x):
        if abs(t - 0.005) < 1e-9:
            gate.wait(10)
        return x

    with nengo.Network(seed=0) as net:
        stim = nengo.Node(nengo.processes.WhiteNoise(seed=1), size_out=1)
        ens = nengo.Ensemble(10, 1)
        node = nengo.Node(wait_at_5ms, size_in=1)
        nengo.Connection(stim, ens)
        nengo.Connection(ens, node)
        p = nengo.Probe(node)
    return net, p


@pytest.mark.filterwarnings("ignore:.*numpy_function")
@pytest.mark.filterwarnings("ignore:This model has Python functions")
def test_second_thread_gets_a_clear_error_and_data_stays_right(Simulator):
    gate = threading.Event()
    net, p = blocking_network(gate)
    with Simulator(net, seed=2) as sim, Simulator(net, seed=2) as clean:
        gate.set()
        clean.run_steps(20)
        clean.run_steps(10)
        gate.clear()
        worker = threading.Thread(target=sim.run_steps, args=(20,), name="worker")
        worker.start()
        try:
            while sim._user._thread is None:  # the worker holds the simulator
                worker.join(0.01)
            for call in (lambda: sim.run_steps(5), sim.reset, lambda: sim.run(0.01)):
                with pytest.raises(
                    SimulatorBusy, match=r"busy \(run\) in thread worker"
                ):
                    call()
        finally:
            gate.set()
            worker.join()
        assert sim.n_steps == 20
        sim.run_steps(10)  # usable again, and nothing was interleaved
        assert np.array_equal(sim.data[p], clean.data[p])


def test_nested_calls_on_one_thread_are_allowed(Simulator):
    """A training callback may use the simulator it is called from."""
    import keras

    import nengodl_notebook

    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(10, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(inp, ens)
        nengo.Connection(ens, out)
        p = nengo.Probe(out)
    data = {inp: np.ones((4, 1, 1)), p: np.zeros((4, 1, 1))}
    losses = []

    class LossEachEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            losses.append(sim.loss(data, objective={p: nengodl_notebook.obj.mse}))

    with Simulator(net, minibatch_size=2) as sim:
        sim.train(
            data,
            keras.optimizers.Adam(1e-3),
            objective={p: nengodl_notebook.obj.mse},
            n_epochs=2,
            callbacks=[LossEachEpoch()],
        )
    assert len(losses) == 2


@pytest.mark.filterwarnings("ignore:.*numpy_function")
@pytest.mark.filterwarnings("ignore:This model has Python functions")
def test_close_from_another_thread_does_not_raise(Simulator):
    """Closing (a dashboard closing its Simulator) never fails: the running call
    finishes, later calls raise SimulatorClosed."""
    from nengo.exceptions import SimulatorClosed

    gate = threading.Event()
    net, p = blocking_network(gate)
    sim = Simulator(net, seed=2)
    worker = threading.Thread(target=sim.run_steps, args=(20,))
    worker.start()
    try:
        while sim._user._thread is None:
            worker.join(0.01)
        sim.close()
    finally:
        gate.set()
        worker.join()
    assert sim.n_steps == 20 and sim.data[p].shape == (20, 1)
    with pytest.raises(SimulatorClosed):
        sim.run_steps(1)
