"""Training on two worker processes with ``tf.distribute.MultiWorkerMirroredStrategy``.

One command starts both workers on this machine (loopback, two free ports) and
a third process that trains the same model alone, then compares::

    python examples/multi_worker.py

Each worker is an ordinary Python process with its own ``TF_CONFIG``::

    {"cluster": {"worker": ["localhost:PORT0", "localhost:PORT1"]},
     "task": {"type": "worker", "index": 0 or 1}}

made before TensorFlow starts (the launcher sets it in the workers'
environment). On several machines, list their addresses instead and start
``python examples/multi_worker.py --worker INDEX`` on each, with ``TF_CONFIG``
set. Every worker holds the whole data set (made from a seed here) and
simulates its replica's half of each minibatch; the strategy averages the
gradients, so both workers end with the same parameters, equal to those of
one process.

The last line printed is JSON: the parameters of every worker and of the single
process, and the largest difference between them.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

MINIBATCH = 4
N_STEPS = 20
EPOCHS = 2


def train(strategy):
    """Train the example model (on ``strategy``; None: one device); its params."""
    import keras
    import nengo

    import nengodl_notebook as nengo_dl

    with nengo.Network(seed=3) as net:
        nengo_dl.configure_settings(dtype="float64")
        inp = nengo.Node(np.zeros(2))
        a = nengo.Ensemble(20, 2, neuron_type=nengo.RectifiedLinear())
        b = nengo.Ensemble(10, 1, neuron_type=nengo.LIF())
        nengo.Connection(inp, a, synapse=None)
        nengo.Connection(a, b, function=lambda x: x[0] * x[1], synapse=0.01)
        p_b = nengo.Probe(b)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (16, N_STEPS, 2))
    y = np.prod(x, axis=2, keepdims=True)
    with nengo_dl.Simulator(
        net, minibatch_size=MINIBATCH, progress_bar=False, strategy=strategy
    ) as sim:
        sim.compile(keras.optimizers.Adam(0.01), loss={p_b: "mse"})
        history = sim.fit({inp: x}, {p_b: y}, epochs=EPOCHS, shuffle=False, verbose=0)
        params = {k: np.asarray(v).tolist() for k, v in sim.get_params().items()}
        # minibatch items this worker's replicas simulated in the last step
        items = None if strategy is None else sim._distribution.replica_items
    return {"loss": history.history["loss"], "params": params, "items": items}


def worker(index):
    """Run one worker (``TF_CONFIG`` set) or, with index None, the single process."""
    import tensorflow as tf

    strategy = None
    if index is not None:  # before any other TensorFlow call
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    print(json.dumps(train(strategy)))


def launch():
    """Start two workers and one single process; compare their parameters."""
    from nengodl_notebook.distribute import loopback_tf_configs

    configs = loopback_tf_configs(2)
    procs = []
    for index in (0, 1, None):
        env = dict(os.environ)
        if index is not None:
            env["TF_CONFIG"] = configs[index]
        args = [sys.executable, __file__, "--worker", str(index)]
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True))
    outs = []
    for proc in procs:
        stdout, _ = proc.communicate(timeout=600)
        if proc.returncode:
            sys.exit(f"a process failed (exit code {proc.returncode})")
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    *workers, single = outs
    diff = max(
        float(np.max(np.abs(np.subtract(w["params"][k], single["params"][k]))))
        for w in workers
        for k in single["params"]
    )
    print(f"2 workers vs one process: largest parameter difference {diff:.3g}")
    print(json.dumps({"workers": workers, "single": single, "max_diff": diff}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help="run worker INDEX (TF_CONFIG set) or None")
    given = parser.parse_args()
    if given.worker is None:
        launch()
    else:
        worker(None if given.worker == "None" else int(given.worker))
