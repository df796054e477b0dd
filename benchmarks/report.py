"""Markdown report of benchmark records: the timing table and the targets."""

from measure import METRICS
from networks import NETWORKS

METRIC_LABELS = {
    "build_s": "build",
    "first_run_s": "first run(1.0)",
    "first_result_s": "build + first run",
    "run_s": "steady run(1.0)",
    "train_first_s": "train 25 epochs, 1st call",
    "train_second_s": "train 25 epochs, 2nd call",
}
TRAIN_ROWS = ("build_s", "train_first_s", "train_second_s")


def find(records, name, network, mb=None):
    """The record of a simulator on a network (and minibatch), or None."""
    for r in records:
        if (
            r["simulator"] == name
            and r.get("network") == network
            and (mb is None or r.get("minibatch_size") == mb)
        ):
            return r
    return None


def median(records, name, network, metric, mb=None):
    """Median of one metric of one record (None if missing)."""
    return ((find(records, name, network, mb) or {}).get("median") or {}).get(metric)


def nengo_reference(records, network, metric, mb):
    """Nengo's time for a metric, extrapolated to ``mb`` sequential runs.

    Parameters
    ----------
    records : list of dict
        All records.
    network : str
        Network name.
    metric : str
        One of `measure.METRICS`.
    mb : int
        Minibatch size of the configuration compared with.

    Returns
    -------
    float or None
        For ``mb == 1`` or build: nengo's measured median. Otherwise
        ``first + (mb - 1) * steady`` for the first run, ``build + that`` for
        the first result and ``mb * steady`` for the steady run.
    """

    def get(m):
        return median(records, "nengo", network, m)

    if mb == 1 or metric == "build_s" or get(metric) is None:
        return get(metric)
    if get("run_s") is None:
        return None
    extra = (mb - 1) * get("run_s")
    if metric == "run_s":
        return mb * get("run_s")
    return get(metric) + extra


def fmt(value, digits=4):
    """Format seconds or a ratio for the table ("-" when missing)."""
    return "-" if value is None else f"{value:.{digits}g}"


def ratio(num, den):
    """``num / den``, or None if either is missing or ``den`` is zero."""
    return None if num is None or not den else num / den


def row(cells):
    """One markdown table line."""
    return "| " + " | ".join(cells) + " |"


def table_rows(records, names, with_dl):
    """Markdown lines of the timing table (header included).

    Parameters
    ----------
    records : list of dict
        All records.
    names : list of str
        Benchmarks run (keys of ``NETWORKS``, and/or ``"training"``).
    with_dl : bool
        Whether to add the NengoDL columns.

    Returns
    -------
    list of str
    """
    head = ["network", "mb", "metric", "nengo (s)", "ours (s)", "nengo / ours"]
    head += ["nengo_dl (s)", "nengo_dl / ours"] if with_dl else []
    lines = [row(head), "|" + "---|" * len(head)]
    for net in [n for n in NETWORKS if n in names]:
        for mb in NETWORKS[net].minibatches:
            for m in METRICS:
                nv = nengo_reference(records, net, m, mb)
                ours = median(records, "nengodl_notebook", net, m, mb)
                mark = "" if mb == 1 or m == "build_s" else " †"
                cells = [
                    NETWORKS[net].label,
                    str(mb),
                    METRIC_LABELS[m],
                    fmt(nv) + mark,
                    fmt(ours),
                    fmt(ratio(nv, ours), 3),
                ]
                if with_dl:
                    dl = median(records, "nengo_dl", net, m, mb)
                    cells += [fmt(dl), fmt(ratio(dl, ours), 3)]
                lines.append(row(cells))
    if "training" in names:
        for m in TRAIN_ROWS:
            ours = median(records, "nengodl_notebook", "training", m)
            cells = [
                "tutorial training, 4096 x 1 step",
                "32",
                METRIC_LABELS[m],
                "-",
                fmt(ours),
                "-",
            ]
            if with_dl:
                dl = median(records, "nengo_dl", "training", m)
                cells += [fmt(dl), fmt(ratio(dl, ours), 3)]
            lines.append(row(cells))
    return lines


def ours(records, net, m, mb=1):
    """Median of ours on a network."""
    return median(records, "nengodl_notebook", net, m, mb)


def nengo(records, net, m):
    """Median of nengo on a network."""
    return median(records, "nengo", net, m)


