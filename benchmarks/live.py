"""What a live run costs: simulated seconds per wall second, and CPU, per network.

For the tutorial network and 50 copies of its chain (``networks.py``), a
`LivePanel` built from the network (so it records neurons and redraws a spike
raster and rates too) runs its Simulator in 40-step chunks: as fast as possible
(plain, and with the input moved by a "slider" every chunk), then in real time. Each
row gives the simulated seconds per wall second, the process CPU seconds per
wall second (1.0 = one core busy), plot redraws per second (Python side, no
browser) and the programs traced while measuring (0: no recompilation).

With ``--train``: the tutorial network (ensembles trainable) and a PES
channel learning online, as fast as possible, before, around and after a
"train for N minibatches" (`LiveTraining`): simulated seconds per wall second
over ``seconds`` each, the training's wall time (the first compiles the
training and loss programs) and the programs traced for the live run.

Usage: ``python benchmarks/live.py [--seconds 5] [--only tutorial] [--train]``
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

import nengo  # noqa: E402
import numpy as np  # noqa: E402
from networks import copies, tutorial  # noqa: E402

import nengodl_notebook as nengo_dl  # noqa: E402
from nengodl_notebook.widgets import LivePanel  # noqa: E402

NETWORKS = {"tutorial": tutorial, "copies50": copies}
MODES = ("fast", "fast, steered", "real time")


def measure(panel, mode, seconds):
    """One row: run ``seconds`` of wall time in ``mode`` from where the run is."""
    engine = panel.engine
    engine.real_time = mode == "real time"
    nodes = engine.nodes if mode == "fast, steered" else []
    built, redraws = engine.programs_built, panel.redraws
    wall0, cpu0, sim0 = time.perf_counter(), time.process_time(), engine.time
    engine.resume()
    rng = np.random.RandomState(0)
    while time.perf_counter() - wall0 < seconds:
        for node in nodes:
            engine.set_input(node, rng.uniform(-1, 1, node.size_out))
        time.sleep(0.05 if nodes else 0.2)
    engine.pause()
    wall = time.perf_counter() - wall0
    return {
        "speed": (engine.time - sim0) / wall,
        "cpu": (time.process_time() - cpu0) / wall,
        "redraws": (panel.redraws - redraws) / wall,
        "built": engine.programs_built - built,
    }


def pes_channel():
    """A communication channel learning identity online (PES), and its targets."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.4))
        pre, post = nengo.Ensemble(60, 1), nengo.Ensemble(60, 1)
        nengo.Connection(stim, pre)
        rule = nengo.PES(learning_rate=3e-4)
        conn = nengo.Connection(
            pre, post, function=lambda x: 0, learning_rule_type=rule
        )
        error = nengo.Node(size_in=1)
        nengo.Connection(post, error)
        nengo.Connection(stim, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        post_p = nengo.Probe(post, synapse=0.01)
        nengo.Probe(error, synapse=0.01)
    return net, {post_p: lambda t, x: x}


def trainable_tutorial():
    bench = tutorial()
    with bench.net:
        nengo_dl.configure_settings(trainable=False)
        bench.net.config[nengo.Ensemble].trainable = True
    return bench.net, {bench.probes[1]: lambda t, x: np.sin(x**2)}


def train_rows(seconds, n=50):
    """Speed before, around (a train in the middle; twice) and after training."""
    print("| network | phase | simulated s / wall s | train s | programs built |")
    print("|---|---|---|---|---|")
    for name, make in (("tutorial", trainable_tutorial), ("PES", pes_channel)):
        net, targets = make()
        with nengo_dl.Simulator(net, progress_bar=False) as sim:
            panel = LivePanel(sim, real_time=False, targets=targets)
            engine = panel.engine
            panel.start()
            engine.wait_for(0.5)
            built = engine.programs_built
            for phase in ("before", "around", "around (2nd train)", "after"):
                wall0, sim0, train = time.perf_counter(), engine.time, float("nan")
                time.sleep(seconds / 2)
                if phase.startswith("around"):
                    try:
                        train = panel.training.train(n, learning_rate=0.01)["seconds"]
                    except Exception as e:  # noqa: BLE001 -- reported in the row
                        phase = f"around (train failed: {type(e).__name__}: {e})"
                time.sleep(seconds / 2)
                speed = (engine.time - sim0) / (time.perf_counter() - wall0)
                print(
                    f"| {name} | {phase} | {speed:.2f} | {train:.2f} | "
                    f"{engine.programs_built - built} |",
                    flush=True,
                )
            panel.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", choices=list(NETWORKS), action="append")
    parser.add_argument("--train", action="store_true")
    args = parser.parse_args()
    if args.train:
        return train_rows(args.seconds)
    print(
        "| network | mode | simulated s / wall s | CPU s / wall s | redraws / s "
        "| programs built |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.only or list(NETWORKS):
        bench = NETWORKS[name]()
        panel = LivePanel(bench.net, real_time=False)  # records neurons
        panel.start()
        panel.engine.wait_for(0.5)  # compiled and warm
        panel.engine.pause()
        for mode in MODES:
            r = measure(panel, mode, args.seconds)
            print(
                f"| {name} | {mode} | {r['speed']:.2f} | {r['cpu']:.2f} | "
                f"{r['redraws']:.1f} | {r['built']} |",
                flush=True,
            )
        panel.close()


if __name__ == "__main__":
    main()
