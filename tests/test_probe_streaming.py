"""Probe data on disk (``probe_dir``), ``keep_history=False`` and ``sample_every``
in ``sim.run``: same numbers as in RAM and as nengo.Simulator, less memory."""

import pickle

import nengo
import numpy as np
import pytest
from nengo.exceptions import SimulationError, ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.probe_files import load_probe_dir


def _stim(t):
    return np.sin(8 * t)


def _net(keep_history=None):
    with nengo.Network(seed=0) as net:
        if keep_history is not None:
            nengo_dl.configure_settings(keep_history=keep_history)
        stim = nengo.Node(_stim, label="stim")
        ens = nengo.Ensemble(40, 1)
        nengo.Connection(stim, ens)
        out = nengo.Probe(ens, synapse=0.01, label="out")
        spikes = nengo.Probe(ens.neurons, sample_every=0.003, label="spikes")
    return net, out, spikes


def _run(Simulator, net, times, **kwargs):
    with Simulator(net, seed=1, progress_bar=False, **kwargs) as sim:
        for t in times:
            sim.run(t)
        return {p: np.array(sim.data[p]) for p in sim.model.probes}


def test_streamed_equals_memory_and_nengo(Simulator, tmp_path):
    net, out, spikes = _net()
    with nengo.Simulator(net, seed=1, progress_bar=False) as ref:
        ref.run(0.5)
    memory = _run(Simulator, net, [0.2, 0.3])
    with Simulator(net, seed=1, progress_bar=False, probe_dir=tmp_path) as sim:
        sim.run(0.2)
        sim.run(0.3)
        for p in (out, spikes):
            assert isinstance(sim.data[p].base, np.memmap) or isinstance(
                sim.data[p], np.memmap
            )
            assert np.array_equal(sim.data[p], memory[p])
            assert sim.data[p].shape == ref.data[p].shape
        assert np.allclose(sim.data[out], ref.data[out], atol=1e-5)
        assert np.allclose(sim.data[spikes], ref.data[spikes], atol=1e-3)
    files = load_probe_dir(tmp_path)  # readable after close, lazily
    assert sorted(files) == ["out", "spikes"]
    assert np.array_equal(files["out"], memory[out])
    assert np.array_equal(files["spikes"], memory[spikes])


def test_streamed_minibatch(Simulator, tmp_path):
    net, out, spikes = _net()
    memory = _run(Simulator, net, [0.1, 0.05], minibatch_size=3)
    disk = _run(Simulator, net, [0.1, 0.05], minibatch_size=3, probe_dir=tmp_path)
    assert disk[out].shape == (3, 150, 1) and disk[spikes].shape == (3, 50, 40)
    for p in (out, spikes):
        assert np.array_equal(disk[p], memory[p])
    assert load_probe_dir(tmp_path)["spikes"].shape == (3, 50, 40)


def test_reset_deletes_files_close_keeps_them(Simulator, tmp_path):
    net, out, _ = _net()
    sim = Simulator(net, seed=1, progress_bar=False, probe_dir=tmp_path)
    sim.run(0.1)
    old = sim.data[out]
    old_copy = np.array(old)
    first = sorted(f.name for f in tmp_path.glob("*.npy"))
    sim.reset()
    assert sim.data[out].shape == (0, 1)
    assert not any(tmp_path.glob("*.npy"))
    assert np.array_equal(old, old_copy)  # an open map survives the deletion
    sim.run(0.1)
    assert np.array_equal(sim.data[out], old_copy)  # same seed, same numbers
    sim.close()
    assert sorted(f.name for f in tmp_path.glob("*.npy")) == first
    assert np.array_equal(sim.data[out], old_copy)  # readable after close


