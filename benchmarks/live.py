"""What a live run costs: simulated seconds per wall second, and CPU, per network.

For the tutorial network and 50 copies of its chain (``networks.py``), a
`LivePanel` built from the network (so it records neurons and redraws a spike
raster and rates too) runs its Simulator in 40-step chunks: as fast as possible
(plain, and with the input moved by a "slider" every chunk), then in real time. Each
row gives the simulated seconds per wall second, the process CPU seconds per
wall second (1.0 = one core busy), plot redraws per second (Python side, no
browser) and the programs traced while measuring (0: no recompilation).

Usage: ``python benchmarks/live.py [--seconds 5] [--only tutorial]``
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

import numpy as np  # noqa: E402
from networks import copies, tutorial  # noqa: E402

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", choices=list(NETWORKS), action="append")
    args = parser.parse_args()
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
