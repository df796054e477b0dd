"""Scaling: speed and peak memory against network size (issue 20, item 4).

Networks of 1, 10, 100 and 1000 ensembles of 1,000 LIF neurons (10^3 to 10^6
neurons), 1-d each, connected in a ring by decoded connections (rank 1:
``1000 -> 1 -> 1000``), the first ensemble driven by a sine Node and the decoded
output of the first and the last ensemble probed (synapse 0.01). Each size runs
in a fresh child process, for ours and for ``nengo.Simulator``, and reports:

* build: the Simulator's constructor (nengo's builder; ours also plans its
  step program), with nengo's decoder cache disabled for both (its disk cache
  would make first and later builds differ);
* first run: ``sim.run(1.0)`` the first time (ours: tracing and XLA compiling);
* steady run: the median of further ``sim.run(1.0)`` calls;
* neuron-updates per second: ``neurons * 1000 steps / steady run``;
* peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child.

``--long SECONDS`` adds the memory rows of a long run of the 10-ensemble network
(10^4 neurons) with its spikes probed (10,000 values a step): kept in RAM, with
``sample_every=0.01``, and streamed to disk (``Simulator(probe_dir=...)``).

Usage: ``.venv/bin/python benchmarks/scaling.py [--sizes 1 10 100 1000]
[--sims ours nengo] [--long 60] [--out rows.json]``; it prints markdown tables
(copied by hand into benchmarks/README.md, section "Scaling (issue 20)").
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# nengo's decoder solves (Cholesky) dominate the build; on a shared 2-core machine
# two spinning OpenBLAS threads per solve made them up to 10x slower than one
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
NEURONS = 1000


def ring_network(n_ensembles, probe_spikes=False, sample_every=None):
    """``n_ensembles`` x 1,000 LIF neurons in a ring of decoded connections."""
    import nengo
    import numpy as np

    with nengo.Network(seed=0) as net:
        stim = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        ens = [nengo.Ensemble(NEURONS, 1) for _ in range(n_ensembles)]
        nengo.Connection(stim, ens[0], synapse=None)
        for pre, post in zip(ens, ens[1:] + ens[:1]):
            nengo.Connection(pre, post, transform=0.5, synapse=0.01)
        probes = [nengo.Probe(ens[0], synapse=0.01), nengo.Probe(ens[-1], synapse=0.01)]
        if probe_spikes:
            for e in ens:
                probes.append(nengo.Probe(e.neurons, sample_every=sample_every))
    return net, probes


def peak_rss_mb():
    """Peak resident set size of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_size(sim_name, n_ensembles, repeats):
    """Build and run one size in this process; a dict of measurements."""
    import nengo
    import numpy as np

    nengo.rc["decoder_cache"]["enabled"] = "False"  # same solves for both, no disk
    simulator = nengo.Simulator
    if sim_name == "ours":  # TensorFlow is imported by ours only
        import nengodl_notebook as nengo_dl

        simulator = nengo_dl.Simulator
    net, _ = ring_network(n_ensembles)
    start = time.perf_counter()
    sim = simulator(net, seed=0, progress_bar=False)
    build = time.perf_counter() - start
    build_rss = peak_rss_mb()
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        sim.run(1.0)
        times.append(time.perf_counter() - start)
        sim.clear_probes()
    steady = float(np.median(times[1:])) if repeats else times[0]
    n = n_ensembles * NEURONS
    return {
        "sim": sim_name,
        "neurons": n,
        "build_s": build,
        "first_run_s": times[0],
        "steady_run_s": steady,
        "updates_per_s": n * 1000 / steady,
        "build_peak_rss_mb": build_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_long(mode, seconds):
    """Peak RSS of a long run with spike probes kept, sampled, or on disk."""
    import nengodl_notebook as nengo_dl

    sample_every = 0.01 if mode == "sample_every" else None
    net, _ = ring_network(10, probe_spikes=True, sample_every=sample_every)
    with tempfile.TemporaryDirectory() as tmp:
        probe_dir = tmp if mode == "disk" else None
        sim = nengo_dl.Simulator(net, seed=0, progress_bar=False, probe_dir=probe_dir)
        start = time.perf_counter()
        sim.run(seconds)
        elapsed = time.perf_counter() - start
        kept = sum(sim.data[p].size for p in sim.model.probes)
        sim.close()
    return {
        "mode": mode,
        "seconds": seconds,
        "run_s": elapsed,
        "values_probed": kept,
        "peak_rss_mb": peak_rss_mb(),
    }


def spawn(args):
    """Run this script as a child with ``args``; its JSON result."""
    cmd = [sys.executable, __file__, "--child", *map(str, args)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's package
    out = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1:], "args": args}
    return json.loads(out.stdout.strip().splitlines()[-1])


def size_table(rows):
    lines = [
        "| neurons | simulator | build (s) | first run(1.0) (s) | steady run(1.0) (s) "
        "| neuron-updates/s | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['args']} | error: {r['error']} | | | | | |")
            continue
        lines.append(
            f"| {r['neurons']:,} | {r['sim']} | {r['build_s']:.1f} | "
            f"{r['first_run_s']:.2f} | {r['steady_run_s']:.2f} | "
            f"{r['updates_per_s']:.3g} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def long_table(rows):
    lines = [
        "| probes of 10,000 spikes/step | run (s) | values kept | run time (s) "
        "| peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['args']} | error: {r['error']} | | | |")
            continue
        lines.append(
            f"| {r['mode']} | {r['seconds']:g} | {r['values_probed']:,} | "
            f"{r['run_s']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="*", type=int, default=[1, 10, 100, 1000])
    parser.add_argument("--sims", nargs="+", default=["ours", "nengo"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long", type=float, default=0)
    parser.add_argument("--out", default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "size":
            result = child_size(rest[0], int(rest[1]), int(rest[2]))
        else:
            result = child_long(rest[0], float(rest[1]))
        print(json.dumps(result))
        return
    rows, long_rows = [], []
    for size in args.sizes:
        for sim_name in args.sims:
            repeats = args.repeats if size < 1000 else 1
            rows.append(spawn(["size", sim_name, size, repeats]))
            print(json.dumps(rows[-1]), flush=True)
    if args.long:
        for mode in ("memory", "sample_every", "disk"):
            long_rows.append(spawn(["long", mode, args.long]))
            print(json.dumps(long_rows[-1]), flush=True)
    print(f"load: {os.getloadavg()}")
    print(size_table(rows))
    if long_rows:
        print(long_table(long_rows))
    if args.out:
        Path(args.out).write_text(json.dumps({"sizes": rows, "long": long_rows}))


if __name__ == "__main__":
    main()