def test_two_simulators_one_dir(Simulator, tmp_path):
    net, out, _ = _net()
    with Simulator(net, seed=1, progress_bar=False, probe_dir=tmp_path) as a:
        a.run(0.1)
        with Simulator(net, seed=2, progress_bar=False, probe_dir=tmp_path) as b:
            b.run(0.05)
            assert a.data[out].shape == (100, 1) and b.data[out].shape == (50, 1)
            assert len(list(tmp_path.glob("*.npy"))) == 4  # no file shared


def test_run_state_restore_then_run(Simulator, tmp_path):
    net, out, spikes = _net()
    memory = _run(Simulator, net, [0.3])
    with Simulator(net, seed=1, progress_bar=False, probe_dir=tmp_path) as sim:
        sim.run(0.1)
        snapshot = sim.get_run_state()
        sim.run(0.15)
        sim.set_run_state(snapshot)
        sim.run(0.2)
        for p in (out, spikes):
            assert np.array_equal(sim.data[p], memory[p])


def test_pickled_simulator_reads_and_continues(Simulator, tmp_path):
    net, out, _ = _net()
    memory = _run(Simulator, net, [0.2])
    with Simulator(net, seed=1, progress_bar=False, probe_dir=tmp_path) as sim:
        sim.run(0.1)
        copy = pickle.loads(pickle.dumps(sim))
    with copy:
        out_copy = copy.model.probes[0]  # the copy's own probe objects
        assert np.array_equal(copy.data[out_copy], memory[out][:100])
        copy.run(0.1)
        assert np.allclose(copy.data[out_copy], memory[out], atol=1e-6)


@pytest.mark.parametrize("bad", [3, "file"])
def test_bad_probe_dir(Simulator, tmp_path, bad):
    net, _, _ = _net()
    if bad == "file":
        bad = tmp_path / "a_file"
        bad.write_text("x")
    with pytest.raises(ValidationError, match="probe_dir"):
        Simulator(net, progress_bar=False, probe_dir=bad)


def test_directory_gone_fails_cleanly(Simulator, tmp_path):
    net, out, _ = _net()
    probe_dir = tmp_path / "probes"
    with Simulator(net, seed=1, progress_bar=False, probe_dir=probe_dir) as sim:
        sim.run(0.05)
        for f in probe_dir.iterdir():
            f.unlink()
        probe_dir.rmdir()
        with pytest.raises(SimulationError, match="Could not write probe data"):
            sim.run(0.05)
        assert sim.n_steps == 50  # the failed chunk was not applied
        probe_dir.mkdir()
        with pytest.raises(SimulationError, match="cannot be read"):
            sim.data[out]
        sim.reset()  # starts new files
        sim.run(0.05)
        assert sim.data[out].shape == (50, 1)


def test_load_probe_dir_needs_index(tmp_path):
    with pytest.raises(ValidationError, match="probes.json"):
        load_probe_dir(tmp_path)


def test_keep_history_false_keeps_latest_sample(Simulator, tmp_path):
    net, out, spikes = _net()
    full = _run(Simulator, net, [0.1, 0.1])
    net_last, out_l, spikes_l = _net(keep_history=False)
    net_last.config[spikes_l].keep_history = True  # a probe's own setting wins
    for probe_dir in (None, tmp_path):
        with Simulator(
            net_last, seed=1, progress_bar=False, probe_dir=probe_dir
        ) as sim:
            sim.run(0.1)
            assert np.array_equal(sim.data[out_l], full[out][99:100])
            sim.run(0.1)
            assert np.array_equal(sim.data[out_l], full[out][-1:])
            assert np.array_equal(sim.data[spikes_l], full[spikes])


def test_memory_estimate_counts_ram_only(Simulator, tmp_path):
    """A long run whose data goes to disk is not refused for the data's size."""
    from nengodl_notebook import validation

    net, _, _ = _net()
    for probe_dir, expected in ((None, True), (tmp_path, False)):
        with Simulator(net, progress_bar=False, probe_dir=probe_dir) as sim:
            estimate = validation.run_memory_estimate(
                sim._recorder, sim._inputs, 0, 10**7
            )
            assert (estimate.probe_data > 0) == expected
