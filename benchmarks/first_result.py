"""The first result, side by side with nengo, in fresh processes (issue 19).

Every repetition is a new Python process (the first Simulator of a process pays
TensorFlow's one-off set-up, as in a notebook's first cell). Rows:

* tutorial: construct + first ``run(1.0)`` of the 1st, 2nd and 3rd Simulator of
  the same network in one process, ours and ``nengo.Simulator`` interleaved (which
  goes first alternates between repetitions);
* copies50, cconv: the first Simulator's construct + first ``run(1.0)``;
* training: the tutorial's first ``sim.train`` call (25 epochs), a second
  Simulator's first call, and the epochs' own time (a second call).

::

    .venv/bin/python benchmarks/first_result.py            # 5 processes per row
    .venv/bin/python benchmarks/first_result.py --quick    # 3
    .venv/bin/python benchmarks/first_result.py --xla-cache warm  # programs
                                                  # saved by an earlier process
    .venv/bin/python benchmarks/first_result.py --tf-xla-flags \\
        "--tf_xla_persistent_cache_directory=/tmp/xla_cache"

Medians over processes; ratios are ours / nengo's medians. nengo's decoder cache
is filled once (untimed) before the first process. ``--baseline`` (a JSON file
written by ``--out``) gives "today's" training time for the training target.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

from networks import NETWORKS, SEED  # noqa: E402

MARKER = "FIRST_JSON:"
SIM_TIME = 1.0
#: Simulators per process of each network ("tutorial": 1st, 2nd and 3rd).
N_SIMS = {"tutorial": 3, "copies50": 1, "cconv": 1}
EPOCHS = 25


def probe_digest(sim, probes):
    """A short SHA-256 of all probe data (to check results stay identical)."""
    digest = hashlib.sha256()
    for p in probes:
        digest.update(sim.data[p].tobytes())
    return digest.hexdigest()[:16]


def first_result(sim_cls, net, probes, kwargs):
    """Construct a Simulator of ``net`` and run it for 1 s.

    Returns
    -------
    dict
        ``build_s``, ``run_s`` (seconds) and ``digest`` (of the probe data).
    """
    t0 = time.perf_counter()
    sim = sim_cls(net, **kwargs)
    t1 = time.perf_counter()
    sim.run(SIM_TIME)
    t2 = time.perf_counter()
    digest = probe_digest(sim, probes)
    sim.close()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "digest": digest}


def child_network(net_name, ours_first):
    """One process: ``N_SIMS[net_name]`` Simulators each of ours and nengo's."""
    t0 = time.perf_counter()
    import nengo

    t1 = time.perf_counter()
    import nengodl_notebook

    t2 = time.perf_counter()
    bench = NETWORKS[net_name].factory()
    sims = {"ours": nengodl_notebook.Simulator, "nengo": nengo.Simulator}
    order = ["ours", "nengo"] if ours_first else ["nengo", "ours"]
    kwargs = {"seed": SEED, "progress_bar": False}
    out = {"import_nengo_s": t1 - t0, "import_ours_s": t2 - t1}
    out.update({name: [] for name in order})
    for _ in range(N_SIMS[net_name]):
        for name in order:
            out[name].append(first_result(sims[name], bench.net, bench.probes, kwargs))
    return out


def child_training():
    """One process: the tutorial's training on two Simulators, two calls each."""
    from measure import measure_training

    import nengodl_notebook  # noqa: F401 - imported before timing

    options = argparse.Namespace(epochs=EPOCHS, build_repeats=2)
    rec = measure_training("nengodl_notebook", options)
    if rec["error"]:
        raise RuntimeError(rec["error"])
    return {k: rec[k] for k in ("build_s", "train_first_s", "train_second_s")}


