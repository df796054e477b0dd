"""Time ``nengodl_notebook.Simulator`` against ``nengo.Simulator`` side by side.

Runs the network of the "From Nengo to NengoDL" tutorial (see
``scripts/tutorial_network.py``) with 20 and 1000 neurons per ensemble, in one
process, and measures for each simulator and configuration:

* ``build``: the ``Simulator(...)`` constructor (nengo build; for ours also
  the TensorFlow graph construction it does there);
* ``first run``: the first ``sim.run(1.0)`` after construction (for ours this
  includes tf.function tracing / compilation);
* ``steady run``: ``sim.run(1.0)`` after one warm-up run, with an untimed
  ``sim.reset()`` before every run (so every timed run simulates t = 0..1 s
  and probe data does not grow); median of ``--repeats`` runs.

Before measuring, each simulator is constructed and run once, untimed (20
neurons, 10 ms), so one-off import / initialisation costs of a process are not
charged to the first configuration.

Prints a markdown table of medians and ratios (``nengo / ours``: > 1 means
ours is faster) and writes all samples to ``benchmarks/results/latest.json``.
``--nengodl-python PATH`` also times NengoDL 3.6 in another Python (a venv
made by ``make-nengodl-venv``) through a subprocess running this file with
``--worker``.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from tutorial_network import build_tutorial_network  # noqa: E402

METRICS = ("build_s", "first_run_s", "run_s")
METRIC_LABELS = {
    "build_s": "build",
    "first_run_s": "first run(1.0)",
    "run_s": "steady run(1.0)",
}
WORKER_MARKER = "BENCH_JSON:"
SEED = 0


def parse_args(argv=None):
    """Parse the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace
        The parsed options, with ``build_repeats`` and ``repeats`` resolved.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--neurons", type=int, nargs="+", default=[20, 1000])
    p.add_argument("--minibatch", type=int, nargs="+", default=[1, 32])
    p.add_argument("--repeats", type=int, help="timed steady runs (min 5)")
    p.add_argument("--build-repeats", type=int, help="constructions timed")
    p.add_argument("--sim-time", type=float, default=1.0)
    p.add_argument("--nengodl-python", help="python of a NengoDL 3.6 venv")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/latest.json"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 5 if args.quick else 9
    args.repeats = max(args.repeats, 5)
    if args.build_repeats is None:
        args.build_repeats = 1 if args.quick else 3
    return args


def load_simulator(name):
    """Import and return the ``Simulator`` class of one simulator.

    Parameters
    ----------
    name : {"nengo", "nengodl_notebook", "nengo_dl"}
        Which simulator.

    Returns
    -------
    type
        Its ``Simulator`` class.
    """
    if name == "nengo":
        import nengo

        return nengo.Simulator
    if name == "nengodl_notebook":
        import nengodl_notebook

        return nengodl_notebook.Simulator
    import nengo_dl

    return nengo_dl.Simulator


def sim_kwargs(name, minibatch):
    """Keyword arguments of the ``Simulator`` constructor.

    Parameters
    ----------
    name : str
        Simulator name (nengo takes no ``minibatch_size``).
    minibatch : int
        Minibatch size for the TensorFlow simulators.

    Returns
    -------
    dict
        Constructor keyword arguments.
    """
    kwargs = {"seed": SEED, "progress_bar": False}
    if name != "nengo":
        kwargs["minibatch_size"] = minibatch
    return kwargs


def build_and_first_run(sim_cls, kwargs, n_neurons, sim_time):
    """Construct a simulator and do its first run, timing both.

    Parameters
    ----------
    sim_cls : type
        Simulator class.
    kwargs : dict
        Constructor keyword arguments.
    n_neurons : int
        Neurons per ensemble.
    sim_time : float
        Simulated seconds per run.

    Returns
    -------
    sim : Simulator
        The (still open) simulator.
    build_s, first_run_s : float
        Wall-clock seconds of the constructor and of the first run.
    tn : TutorialNetwork
        The network simulated.
    """
    tn = build_tutorial_network(n_neurons, seed=SEED)
    gc.collect()
    t0 = time.perf_counter()
    sim = sim_cls(tn.net, **kwargs)
    t1 = time.perf_counter()
    sim.run(sim_time)
    t2 = time.perf_counter()
    return sim, t1 - t0, t2 - t1, tn


