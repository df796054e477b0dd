"""Simulator arguments are checked up front, and runs too big for memory refused.

Each bad argument gets a nengo exception naming the argument and what was
expected, at construction or at the call; afterwards the simulator (or a new
one) works.
"""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.builder import Model
from nengo.exceptions import SimulationError, ValidationError
from nengo.utils.progress import ProgressBar

from nengodl_notebook import validation


@pytest.fixture
def net():
    with nengo.Network(seed=0) as net:
        net.inpt = nengo.Node([0.3], label="stim")
        net.noise = nengo.Node(nengo.processes.WhiteNoise(), size_out=1, label="noise")
        net.ens = nengo.Ensemble(10, 1, label="ens")
        nengo.Connection(net.inpt, net.ens)
        nengo.Connection(net.noise, net.ens, transform=0.1)
        net.p = nengo.Probe(net.ens, synapse=0.01)
    return net


def works(sim, net, n=5):
    """The simulator runs and records ``n`` more steps."""
    before = sim.n_steps
    sim.run_steps(n)
    assert sim.n_steps == before + n
    assert np.all(np.isfinite(sim.data[net.p]))


def test_dtype_accepts_numpy_and_tensorflow_types(net, Simulator):
    for dtype, name in [
        (tf.float32, "float32"),
        (tf.float64, "float64"),
        (np.float32, "float32"),
        (np.dtype("float64"), "float64"),
    ]:
        with Simulator(net, dtype=dtype) as sim:
            assert sim.dtype == name
            works(sim, net)
            assert sim.data[net.p].dtype == np.dtype(name)


# None is not bad: it means configure_settings(dtype=...) or float32 (test_settings)
@pytest.mark.parametrize("dtype", [tf.float16, "float16", tf.int32, True, "abc"])
def test_bad_dtype(net, Simulator, dtype):
    with pytest.raises(ValidationError, match="dtype must be 'float32' or 'float64'"):
        Simulator(net, dtype=dtype)


@pytest.mark.parametrize(
    "dt, match",
    [
        ("0.001", "dt must be a number of seconds.*'0.001' of type str"),
        (None, "dt must be a number of seconds.*None"),
        (True, "dt must be a number of seconds.*True of type bool"),
        (0, "dt must be a positive, finite number of seconds \\(got 0.0\\)"),
        (-0.001, "dt must be a positive, finite.*-0.001"),
        (float("nan"), "dt must be a positive, finite.*nan"),
        (float("inf"), "dt must be a positive, finite.*inf"),
        (1e-30, "dt=1e-30 s is smaller than the smallest supported time step, 1e-09 s"),
    ],
)
def test_bad_dt(net, Simulator, dt, match):
    with pytest.raises(ValidationError, match=match) as info:
        Simulator(net, dt=dt)
    assert info.value.attr == "dt"
    with Simulator(net, dt=np.float64(0.002)) as sim:  # numpy floats are fine
        assert sim.dt == 0.002
        works(sim, net)


def test_network_must_be_a_network(net, Simulator):
    with pytest.raises(
        ValidationError, match="network must be a nengo.Network.*of type Ensemble"
    ):
        Simulator(net.ens)
    with pytest.raises(ValidationError, match="network is None and no model"):
        Simulator(None)
    with pytest.raises(ValidationError, match="model must be a nengo.builder.Model"):
        Simulator(net, model="model")
    model = Model(dt=0.001)
    model.build(net)
    with Simulator(None, model=model) as sim:  # a built model alone is fine
        works(sim, net)


@pytest.mark.parametrize("size", [True, False, 2.5, 2.0, "2", 0, -1])
def test_bad_minibatch_size(net, Simulator, size):
    with pytest.raises(
        ValidationError, match="minibatch_size must be a positive integer or None"
    ):
        Simulator(net, minibatch_size=size)
    with Simulator(net, minibatch_size=np.int64(2)) as sim:
        works(sim, net)
        assert sim.data[net.p].shape == (2, 5, 1)


class RecordingBar(ProgressBar):
    """A nengo ProgressBar that remembers the tasks it was shown."""

    def __init__(self):
        super().__init__()
        self.tasks = []

    def update(self, progress):
        self.tasks.append(progress.name_during)

    def close(self):
        pass


