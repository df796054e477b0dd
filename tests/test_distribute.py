"""Minibatches split across the replicas of a ``tf.distribute`` strategy.

The distributed checks run in fresh Python processes (scripts in
``distribute_scripts/``): the CPU must be split into logical devices, or worker
processes started, before TensorFlow initialises its devices.
"""

import json
import os
import pathlib
import subprocess
import sys

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl

ROOT = pathlib.Path(__file__).parent.parent
SCRIPTS = pathlib.Path(__file__).parent / "distribute_scripts"


def run_script(path, *args, timeout=300):
    """JSON printed by the script ``path`` (run with this checkout's package)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def logical():
    """Results of one device and of a MirroredStrategy on 2 logical CPUs."""
    return run_script(SCRIPTS / "logical_devices.py")


def close(a, b, atol):
    return np.allclose(np.asarray(a), np.asarray(b), rtol=0, atol=atol)


def test_two_logical_devices_are_two_replicas(logical):
    assert logical["n_replicas"] == 2
    assert logical["scope"]["n_replicas"] == 2


def test_each_replica_receives_half_of_each_minibatch(logical):
    split = logical["split"]
    for call in ("run_items", "loss_items", "train_items", "predict_items"):
        assert split[call] == [2, 2], call  # minibatch_size 4 on 2 replicas


def test_simulation_equals_one_device(logical):
    single, split = logical["single"], logical["split"]
    assert np.shape(split["run"]) == (4, 20, 2)
    assert close(split["run"], single["run"], 1e-12)
    assert close(split["run2"], single["run2"], 1e-12)  # continued from the state
    assert close(split["predict"], single["predict"], 1e-12)


def test_losses_equal_one_device(logical):
    single, split = logical["single"], logical["split"]
    assert split["loss_before"] == pytest.approx(single["loss_before"], abs=1e-10)
    for name, value in single["evaluate"].items():
        assert split["evaluate"][name] == pytest.approx(value, abs=1e-6)


def test_training_gives_the_parameters_of_one_device(logical):
    """3 epochs of SGD (sim.train), then 2 of Adam (fit), 4 minibatches each."""
    single, split = logical["single"], logical["split"]
    assert single["params"].keys() == split["params"].keys()
    for key, value in single["params"].items():
        assert close(split["params"][key], value, 1e-6), key
        assert not close(value, single["params0"][key], 1e-4), key  # trained


def test_simulator_made_in_the_scope_uses_the_strategy(logical):
    scope, single = logical["scope"], logical["scope_single"]
    assert close(scope["run"], single["run"], 1e-12)
    for key, value in single["params"].items():
        assert close(scope["params"][key], value, 1e-6), key


def test_refusals_name_the_problem(logical):
    refusals = logical["refusals"]
    assert "minibatch_size 3" in refusals["minibatch"]
    assert "2 replicas" in refusals["minibatch"]
    assert "TensorNode" in refusals["tensor_node"]


def test_a_strategy_must_be_a_tf_distribute_strategy():
    with nengo.Network() as net:
        nengo.Probe(nengo.Ensemble(5, 1))
    with pytest.raises(ValidationError, match="tf.distribute.Strategy, got str"):
        nengo_dl.Simulator(net, strategy="mirrored", progress_bar=False)
    with nengo_dl.Simulator(net, progress_bar=False) as sim:  # still usable
        sim.run_steps(3)
    assert sim._distribution is None


def test_two_workers_train_as_one_process():
    """examples/multi_worker.py: MultiWorkerMirroredStrategy, 2 processes on
    loopback, against the same training in one process."""
    out = run_script(ROOT / "examples" / "multi_worker.py", timeout=300)
    single, workers = out["single"], out["workers"]
    assert len(workers) == 2
    for worker in workers:
        assert worker["items"] == [2]  # its one replica: half of 4 items
        assert np.allclose(worker["loss"], single["loss"], rtol=0, atol=1e-6)
        for key, value in single["params"].items():
            assert close(worker["params"][key], value, 1e-6), key
    assert out["max_diff"] < 1e-6


def test_training_panel_trains_a_simulator_on_a_strategy():
    """The dashboard's TrainingPanel with a Simulator made with a strategy (one
    replica here: this process's devices are set) trains as without one."""
    import tensorflow as tf
    from tutorial_nets import training_network

    from nengodl_notebook.widgets import TrainingPanel

    def trained(strategy):
        net = training_network(n_neurons=15)
        with nengo_dl.Simulator(
            net, minibatch_size=4, seed=0, progress_bar=False, strategy=strategy
        ) as sim:
            panel = TrainingPanel(
                sim,
                targets={net.nofilt_p: lambda t, x: np.sin(x**2)},
                batch_size=16,
                n_steps=1,
                epochs=2,
                learning_rate=0.01,
                update_interval=0.05,
            )
            before = sim.get_params()
            panel.start_button.click()
            assert panel.join(120)
            assert panel.error.value == ""
            panel.close()
            return before, sim.get_params()

    before, plain = trained(None)
    _, split = trained(tf.distribute.MirroredStrategy(["/cpu:0"]))
    assert any(not np.allclose(before[k], plain[k]) for k in before)
    for key, value in plain.items():
        assert np.allclose(split[key], value, rtol=0, atol=1e-5), key


def test_runs_with_a_strategy_keep_their_chunk_length():
    """Chunks of a run do not shorten after a slow chunk with a strategy (the
    workers of a multi-worker strategy must run the same chunks); they do
    without one."""
    import tensorflow as tf

    with nengo.Network() as net:
        nengo.Probe(nengo.Ensemble(5, 1))
    lengths = {}
    for name, strategy in [
        ("plain", None),
        ("strategy", tf.distribute.MirroredStrategy(["/cpu:0"])),
    ]:
        with nengo_dl.Simulator(net, progress_bar=False, strategy=strategy) as sim:
            first = sim._chunks.next(10_000)
            sim._chunks.update(first, 1.0)  # a first call (compiling): ignored
            sim._chunks.update(first, 100.0)  # a very slow chunk
            lengths[name] = (first, sim._chunks.next(10_000))
            sim.run_steps(3)
    assert lengths["plain"][1] < lengths["plain"][0]
    assert lengths["strategy"][1] == lengths["strategy"][0]


def test_loopback_tf_configs_name_one_cluster_and_each_worker():
    import json

    from nengodl_notebook.distribute import loopback_tf_configs

    configs = [json.loads(c) for c in loopback_tf_configs(3)]
    cluster = configs[0]["cluster"]["worker"]
    assert len(cluster) == len(set(cluster)) == 3
    assert all(c["cluster"]["worker"] == cluster for c in configs)
    assert [c["task"] for c in configs] == [
        {"type": "worker", "index": i} for i in range(3)
    ]