def steady_runs(sim, tn, sim_time, repeats):
    """Time runs of an already-run simulator, resetting (untimed) before each.

    Parameters
    ----------
    sim : Simulator
        A simulator that has done its first run.
    tn : TutorialNetwork
        Its network (for the probes).
    sim_time : float
        Simulated seconds per run.
    repeats : int
        Number of timed runs (after one untimed warm-up run).

    Returns
    -------
    run_s, probe_read_s : list of float
        Seconds of each ``run`` and of reading both probes' data after it.
    shape : list of int
        Shape of ``sim.data[outpt_p]`` after the last run.
    """
    sim.reset()
    sim.run(sim_time)  # warm-up
    run_s, read_s = [], []
    for _ in range(repeats):
        sim.reset()
        gc.collect()
        t0 = time.perf_counter()
        sim.run(sim_time)
        t1 = time.perf_counter()
        shape = sim.data[tn.outpt_p].shape
        sim.data[tn.inpt_p].shape
        read_s.append(time.perf_counter() - t1)
        run_s.append(t1 - t0)
    return run_s, read_s, list(shape)


def measure(name, n_neurons, minibatch, args):
    """Measure one simulator in one configuration.

    Parameters
    ----------
    name : str
        Simulator name (see `load_simulator`).
    n_neurons : int
        Neurons per ensemble.
    minibatch : int
        Minibatch size (ignored by nengo).
    args : argparse.Namespace
        Options (``build_repeats``, ``repeats``, ``sim_time``).

    Returns
    -------
    dict
        Record with the samples of each metric, their medians and ``error``
        (None, or the exception text if the simulator failed).
    """
    rec = {"simulator": name, "n_neurons": n_neurons, "minibatch_size": minibatch,
           "build_s": [], "first_run_s": [], "run_s": [], "probe_read_s": [],
           "probe_shape": None, "error": None}
    try:
        sim_cls, kwargs = load_simulator(name), sim_kwargs(name, minibatch)
        for i in range(args.build_repeats):
            sim, b, f, tn = build_and_first_run(sim_cls, kwargs, n_neurons,
                                                args.sim_time)
            rec["build_s"].append(b)
            rec["first_run_s"].append(f)
            if i < args.build_repeats - 1:
                sim.close()
        with sim:
            run_s, read_s, shape = steady_runs(sim, tn, args.sim_time, args.repeats)
        rec.update(run_s=run_s, probe_read_s=read_s, probe_shape=shape)
    except Exception as e:  # report, don't hide: the table shows the error
        traceback.print_exc()
        rec["error"] = f"{type(e).__name__}: {e}"
    rec["median"] = {k: statistics.median(rec[k]) if rec[k] else None
                     for k in METRICS + ("probe_read_s",)}
    return rec


def warm_up(name):
    """Construct and run one small simulator, untimed, to pay one-off costs.

    Imports, lazy library initialisation and first-call overheads of a
    simulator happen once per process; without this they would land in
    whichever configuration is measured first. Failures are only printed here
    (`measure` reports them).

    Parameters
    ----------
    name : str
        Simulator name (see `load_simulator`).
    """
    try:
        sim, _, _, _ = build_and_first_run(
            load_simulator(name), sim_kwargs(name, 1), 20, 0.01)
        sim.close()
    except Exception as e:  # noqa: BLE001
        print(f"warm-up of {name} failed: {type(e).__name__}: {e}",
              file=sys.stderr)


