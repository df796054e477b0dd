"""The project's speed record: ours vs ``nengo.Simulator`` (and NengoDL).

Benchmarks (see ``networks.py``): the tutorial network with 20 and 1000
neurons per ensemble (minibatch 1 and 32), 50 parallel copies of the tutorial
chain, a 32-d circular convolution, a 32-d integrator, a random network, and
the tutorial's training (25 epochs of 4096 samples, minibatch 32). For each
simulator and network, in one process: construction (``build``), the first
``run(1.0)``, their sum (``first result``) and the median of at least 5
``run(1.0)`` after a warm-up run (``steady``); see ``measure.py``.

Prints a markdown table with ratios (``nengo / ours``: > 1 means ours is
faster) and a targets section, and writes everything to
``benchmarks/results/latest.json``. ``--nengodl-python PATH`` also times
NengoDL 3.6 in another Python (a venv made by ``make-nengodl-venv``) through a
subprocess running this file with ``--worker``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

from measure import measure, measure_training, prime_decoder_cache, warm_up  # noqa: E402
from networks import NETWORKS  # noqa: E402
from report import markdown_report, target_results  # noqa: E402

WORKER_MARKER = "BENCH_JSON:"
ALL = list(NETWORKS) + ["training"]


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
    p.add_argument(
        "--quick",
        action="store_true",
        help="1 construction and 5 steady runs per benchmark",
    )
    p.add_argument(
        "--only",
        nargs="+",
        choices=ALL,
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(ALL)})",
    )
    p.add_argument("--repeats", type=int, help="timed steady runs (min 5)")
    p.add_argument("--build-repeats", type=int, help="constructions timed")
    p.add_argument("--sim-time", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=25, help="training epochs")
    p.add_argument("--nengodl-python", help="python of a NengoDL 3.6 venv")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/latest.json"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.only = args.only or ALL
    if args.repeats is None:
        args.repeats = 5 if args.quick else 9
    args.repeats = max(args.repeats, 5)
    if args.build_repeats is None:
        args.build_repeats = 1 if args.quick else 3
    return args


def log(msg):
    """Progress message on stderr."""
    print(msg, file=sys.stderr, flush=True)


def run_simulators(names, args, simulators):
    """Measure the given simulators on the selected benchmarks.

    Parameters
    ----------
    names : list of str
        Benchmarks (keys of ``NETWORKS`` and/or ``"training"``).
    args : argparse.Namespace
        Options.
    simulators : list of str
        Simulator names; nengo is measured at minibatch 1 only and skips
        training.

    Returns
    -------
    list of dict
        One record per (simulator, benchmark, minibatch).
    """
    for name in simulators:
        warm_up(name)
    records = []
    for net in [n for n in NETWORKS if n in names]:
        prime_decoder_cache(net)
        for name in simulators:
            mbs = (1,) if name == "nengo" else NETWORKS[net].minibatches
            for mb in mbs:
                log(f"{name}, {net}, minibatch={mb} ...")
                records.append(measure(name, net, mb, args))
    if "training" in names:
        for name in [s for s in simulators if s != "nengo"]:
            log(f"{name}, training ...")
            records.append(measure_training(name, args))
    return records


def run_worker(args):
    """Measure NengoDL (``--worker`` mode) and print the records as JSON.

    Parameters
    ----------
    args : argparse.Namespace
        Options.
    """
    import nengo_dl

    records = run_simulators(args.only, args, ["nengo_dl"])
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
    cmd = [
        args.nengodl_python,
        str(Path(__file__).resolve()),
        "--worker",
        "--only",
        *args.only,
        "--repeats",
        str(args.repeats),
        "--build-repeats",
        str(args.build_repeats),
        "--sim-time",
        str(args.sim_time),
        "--epochs",
        str(args.epochs),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    log("nengo_dl (subprocess) ...")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(WORKER_MARKER):
            out = json.loads(line[len(WORKER_MARKER) :])
            return out["records"], out["versions"]
    err = f"subprocess exited {proc.returncode} (its stderr is above)"
    log(err)
    return [{"simulator": "nengo_dl", "error": err}], {}


def run_lif_floor(args):
    """The LIF-only floor of the 1000/ens network (``lif_floor.py``).

    Runs it in two subprocesses, with 1 intra-op thread and TensorFlow's
    default, and keeps the faster per minibatch size.

    Parameters
    ----------
    args : argparse.Namespace
        Options (``repeats``).

    Returns
    -------
    list of dict
        One ``"lif_floor"`` record per minibatch size (or one error record).
    """
    runs = []
    for threads in (1, 0):
        log(f"LIF floor, {threads or 'default'} thread(s) ...")
        cmd = [
            sys.executable,
            str(ROOT / "benchmarks/lif_floor.py"),
            "--threads",
            str(threads),
            "--repeats",
            str(args.repeats),
        ]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            err = f"lif_floor.py exited {proc.returncode} (its stderr is above)"
            return [{"simulator": "lif_floor", "error": err}]
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    records = []
    for mb in NETWORKS["tutorial1000"].minibatches:
        best = min(runs, key=lambda r: r[str(mb)])
        records.append(
            {
                "simulator": "lif_floor",
                "network": "tutorial1000",
                "minibatch_size": mb,
                "error": None,
                "threads": best["threads"] or "default",
                "median": {"run_s": best[str(mb)]},
            }
        )
    return records


def versions():
    """Versions of the packages that matter, in this interpreter.

    Returns
    -------
    dict
        Package name to version string (failed imports say so).
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
        Platform, usable CPUs, load averages, date and whether nengo's decoder
        cache is on (it speeds up repeated builds of the same network).
    """
    import nengo

    return {
        "platform": platform.platform(),
        "nengo_decoder_cache": nengo.rc.getboolean("decoder_cache", "enabled"),
        "processor": platform.processor() or platform.machine(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "loadavg_at_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv=None):
    """Run the benchmarks, print the report and write the JSON file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        Exit status: 1 if any simulator failed, else 0 (missed targets are
        reported, not failures).
    """
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return 0
    info = {
        "machine": machine_info(),
        "versions": versions(),
        "settings": {k: v for k, v in vars(args).items() if k != "worker"},
    }
    t0 = time.perf_counter()
    records = run_simulators(args.only, args, ["nengo", "nengodl_notebook"])
    if "tutorial1000" in args.only:
        records += run_lif_floor(args)
    if args.nengodl_python:
        dl_records, info["nengo_dl_versions"] = run_nengodl_subprocess(args)
        records += dl_records
    info["machine"]["loadavg_at_end"] = os.getloadavg()
    info["wall_s"] = time.perf_counter() - t0
    targets = target_results(records)
    report = markdown_report(records, args.only, args, targets)
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {**info, "records": records, "targets": targets, "report": report}, indent=1
        )
    )
    log(f"\nwrote {out} ({info['wall_s']:.0f} s)")
    return 1 if any(r.get("error") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