#: (description, value(records), "min" or "max", threshold, unit)
TARGETS = [
    (
        "tutorial steady run(1.0): nengo / ours",
        lambda r: ratio(nengo(r, "tutorial", "run_s"), ours(r, "tutorial", "run_s")),
        "min",
        15,
        "x",
    ),
    (
        "tutorial first result (construct + first run(1.0)), ours",
        lambda r: ours(r, "tutorial", "first_result_s"),
        "max",
        0.6,
        "s",
    ),
    (
        "50 copies first result (construct + first run(1.0)), ours",
        lambda r: ours(r, "copies50", "first_result_s"),
        "max",
        3.0,
        "s",
    ),
    (
        "tutorial (20/ens) steady run(1.0): ours mb 32 / mb 1",
        lambda r: ratio(ours(r, "tutorial", "run_s", 32), ours(r, "tutorial", "run_s")),
        "max",
        3,
        "x",
    ),
    (
        "tutorial (1000/ens) steady run(1.0): ours mb 32 / mb 1",
        lambda r: ratio(
            ours(r, "tutorial1000", "run_s", 32), ours(r, "tutorial1000", "run_s")
        ),
        "max",
        3,
        "x",
    ),
    (
        "50 copies steady run(1.0): nengo / ours",
        lambda r: ratio(nengo(r, "copies50", "run_s"), ours(r, "copies50", "run_s")),
        "min",
        10,
        "x",
    ),
    (
        "circular convolution steady run(1.0): nengo / ours",
        lambda r: ratio(nengo(r, "cconv", "run_s"), ours(r, "cconv", "run_s")),
        "min",
        3,
        "x",
    ),
    (
        "circular convolution construction: ours / nengo build",
        lambda r: ratio(ours(r, "cconv", "build_s"), nengo(r, "cconv", "build_s")),
        "max",
        1.5,
        "x",
    ),
    (
        "tutorial training, 25 epochs, 1st call (incl. compile), ours",
        lambda r: ours(r, "training", "train_first_s", 32),
        "max",
        1.5,
        "s",
    ),
    (
        "tutorial training, 25 epochs, 2nd call, ours",
        lambda r: ours(r, "training", "train_second_s", 32),
        "max",
        1.5,
        "s",
    ),
]


def target_results(records):
    """Evaluate every target.

    Parameters
    ----------
    records : list of dict
        All records.

    Returns
    -------
    list of dict
        ``target``, ``value``, ``threshold`` (e.g. ``">= 15x"``) and
        ``status`` (``PASS``, ``MISS`` or ``n/a`` when not measured).
    """
    out = []
    for desc, fn, kind, thr, unit in TARGETS:
        value = fn(records)
        if value is None:
            status = "n/a"
        else:
            ok = value >= thr if kind == "min" else value <= thr
            status = "PASS" if ok else "MISS"
        out.append(
            {
                "target": desc,
                "value": value,
                "unit": unit,
                "threshold": f"{'>=' if kind == 'min' else '<='} {thr}{unit}",
                "status": status,
            }
        )
    return out


def targets_section(results):
    """Markdown lines of the targets section."""
    lines = [
        "## Targets",
        "",
        row(["target", "measured", "threshold", "status"]),
        "|---|---|---|---|",
    ]
    for t in results:
        val = "-" if t["value"] is None else f"{t['value']:.3g}{t['unit']}"
        lines.append(row([t["target"], val, t["threshold"], t["status"]]))
    return lines


def floor_section(records):
    """Markdown lines comparing ours on the 1000/ens network with its LIF-only floor."""
    floor = {
        mb: median(records, "lif_floor", "tutorial1000", "run_s", mb)
        for mb in NETWORKS["tutorial1000"].minibatches
    }
    if None in floor.values():
        return []
    base = ours(records, "tutorial1000", "run_s")
    lines = [
        "## Floor of the 1000/ens minibatch row",
        "",
        row(["tutorial, 1000 neurons/ens, run(1.0)", "mb", "s", "/ ours mb 1"]),
        "|---|---|---|---|",
    ]
    for mb, value in floor.items():
        lines.append(
            row(
                [
                    "LIF arithmetic + input current only (lif_floor.py)",
                    str(mb),
                    fmt(value),
                    fmt(ratio(value, base), 3),
                ]
            )
        )
        lines.append(
            row(
                [
                    "ours, whole network",
                    str(mb),
                    fmt(ours(records, "tutorial1000", "run_s", mb)),
                    fmt(ratio(ours(records, "tutorial1000", "run_s", mb), base), 3),
                ]
            )
        )
    lines += [
        "",
        "A whole run at minibatch 32 cannot be faster than the LIF "
        "arithmetic alone, so no change outside the neuron arithmetic can "
        "bring the 1000/ens mb 32 / mb 1 ratio below the floor's "
        f"{fmt(ratio(floor[32], base), 3)}x.",
    ]
    return lines


def markdown_report(records, names, args, targets):
    """The whole markdown report: table, footnotes, errors and targets.

    Parameters
    ----------
    records : list of dict
        All records.
    names : list of str
        Benchmarks run.
    args : argparse.Namespace
        Options (``nengodl_python``, ``build_repeats``, ``repeats``).
    targets : list of dict
        Output of `target_results`.

    Returns
    -------
    str
    """
    lines = table_rows(records, names, bool(args.nengodl_python))
    lines += [
        "",
        f"Medians over {args.build_repeats} construction(s) (build, "
        f"first run) and {args.repeats} steady runs (after 1 warm-up run; "
        "untimed `sim.reset()` before each run). Ratios > 1: ours faster. "
        "Training: per construction (as many as builds), two 25-epoch "
        "calls with a fresh Adam(0.01).",
        "† nengo has no minibatch: for mb > 1 the nengo column is the "
        "extrapolated time of mb sequential nengo runs with reset "
        "(`mb x steady`; first run `first + (mb - 1) x steady`), not "
        "measured. Nengo's build is not multiplied.",
    ]
    errors = [r for r in records if r.get("error")]
    if errors:
        lines += ["", "Errors:"]
        lines += [
            f"- {r['simulator']} {r.get('network')} "
            f"mb={r.get('minibatch_size')}: {r['error']}"
            for r in errors
        ]
    floor = floor_section(records)
    lines += [""] + targets_section(targets)
    return "\n".join(lines + ([""] + floor if floor else []))