@pytest.mark.parametrize("bar", ["abc", 1, 0.5, object()])
def test_bad_progress_bar(net, Simulator, bar):
    with pytest.raises(
        ValidationError,
        match="progress_bar must be True, False, "
        "None or a nengo.utils.progress.ProgressBar",
    ):
        Simulator(net, progress_bar=bar)


def test_progress_bar_none_and_nengo_bars(net, Simulator, capsys):
    with Simulator(net, progress_bar=None) as sim:  # None: no bar, as in nengo
        works(sim, net)
    assert capsys.readouterr().out == ""
    bar = RecordingBar()
    with Simulator(net, progress_bar=bar) as sim:
        works(sim, net)
    assert "Simulating" in bar.tasks


@pytest.mark.parametrize(
    "seed, match",
    [
        (-1, "got -1\\)"),
        (2**32, "got 4294967296\\)"),
        (True, "True of type bool"),
        (1.5, "1.5 of type float"),
        ("1", "'1' of type str"),
    ],
)
def test_bad_seed(net, Simulator, seed, match):
    with pytest.raises(
        ValidationError,
        match=f"seed must be an integer in 0 ... 2\\*\\*32 - 1.*{match}",
    ):
        Simulator(net, seed=seed)
    with Simulator(net, seed=np.uint32(2**32 - 1)) as sim:
        assert sim.seed == 2**32 - 1
        works(sim, net)


def test_failed_reset_keeps_the_old_seed(net, Simulator):
    with Simulator(net, seed=3) as sim:
        sim.run_steps(20)
        first = sim.data[net.p].copy()
        for seed in (-1, 2**32, 2.5, True):
            with pytest.raises(ValidationError, match="seed must be an integer"):
                sim.reset(seed=seed)
            assert sim.seed == 3
            assert sim.n_steps == 20  # nothing was reset
        sim.reset()  # failed before: every later reset raised
        sim.run_steps(20)
        np.testing.assert_array_equal(sim.data[net.p], first)
        sim.reset(seed=np.int64(4))
        assert sim.seed == 4


@pytest.mark.parametrize(
    "n_steps, match",
    [
        (2.5, "integer \\(got 2.5\\)"),
        (np.float64(3.0), "integer"),
        ("3", "integer"),
        (True, "integer \\(got True\\)"),
        (0, "positive \\(got 0\\)"),
        (-2, "positive \\(got -2\\)"),
    ],
)
def test_predict_refuses_non_integer_steps(net, Simulator, n_steps, match):
    with Simulator(net, minibatch_size=2) as sim:
        with pytest.raises(ValidationError, match=f"n_steps must be.*{match}") as info:
            sim.predict(n_steps=n_steps)
        assert info.value.attr == "n_steps"
        assert sim.predict(n_steps=3)[net.p].shape == (2, 3, 1)


@pytest.fixture
def big_net():
    """Small to build, but 51 probed rows a step: 10**9 steps would be 400 GB."""
    with nengo.Network(seed=0) as net:
        net.inpt = nengo.Node(np.sin, label="stim")
        net.ens = nengo.Ensemble(50, 1)
        nengo.Connection(net.inpt, net.ens)
        net.p = nengo.Probe(net.ens, synapse=0.01)
        net.spikes = nengo.Probe(net.ens.neurons)
    return net


def test_run_too_big_for_memory_is_refused_before_it_starts(big_net, Simulator):
    with Simulator(big_net, minibatch_size=2) as sim:
        sim.run_steps(10)
        before = {p: sim.data[p].copy() for p in (big_net.p, big_net.spikes)}
        with pytest.raises(SimulationError) as info:
            sim.run_steps(10**9)
        message = str(info.value)
        # 51 rows x 2 items x 4 bytes x 10**9 steps kept; the loop's buffer and
        # the inputs are per chunk of 1000 steps (about 0.4 MB)
        assert "Running 1000000000 steps would need about 408 GB of memory" in message
        assert "probe data 408 GB" in message
        assert "available" in message
        for way_out in ("sample_every", "fewer", "sim.clear_probes()"):
            assert way_out in message
        with pytest.raises(SimulationError, match="would need about"):
            sim.run(1e6)  # seconds: 10**9 steps too
        assert sim.n_steps == 10
        for p, data in before.items():
            np.testing.assert_array_equal(sim.data[p], data)
        sim.run_steps(5)  # still usable
        assert sim.data[big_net.spikes].shape == (2, 15, 50)