def run_local(args):
    """Measure nengo and ours for every configuration, in this process.

    Parameters
    ----------
    args : argparse.Namespace
        Options.

    Returns
    -------
    list of dict
        One record per (simulator, neurons, minibatch); nengo once per
        neuron count (minibatch_size 1).
    """
    warm_up("nengo")
    warm_up("nengodl_notebook")
    records = []
    for n in args.neurons:
        print(f"nengo, n={n} ...", file=sys.stderr, flush=True)
        records.append(measure("nengo", n, 1, args))
        for mb in args.minibatch:
            print(f"nengodl_notebook, n={n}, minibatch={mb} ...",
                  file=sys.stderr, flush=True)
            records.append(measure("nengodl_notebook", n, mb, args))
    return records


def run_worker(args):
    """Measure NengoDL (``--worker`` mode) and print the records as JSON.

    Parameters
    ----------
    args : argparse.Namespace
        Options.
    """
    import nengo_dl

    warm_up("nengo_dl")
    records = [measure("nengo_dl", n, mb, args)
               for n in args.neurons for mb in args.minibatch]
    info = {"nengo_dl": nengo_dl.__version__, **versions()}
    info.pop("nengodl_notebook", None)  # not installed in NengoDL's venv
    print(WORKER_MARKER + json.dumps({"records": records, "versions": info}))


