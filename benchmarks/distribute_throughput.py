"""Training throughput of the tutorial's training on one device, two logical CPU
devices (``MirroredStrategy``) and two worker processes
(``MultiWorkerMirroredStrategy`` on loopback); prints a markdown table.

Usage::

    python benchmarks/distribute_throughput.py [--rounds 2] [--epochs 5]

Each setting runs in fresh processes (devices must be configured before
TensorFlow starts), in alternating rounds; a process trains once to compile,
then times ``--repeats`` calls of ``--epochs`` epochs over 4096 items
(minibatch 32, Adam). Reported: median examples per second over all timed calls
(for two workers: each call's time is the slower worker's).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent
N_ITEMS, MINIBATCH = 4096, 32


def child(mode, epochs, repeats):
    """Time training in this process; print the call times as JSON."""
    import tensorflow as tf

    strategy = None
    if mode == "logical":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif mode == "workers":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    import nengodl_notebook as nengo_dl

    sys.path[:0] = [str(HERE), str(ROOT / "scripts")]
    from networks import training_data, training_network

    net, inpt, probe = training_network(nengo_dl.configure_settings)
    x, y = training_data(N_ITEMS, 1)
    times = []
    with nengo_dl.Simulator(
        net, minibatch_size=MINIBATCH, progress_bar=False, strategy=strategy
    ) as sim:
        optimizer = keras.optimizers.Adam(0.01)
        data, objective = {inpt: x, probe: y}, {probe: nengo_dl.obj.mse}
        sim.train(data, optimizer, objective=objective, n_epochs=1)  # compiles
        for _ in range(repeats):
            t0 = time.perf_counter()
            sim.train(data, optimizer, objective=objective, n_epochs=epochs)
            times.append(time.perf_counter() - t0)
    print(json.dumps(times))


def run_mode(mode, args):
    """Call times of one process (two for "workers": the slower of each pair)."""
    cmd = [sys.executable, __file__, "--child", mode]
    cmd += ["--epochs", str(args.epochs), "--repeats", str(args.repeats)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    envs = [env]
    if mode == "workers":
        from nengodl_notebook.distribute import loopback_tf_configs

        envs = [{**env, "TF_CONFIG": config} for config in loopback_tf_configs(2)]
    procs = [
        subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, text=True) for e in envs
    ]
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return [max(ts) for ts in zip(*outs)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.epochs, args.repeats)
        return
    modes = {
        "single": "1 device",
        "logical": "2 logical CPU devices (MirroredStrategy)",
        "workers": "2 workers (MultiWorkerMirroredStrategy)",
    }
    times = {mode: [] for mode in modes}
    for _ in range(args.rounds):  # alternating: the machine's load hits all alike
        for mode in modes:
            times[mode] += run_mode(mode, args)
    load = os.getloadavg()
    print(f"Load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| setting | examples/s (median) | calls |")
    print("|---|---|---|")
    for mode, label in modes.items():
        rate = N_ITEMS * args.epochs / statistics.median(times[mode])
        print(f"| {label} | {rate:,.0f} | {len(times[mode])} |")


if __name__ == "__main__":
    main()
