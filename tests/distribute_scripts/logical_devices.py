"""Splits this machine's CPU into 2 logical devices and compares a Simulator on a
MirroredStrategy with one on a single device; prints the results as JSON.

Run as a script (TensorFlow's devices must be configured before anything else
uses TensorFlow): ``python logical_devices.py``.
"""

import contextlib
import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import nengo  # noqa: E402
import numpy as np  # noqa: E402

import nengodl_notebook as nengo_dl  # noqa: E402

MINIBATCH = 4
N_STEPS = 20


def network():
    """A small trainable network: input -> ensemble -> ensemble -> probes."""
    with nengo.Network(seed=3) as net:
        nengo_dl.configure_settings(dtype="float64")
        inp = nengo.Node(np.zeros(2))
        a = nengo.Ensemble(20, 2, neuron_type=nengo.RectifiedLinear())
        b = nengo.Ensemble(10, 1, neuron_type=nengo.LIF())
        nengo.Connection(inp, a, synapse=None)
        nengo.Connection(a, b, function=lambda x: x[0] * x[1], synapse=0.01)
        p_a = nengo.Probe(a, synapse=0.005)
        p_b = nengo.Probe(b)
    return net, inp, p_a, p_b


def one_run(strategy):
    net, inp, p_a, p_b = network()
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (16, N_STEPS, 2))
    y = rng.uniform(-1, 1, (16, N_STEPS, 1))
    with nengo_dl.Simulator(
        net, minibatch_size=MINIBATCH, progress_bar=False, strategy=strategy
    ) as sim:
        out = {"params0": {k: v.tolist() for k, v in sim.get_params().items()}}
        sim.run_steps(N_STEPS, data={inp: x[:MINIBATCH]})
        out["run_items"] = getattr(sim._distribution, "replica_items", None)
        out["run"] = sim.data[p_a].tolist()
        sim.run_steps(5, data={inp: x[:MINIBATCH, :5]})  # continues from the state
        out["run2"] = sim.data[p_b].tolist()
        out["loss_before"] = float(
            sim.loss({inp: x, p_b: y}, objective={p_b: nengo_dl.losses.nan_mse})
        )
        out["loss_items"] = getattr(sim._distribution, "replica_items", None)
        sim.train(
            {inp: x, p_b: y},
            keras.optimizers.SGD(0.1),
            objective={p_b: nengo_dl.obj.mse},
            n_epochs=3,
            shuffle=False,
        )
        out["train_items"] = getattr(sim._distribution, "replica_items", None)
        sim.compile(
            keras.optimizers.Adam(0.01), loss={p_b: keras.losses.MeanSquaredError()}
        )
        sim.fit({inp: x}, {p_b: y}, epochs=2, verbose=0)
        out["params"] = {k: np.asarray(v).tolist() for k, v in sim.get_params().items()}
        out["evaluate"] = sim.evaluate({inp: x}, {p_b: y}, verbose=0)
        out["predict"] = sim.predict({inp: x}, verbose=0)[p_b].tolist()
        out["predict_items"] = getattr(sim._distribution, "replica_items", None)
    return out


def in_scope(strategy):
    """A Simulator made inside ``strategy.scope()`` (None: no strategy): run and
    one SGD epoch."""
    net, inp, p_a, p_b = network()
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (16, N_STEPS, 2))
    y = rng.uniform(-1, 1, (16, N_STEPS, 1))
    with contextlib.nullcontext() if strategy is None else strategy.scope():
        sim = nengo_dl.Simulator(net, minibatch_size=MINIBATCH, progress_bar=False)
    with sim:
        sim.run_steps(N_STEPS, data={inp: x[:MINIBATCH]})
        sim.train(
            {inp: x, p_b: y},
            keras.optimizers.SGD(0.1),
            objective={p_b: nengo_dl.obj.mse},
            shuffle=False,
        )
        return {
            "n_replicas": 1 if strategy is None else sim._distribution.n_replicas,
            "run": sim.data[p_a].tolist(),
            "params": {k: np.asarray(v).tolist() for k, v in sim.get_params().items()},
        }


def refusals(strategy):
    """Error messages of what a split minibatch cannot run."""
    net = network()[0]
    messages = {}
    try:
        nengo_dl.Simulator(net, minibatch_size=3, strategy=strategy)
    except nengo.exceptions.ValidationError as e:
        messages["minibatch"] = str(e)
    with net:
        node = nengo_dl.TensorNode(lambda t, x: x, shape_in=(1,), pass_time=True)
        nengo.Connection(net.ensembles[1], node)
    try:
        nengo_dl.Simulator(net, minibatch_size=2, strategy=strategy)
    except nengo.exceptions.ValidationError as e:
        messages["tensor_node"] = str(e)
    return messages


def main():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    single, split = one_run(None), one_run(strategy)
    json.dump(
        {
            "n_replicas": strategy.num_replicas_in_sync,
            "single": single,
            "split": split,
            "scope": in_scope(strategy),
            "scope_single": in_scope(None),
            "refusals": refusals(strategy),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