def run_nengodl_subprocess(args):
    """Run the NengoDL measurements in another Python, via ``--worker``.

    Parameters
    ----------
    args : argparse.Namespace
        Options; ``nengodl_python`` is the interpreter to use.

    Returns
    -------
    records : list of dict
        NengoDL records (a single error record if the subprocess failed).
    versions : dict
        Package versions in the NengoDL environment.
    """
    cmd = [args.nengodl_python, str(Path(__file__).resolve()), "--worker",
           "--neurons", *map(str, args.neurons),
           "--minibatch", *map(str, args.minibatch),
           "--repeats", str(args.repeats),
           "--build-repeats", str(args.build_repeats),
           "--sim-time", str(args.sim_time)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    print("nengo_dl (subprocess) ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(WORKER_MARKER):
            out = json.loads(line[len(WORKER_MARKER):])
            return out["records"], out["versions"]
    tail = proc.stderr.strip().splitlines()[-5:]
    err = f"subprocess exited {proc.returncode}: " + " | ".join(tail)
    print(err, file=sys.stderr)
    return [{"simulator": "nengo_dl", "error": err}], {}


def versions():
    """Versions of the packages that matter, in this interpreter.

    Returns
    -------
    dict
        Package name to version string (missing packages are left out).
    """
    import importlib

    out = {"python": platform.python_version()}
    for mod in ("nengo", "numpy", "tensorflow", "nengodl_notebook"):
        try:
            out[mod] = getattr(importlib.import_module(mod), "__version__", "?")
        except Exception as e:  # noqa: BLE001
            out[mod] = f"import failed: {type(e).__name__}"
    return out


def machine_info():
    """Describe the machine and its load at the time of the run.

    Returns
    -------
    dict
        Platform, visible CPUs, load averages and whether nengo's decoder
        cache is on (it speeds up nengo's repeated builds).
    """
    import nengo

    return {"platform": platform.platform(),
            "nengo_decoder_cache": nengo.rc.getboolean("decoder_cache", "enabled"),
            "processor": platform.processor() or platform.machine(),
            "cpus_usable": len(os.sched_getaffinity(0)),
            "loadavg_at_start": os.getloadavg(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def find(records, name, n, mb=None):
    """Find the record of a simulator and configuration.

    Parameters
    ----------
    records : list of dict
        All records.
    name : str
        Simulator name.
    n : int
        Neurons per ensemble.
    mb : int, optional
        Minibatch size (not checked if None).

    Returns
    -------
    dict or None
        The matching record, or None (also if only an error record exists).
    """
    for r in records:
        if (r["simulator"] == name and r.get("n_neurons") == n
                and (mb is None or r.get("minibatch_size") == mb)):
            return r
    return None


def nengo_reference(rec, metric, mb):
    """Nengo's time for a metric, extrapolated to ``mb`` sequential runs.

    Parameters
    ----------
    rec : dict or None
        Nengo's record.
    metric : str
        One of `METRICS`.
    mb : int
        Minibatch size of the configuration compared with.

    Returns
    -------
    float or None
        Build: nengo's build (one build serves sequential runs). First run:
        ``first + (mb - 1) * steady``. Steady run: ``mb * steady``.
    """
    med = (rec or {}).get("median") or {}
    if med.get(metric) is None or mb == 1 or metric == "build_s":
        return med.get(metric)
    if med.get("run_s") is None:
        return None
    if metric == "first_run_s":
        return med["first_run_s"] + (mb - 1) * med["run_s"]
    return mb * med["run_s"]


def fmt(value, digits=4):
    """Format seconds or a ratio for the table ("-" when missing)."""
    return "-" if value is None else f"{value:.{digits}g}"


def ratio(num, den):
    """``num / den``, or None if either is missing or ``den`` is zero."""
    return None if num is None or not den else num / den


def table_rows(records, args, with_dl):
    """Rows of the markdown table (one per neurons x minibatch x metric).

    Parameters
    ----------
    records : list of dict
        All records.
    args : argparse.Namespace
        Options (``neurons``, ``minibatch``).
    with_dl : bool
        Whether to add the NengoDL columns.

    Returns
    -------
    list of str
        Markdown table lines, header included.
    """
    head = ["neurons", "minibatch", "metric", "nengo (s)", "ours (s)",
            "nengo / ours"]
    head += ["nengo_dl (s)", "nengo_dl / ours"] if with_dl else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in args.neurons:
        ref = find(records, "nengo", n)
        for mb in args.minibatch:
            ours = (find(records, "nengodl_notebook", n, mb) or {}).get("median", {})
            dl = (find(records, "nengo_dl", n, mb) or {}).get("median", {})
            for m in METRICS:
                nv = nengo_reference(ref, m, mb)
                mark = "" if mb == 1 or m == "build_s" else " †"
                row = [str(n), str(mb), METRIC_LABELS[m], fmt(nv) + mark,
                       fmt(ours.get(m)), fmt(ratio(nv, ours.get(m)), 3)]
                if with_dl:
                    row += [fmt(dl.get(m)), fmt(ratio(dl.get(m), ours.get(m)), 3)]
                lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown_report(records, args):
    """The markdown table, its footnotes and any errors.

    Parameters
    ----------
    records : list of dict
        All records.
    args : argparse.Namespace
        Options.

    Returns
    -------
    str
        Markdown text.
    """
    with_dl = bool(args.nengodl_python)
    lines = table_rows(records, args, with_dl)
    lines += ["", f"Medians over {args.build_repeats} construction(s) (build, "
              f"first run) and {args.repeats} steady runs (after 1 warm-up run; "
              "untimed `sim.reset()` before each run). Ratios > 1: ours faster.",
              "† nengo has no minibatch: for minibatch mb > 1 the nengo column "
              "is the reference time of mb sequential nengo runs with reset "
              "(e.g. 32 sequential runs): `mb x steady`, and for the first run "
              "`first + (mb - 1) x steady`; extrapolated from nengo's single "
              "runs, not measured. Nengo's build is not multiplied."]
    errors = [r for r in records if r.get("error")]
    if errors:
        lines += ["", "Errors:"]
        lines += [f"- {r['simulator']} n={r.get('n_neurons')} "
                  f"mb={r.get('minibatch_size')}: {r['error']}" for r in errors]
    return "\n".join(lines)


def main(argv=None):
    """Run the benchmark, print the table and write the JSON file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        Exit status: 1 if any simulator failed, else 0.
    """
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return 0
    info = {"machine": machine_info(), "versions": versions(),
            "settings": {k: v for k, v in vars(args).items() if k != "worker"}}
    records = run_local(args)
    if args.nengodl_python:
        dl_records, info["nengo_dl_versions"] = run_nengodl_subprocess(args)
        records += dl_records
    report = markdown_report(records, args)
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**info, "records": records, "table": report},
                              indent=1))
    print(f"\nwrote {out}", file=sys.stderr)
    return 1 if any(r.get("error") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