def run_child(spec, xla_flags, cache):
    """Run one measurement in a fresh process (XLA cache directory ``cache``);
    its JSON result."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", NENGODL_NOTEBOOK_XLA_CACHE=cache)
    if xla_flags:
        env["TF_XLA_FLAGS"] = xla_flags
    cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"child {spec} failed:\n{proc.stderr[-3000:]}")


def median(values):
    """Median, or None for no values."""
    return statistics.median(values) if values else None


def collect(args):
    """Run every repetition of every selected measurement; the raw samples.

    ``--xla-cache cold``: every process starts with an empty XLA cache (the
    first run ever on the machine); ``warm``: all share one that an untimed
    process of each measurement filled first (a re-run, a restarted kernel).
    """
    samples = {}
    with tempfile.TemporaryDirectory() as root:
        shared = os.path.join(root, "shared")
        if args.xla_cache == "warm":
            for name in args.only:
                stamp = time.strftime("%H:%M:%S")
                print(f"[{stamp}] {name} (fills the cache)", file=sys.stderr)
                run_child({"kind": name, "ours_first": True}, args.tf_xla_flags, shared)
        for rep in range(args.repeats):
            for name in args.only:
                spec = {"kind": name, "ours_first": rep % 2 == 0}
                print(
                    f"[{time.strftime('%H:%M:%S')}] {name} #{rep + 1}", file=sys.stderr
                )
                own = os.path.join(root, f"{name}{rep}")
                cache = shared if args.xla_cache == "warm" else own
                samples.setdefault(name, []).append(
                    run_child(spec, args.tf_xla_flags, cache)
                )
    return samples


def network_rows(samples, name):
    """Table rows (label, ours, nengo, target ratio) of one network."""
    rows = []
    for i in range(N_SIMS[name]):
        cells = {}
        for sim in ("ours", "nengo"):
            runs = [s[sim][i] for s in samples[name]]
            build = median([r["build_s"] for r in runs])
            run = median([r["run_s"] for r in runs])
            total = median([r["build_s"] + r["run_s"] for r in runs])
            cells[sim] = (total, build, run)
        which = ("1st Simulator in a fresh process", "2nd Simulator", "3rd Simulator")
        label = f"{name}: {which[i]}" if N_SIMS[name] > 1 else f"{name}: first result"
        target = (2.0 if i == 0 else 1.2) if name == "tutorial" else 1.5
        rows.append((label, cells["ours"], cells["nengo"], target))
    return rows


def fmt_cell(cell):
    """``total (build + run)`` in seconds."""
    if cell is None:
        return "-"
    total, build, run = cell
    return f"{total:.3f} ({build:.3f} + {run:.3f})"


def training_rows(samples, baseline):
    """Markdown lines of the training rows."""
    runs = samples["training"]
    first = median([s["train_first_s"][0] for s in runs])
    second_sim = median([s["train_first_s"][1] for s in runs])
    epochs = median([s["train_second_s"][0] for s in runs])
    today = baseline if baseline is not None else first
    lines = [
        f"| training: 1st sim.train call ({EPOCHS} epochs) | {first:.3f} | - | "
        f"{first / today:.2f}x of today's {today:.3f} | <= 0.5x | "
        f"{'yes' if first <= 0.5 * today else 'no'} |",
        f"| training: 2nd Simulator's 1st call | {second_sim:.3f} | - | "
        f"epochs' own {epochs:.3f} + {second_sim - epochs:.3f} | <= own + 0.2 s | "
        f"{'yes' if second_sim <= epochs + 0.2 else 'no'} |",
    ]
    return lines


def report(samples, baseline=None):
    """The markdown table of the medians, with targets."""
    lines = [
        "| row | ours, s (build + run) | nengo, s (build + run) | ratio | target "
        "| met |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("tutorial", "copies50", "cconv"):
        if name not in samples:
            continue
        for label, ours, ref, target in network_rows(samples, name):
            ratio = ours[0] / ref[0]
            lines.append(
                f"| {label} | {fmt_cell(ours)} | {fmt_cell(ref)} | {ratio:.2f}x | "
                f"<= {target}x | {'yes' if ratio <= target else 'no'} |"
            )
    if "training" in samples:
        lines += training_rows(samples, baseline)
    return "\n".join(lines)


def notes(samples):
    """Import times and whether our results were identical in every process."""
    out = []
    nets = [n for n in samples if n in N_SIMS]
    if nets:
        imports = [s["import_ours_s"] for n in nets for s in samples[n]]
        out.append(
            f"import nengodl_notebook (TensorFlow): median {median(imports):.2f} s"
        )
    for name in nets:
        digests = {r["digest"] for s in samples[name] for r in s["ours"]}
        out.append(
            f"{name}: {len(digests)} distinct probe-data digest(s) of ours: "
            + ", ".join(sorted(digests))
        )
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="3 processes per row")
    p.add_argument("--repeats", type=int, default=None, help="processes per row (5)")
    p.add_argument("--only", nargs="+", default=list(N_SIMS) + ["training"])
    p.add_argument("--tf-xla-flags", default="", help="TF_XLA_FLAGS of the processes")
    p.add_argument(
        "--xla-cache",
        choices=("cold", "warm"),
        default="cold",
        help="saved XLA programs: none (cold), or from an earlier process (warm)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/first_result.json"))
    p.add_argument("--baseline", help="JSON from --out: today's training time")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    return args


def main(argv=None):
    """Measure, print the table, write the samples as JSON."""
    args = parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        if spec["kind"] == "training":
            out = child_training()
        else:
            out = child_network(spec["kind"], spec["ours_first"])
        print(MARKER + json.dumps(out))
        return
    from measure import prime_decoder_cache

    for name in args.only:
        prime_decoder_cache("tutorial" if name == "training" else name)
    load = os.getloadavg()
    samples = collect(args)
    baseline = None
    if args.baseline:
        with open(args.baseline) as f:
            old = json.load(f)["samples"]["training"]
        baseline = median([s["train_first_s"][0] for s in old])
    print(f"{args.repeats} processes per row; load average {load} -> {os.getloadavg()}")
    print(f"TF_XLA_FLAGS={args.tf_xla_flags!r}; XLA cache: {args.xla_cache}\n")
    print(report(samples, baseline))
    print("\n" + "\n".join(notes(samples)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                "samples": samples,
                "load": [load, os.getloadavg()],
                "flags": args.tf_xla_flags,
                "xla_cache": args.xla_cache,
            },
            f,
        )


if __name__ == "__main__":
    main()
