"""Floor of the 1000-neurons-per-ensemble minibatch row: the LIF arithmetic alone.

Times the LIF step our simulator uses (`neuron_math.lif`, with the same Taylor
series settings) on the 2,000 neurons of the tutorial network with 1000 neurons
per ensemble (their gains, biases and encoders from nengo's build), in an
XLA-compiled loop of 1000 steps whose only other work is the input current
``gain * encoder * sin(t) + bias``: no signal layout, synapses, decoders or
probes. A whole simulator's ``run(1.0)`` cannot be faster than this, so
``floor(mb 32) / ours(mb 1)`` is the best minibatch ratio any change outside
the neuron arithmetic could reach.

Run as a script (``--threads`` sets TensorFlow's intra-op threads, which must
happen before TensorFlow starts), it prints one JSON line of medians;
``run.py`` calls it in subprocesses with 1 and 2 threads and keeps the faster.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

N_STEPS = 1000
DT = 0.001


def network_currents(n_neurons):
    """``(gain * encoder, bias)`` of the tutorial network's neurons, ``(n, 1)`` each."""
    import nengo
    import numpy as np
    from tutorial_network import build_tutorial_network

    tn = build_tutorial_network(n_neurons)
    with nengo.Simulator(tn.net, progress_bar=False) as sim:
        ens = [tn.square, tn.sin]
        scale = np.concatenate(
            [sim.data[e].gain * sim.data[e].encoders[:, 0] for e in ens]
        )
        bias = np.concatenate([sim.data[e].bias for e in ens])
    return scale[:, None].astype(np.float32), bias[:, None].astype(np.float32)


def lif_loop(scale, bias, minibatch):
    """A compiled function running ``N_STEPS`` LIF steps; returns the spike count."""
    import numpy as np
    import tensorflow as tf

    from nengodl_notebook.op_builders import neuron_math

    n = len(bias)
    tau_rc, tau_ref = 0.02, 0.002  # nengo.LIF defaults, as in the network
    p = {
        name: tf.constant(np.full((n, 1), value, np.float32))
        for name, value in dict(
            tau_rc=tau_rc, tau_ref=tau_ref, amplitude=1.0, min_voltage=0.0
        ).items()
    }
    x_max = DT / tau_rc
    p["expm1_terms"] = neuron_math.expm1_terms(x_max, np.float32)
    p["log1p_terms"] = neuron_math.log1p_terms(-np.expm1(-x_max), np.float32)
    scale, bias = tf.constant(scale), tf.constant(bias)
    zeros = tf.zeros((n, minibatch))

    @tf.function(jit_compile=True, autograph=False)
    def run():
        def step(k, voltage, refractory, count):
            x = tf.sin(tf.cast(k, tf.float32) * (2 * np.pi * DT))
            J = scale * x + bias + zeros
            out, state = neuron_math.lif(
                DT, J, p, {"voltage": voltage, "refractory_time": refractory}, None
            )
            return k + 1, state["voltage"], state["refractory_time"], count + out

        loop = tf.while_loop(
            lambda k, *_: k < N_STEPS, step, (tf.constant(0), zeros, zeros, zeros)
        )
        return tf.reduce_sum(loop[3]) * DT

    return run


def measure_floor(minibatches=(1, 32), repeats=9, n_neurons=1000):
    """Median seconds of the LIF-only loop per minibatch size.

    Returns
    -------
    dict
        ``{minibatch: seconds}`` and ``"spikes"`` (count at the largest
        minibatch, a check that the loop did its work).
    """
    scale, bias = network_currents(n_neurons)
    out = {}
    for mb in minibatches:
        run = lif_loop(scale, bias, mb)
        spikes = float(run())  # compile + warm up
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            run().numpy()
            times.append(time.perf_counter() - t)
        out[str(mb)] = statistics.median(times)
        out["spikes"] = spikes
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (0: TensorFlow's default)",
    )
    p.add_argument("--repeats", type=int, default=9)
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    print(json.dumps({"threads": args.threads, **measure_floor(repeats=args.repeats)}))


if __name__ == "__main__":
    main()