def test_memory_check_uses_the_available_memory(big_net, Simulator, monkeypatch):
    with Simulator(big_net) as sim:
        one_run = validation.run_memory_estimate(sim._recorder, sim._inputs, 0, 1000)
        monkeypatch.setattr(validation, "available_memory", lambda: 2 * one_run.total)
        monkeypatch.setattr(validation, "MIN_CHECKED_BYTES", 0)
        sim.run_steps(1000)  # fits in 75% of twice that
        with pytest.raises(SimulationError, match="Running 4000 steps"):
            sim.run_steps(4000)  # kept probe data 4x, loop buffer per 1000 steps
        assert sim.n_steps == 1000


def test_run_memory_estimate_by_hand(Simulator):
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(lambda t: [t, 2 * t, 3 * t])
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(stim[0], ens)
        every = nengo.Probe(stim)  # 3 rows, every step
        nengo.Probe(ens.neurons, sample_every=0.005)  # 10 rows, every 5th step
    with Simulator(net, minibatch_size=2) as sim:
        n_columns = sim._inputs.n_columns
        assert n_columns == 3  # the function Node's output
        est = validation.run_memory_estimate(sim._recorder, sim._inputs, 3, 17)
        # steps 4..20: all 17 kept for `every`, steps 5, 10, 15, 20 for the spikes
        assert est.probe_data == (3 * 17 + 10 * 4) * 2 * 4
        assert est.probe_buffer == 17 * (3 + 10) * 2 * 4
        assert est.inputs == 17 * (2 * 3 * 2 * 4 + 16)
        assert est.total == est.probe_data + est.probe_buffer + est.inputs
        sim.run_steps(3)
        sim.clear_probes()
        sim.run_steps(17)
        probes = sim.model.probes
        kept = sum(sim.data[p].shape[1] * sim.data[p][0, 0].size for p in probes)
        assert kept * 2 * 4 == est.probe_data
        assert sim.data[every].shape == (2, 17, 3)


@pytest.mark.parametrize("sample_every", [None, 0.0005, 0.001, 0.0025, 0.004, 0.01])
def test_kept_steps_match_recorded_data(Simulator, sample_every):
    with nengo.Network(seed=0) as net:
        p = nengo.Probe(nengo.Node(1.0), sample_every=sample_every)
    with Simulator(net) as sim:
        period = sim._recorder.period(p)
        for start, steps in ((0, 7), (7, 30), (37, 1)):
            assert sim.n_steps == start
            n_before = len(sim.data[p])
            sim.run_steps(steps)
            kept = validation.kept_steps(period, start, steps)
            assert len(sim.data[p]) - n_before == kept


def test_small_runs_do_not_read_the_available_memory(big_net, Simulator, monkeypatch):
    def fail():
        raise AssertionError("available memory read for a small run")

    monkeypatch.setattr(validation, "available_memory", fail)
    with Simulator(big_net) as sim:
        sim.step()
        sim.run_steps(100)
        assert sim.n_steps == 101


def test_check_run_memory_message():
    est = validation.RunMemory(
        probe_data=2 * 10**9, probe_buffer=4 * 10**9, inputs=10**6
    )
    validation.check_run_memory(est, 100, available=10**10)  # 6 GB <= 7.5 GB: runs
    with pytest.raises(SimulationError) as info:
        validation.check_run_memory(est, 100, available=8 * 10**9)
    message = str(info.value)
    assert "Running 100 steps would need about 6 GB of memory" in message
    assert "probe data 2 GB" in message and "probe buffer 4 GB" in message
    assert "inputs 1 MB" in message
    assert "75% of the 8 GB available" in message


def test_available_memory_is_known_here():
    available = validation.available_memory()
    assert isinstance(available, int) and available > 0
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) * 1024 for line in f if "MemTotal" in line)
    assert available <= total
