"""Process memory over repeated ``sim.train`` calls, each with a fresh optimizer.

Trains the tutorial network (cells 2, 10, 12: no synapses, Ensembles trainable)
``--calls`` times on one Simulator, each call with a new
``keras.optimizers.Adam(...)``, and prints the resident set size (VmRSS) before
the first call, after the first (compilation included) and after the last.
Issue 13 asks for growth within 50 MB over 30 calls (before the fix each call
kept its compiled training program: ~16 MB a call).

Usage: ``.venv/bin/python benchmarks/train_memory.py [--calls 30] [--epochs 1]``
"""

import argparse
import gc
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import nengodl_notebook as nengo_dl

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "scripts")]
from networks import training_network  # noqa: E402


def rss_mb():
    """Resident set size of this process, in MB (``/proc/self/status``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(calls, epochs, batch=1024, minibatch=32, report=None):
    """RSS (MB) before, after the first and after the last of ``calls`` trainings.

    Parameters
    ----------
    calls : int
        Number of ``sim.train`` calls, each with a fresh Adam optimizer.
    epochs : int
        Epochs per call.
    batch, minibatch : int
        Items of training data, and the Simulator's minibatch size.
    report : callable, optional
        Called as ``report(i, rss)`` after each call.

    Returns
    -------
    dict
        ``{"before", "first", "last"}`` in MB, and ``"seconds"`` per call after
        the first.
    """
    net, inpt, probe = training_network(nengo_dl.configure_settings)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(batch, 1, 1))
    data = {inpt: x, probe: np.sin(x**2)}
    with nengo_dl.Simulator(net, minibatch_size=minibatch, progress_bar=False) as sim:
        gc.collect()
        result = {"before": rss_mb()}
        t0 = None
        for i in range(calls):
            optimizer = keras.optimizers.Adam(0.001 * (1 + i % 3))
            sim.train(data, optimizer, {probe: nengo_dl.obj.mse}, n_epochs=epochs)
            gc.collect()
            rss = rss_mb()
            if i == 0:
                result["first"], t0 = rss, time.perf_counter()
            if report is not None:
                report(i, rss)
        result["last"] = rss_mb()
        result["seconds"] = (time.perf_counter() - t0) / max(1, calls - 1)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="RSS after every call")
    args = parser.parse_args()
    report = (
        (lambda i, rss: print(f"  call {i + 1:3d}: {rss:8.1f} MB"))
        if (args.verbose)
        else None
    )
    r = measure(args.calls, args.epochs, report=report)
    n = args.calls
    per_call = (r["last"] - r["first"]) / max(1, n - 1)
    rows = [
        ("RSS before training", f"{r['before']:8.1f} MB"),
        ("RSS after call 1", f"{r['first']:8.1f} MB"),
        (f"RSS after call {n}", f"{r['last']:8.1f} MB"),
        (
            f"growth over calls 2..{n}",
            f"{r['last'] - r['first']:8.1f} MB ({per_call:.2f} MB/call, "
            f"{r['seconds']:.2f} s/call)",
        ),
        (f"growth over all {n} calls", f"{r['last'] - r['before']:8.1f} MB"),
    ]
    for label, value in rows:
        print(f"{label + ':':28s}{value}")


if __name__ == "__main__":
    main()
