"""Where does ``sim.run(1.0)`` of our simulator spend its time?

Splits a steady ``run(1.0)`` (after a warm-up run, ``sim.reset()`` before
each) into the stages of ``Simulator.run_steps``, timed one at a time on the
simulator's own (private) objects, then profiles whole runs with cProfile::

    .venv/bin/python benchmarks/profile_sim.py --only tutorial copies50

Stages: ``inputs`` (``sim._inputs.values``: model-independent Node /
process outputs computed in NumPy ahead of the loop), ``compiled call`` (the
XLA-compiled time loop, ``sim._program.run``, up to its result tensors),
``probes to numpy`` (``.numpy()`` of the probe tensor), ``record`` (splitting
it per probe) and ``reset`` (untimed in ``run.py``). Read-only: the simulator
is not changed.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

from networks import NETWORKS, SEED  # noqa: E402


def timed(fn):
    """Call ``fn()``; return its result and the wall-clock seconds taken."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def stage_times(sim, steps):
    """Time each stage of one ``run_steps(steps)`` (same work, split up).

    Parameters
    ----------
    sim : nengodl_notebook.Simulator
        An open, warmed-up simulator.
    steps : int
        Time steps per run.

    Returns
    -------
    dict
        Seconds per stage, plus ``run`` (a normal ``sim.run_steps``).
    """
    out = {}
    _, out["reset"] = timed(sim.reset)
    _, out["run"] = timed(lambda: sim.run_steps(steps, progress_bar=False))
    sim.reset()
    inputs, out["inputs"] = timed(lambda: sim._inputs.values(0, steps, {}))
    (state, probes), out["compiled call"] = timed(
        lambda: sim._program.run(sim._state, inputs, 0, sim.seed)
    )
    values, out["probes to numpy"] = timed(probes.numpy)
    _, out["record"] = timed(lambda: sim._recorder.record(values, 0))
    return out


def breakdown(net_name, minibatch, repeats, steps):
    """Median stage times of ``repeats`` runs of one network.

    Parameters
    ----------
    net_name : str
        Key of ``networks.NETWORKS``.
    minibatch : int
        Minibatch size.
    repeats : int
        Runs measured.
    steps : int
        Time steps per run.

    Returns
    -------
    sim : nengodl_notebook.Simulator
        The (open) simulator, for profiling.
    medians : dict
        Stage name to median seconds.
    """
    import nengodl_notebook

    bench = NETWORKS[net_name].factory()
    sim = nengodl_notebook.Simulator(
        bench.net, seed=SEED, progress_bar=False, minibatch_size=minibatch
    )
    sim.run_steps(steps)
    samples = [stage_times(sim, steps) for _ in range(repeats)]
    return sim, {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def cprofile_runs(sim, steps, repeats, top):
    """cProfile ``repeats`` runs; return the top functions by own time."""
    prof = cProfile.Profile()
    for _ in range(repeats):
        sim.reset()
        prof.runcall(sim.run_steps, steps, progress_bar=False)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv=None):
    """Print the stage breakdown and cProfile summary of each network."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--only", nargs="+", default=["tutorial", "copies50"], choices=list(NETWORKS)
    )
    p.add_argument("--minibatch", type=int, nargs="+", default=[1])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--top", type=int, default=15)
    args = p.parse_args(argv)
    for net in args.only:
        for mb in args.minibatch:
            sim, med = breakdown(net, mb, args.repeats, args.steps)
            print(f"\n## {net}, minibatch {mb}: median seconds per run")
            for k, v in med.items():
                print(f"  {k:16s} {v * 1e3:9.2f} ms")
            print(cprofile_runs(sim, args.steps, 3, args.top))
            sim.close()


if __name__ == "__main__":
    main()
