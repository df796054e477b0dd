"""Process memory over repeated ``with Simulator(net) as sim: sim.run(0.1)``.

Opens, runs and closes ``--cycles`` Simulators of one network (a network of
``networks.py``, the tutorial by default) and prints the resident set size
(VmRSS) after each cycle, the growth after the first cycle (which includes
TensorFlow's own start-up caches), and how many of the closed Simulators are
still alive. Issue 13 asks for growth within 50 MB over 30 cycles (before the
fix each closed Simulator left ~8 MB: its XLA program in TensorFlow's
compilation cache and its traced graph in TensorFlow's gradient registry).

``--keep`` holds every closed Simulator (as a notebook that keeps ``sim``
around does), which measures what ``close()`` itself frees.

Usage: ``.venv/bin/python benchmarks/close_memory.py [--cycles 30]
[--network tutorial] [--keep] [--no-jit]``
"""

import argparse
import gc
import os
import sys
import time
import weakref
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "scripts")]

from networks import NETWORKS  # noqa: E402

import nengodl_notebook as nengo_dl  # noqa: E402


def rss_mb():
    """Resident set size of this process, in MB (``/proc/self/status``)."""
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(network, cycles, keep=False, jit_compile=None, report=print):
    """RSS (MB) after each of ``cycles`` open/run/close cycles.

    Parameters
    ----------
    network : str
        A name of ``networks.NETWORKS``.
    cycles : int
        Simulators opened, run for 0.1 s and closed.
    keep : bool
        Hold every closed Simulator instead of dropping it.
    jit_compile : bool or None
        Passed to the Simulator.
    report : callable
        Called with one line per cycle.

    Returns
    -------
    rss : list of float
        RSS after each cycle.
    alive : int
        Closed Simulators still alive at the end (not counting kept ones).
    """
    net = NETWORKS[network].factory().net
    kept, refs, rss = [], [], []
    for i in range(cycles):
        start = time.perf_counter()
        sim = nengo_dl.Simulator(net, progress_bar=False, jit_compile=jit_compile)
        with sim:
            sim.run(0.1)
        refs.append(weakref.ref(sim))
        if keep:
            kept.append(sim)
        del sim
        rss.append(rss_mb())
        report(
            f"cycle {i + 1:3d}: {rss[-1]:7.1f} MB ({time.perf_counter() - start:.2f} s)"
        )
    alive = sum(ref() is not None for ref in refs) - len(kept)
    return rss, alive


def main(argv=None):
    """Parse the command line, measure and print the summary."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cycles", type=int, default=30)
    p.add_argument("--network", default="tutorial", choices=sorted(NETWORKS))
    p.add_argument("--keep", action="store_true", help="hold the closed Simulators")
    p.add_argument("--no-jit", action="store_true", help="jit_compile=False")
    args = p.parse_args(argv)
    before = rss_mb()
    rss, alive = measure(
        args.network, args.cycles, args.keep, False if args.no_jit else None
    )
    growth = rss[-1] - rss[0]
    print(f"before the first Simulator: {before:.1f} MB")
    print(
        f"after cycle 1: {rss[0]:.1f} MB; after cycle {len(rss)}: {rss[-1]:.1f} MB; "
        f"growth {growth:+.1f} MB ({growth / max(1, len(rss) - 1):+.2f} MB per cycle)"
    )
    print(f"closed Simulators still alive (not kept): {alive}")


if __name__ == "__main__":
    main()
