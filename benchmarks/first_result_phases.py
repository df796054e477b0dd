"""Where our first result spends its time, phase by phase (issue 19).

Each repetition is a fresh process per network. In it, Simulators of the same
network are constructed and run one after another:

* ``1st``: the first Simulator of the process (XLA, ``run(1.0)``);
* ``new``: another one after ``SHARED_PROGRAMS.clear()``: a program compiled
  anew in a warm process (what a changed network costs);
* ``shared``: another one whose XLA program is shared (same network again);
* ``noxla``: ``jit_compile=False`` (tracing, then the graph run op by op);
* ``new 0.1`` / ``noxla 0.1``: the same two with ``run(0.1)``;

then ``nengo.Simulator`` (build, first ``run(1.0)``, first ``run(0.1)``).
``training`` splits the tutorial's first ``sim.train`` call (25 epochs).
``--profile NET`` prints cProfile's top 20 functions (own time) of a warm
construction. Phases are timed with ``time.perf_counter`` around the
Simulator's parts, wrapped in this process only (the package is unchanged)::

    .venv/bin/python benchmarks/first_result_phases.py --only tutorial cconv
    .venv/bin/python benchmarks/first_result_phases.py --profile copies50
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

from networks import NETWORKS, SEED  # noqa: E402

MARKER = "PHASES_JSON:"

#: Construction phases: the names wrapped in ``nengodl_notebook.simulator``.
CONSTRUCTION = {
    "dependency graph (nengo's operator_dependency_graph)": (
        "operator_dependency_graph",
    ),
    "merging (merge_operators)": ("merge_operators",),
    "step order (step_order)": ("step_order",),
    "op grouping": ("constant_node_ops", "simulated_ops", "group_ops"),
    "signal layout": ("make_layout",),
    "op-group objects (build_groups)": ("build_groups",),
    "params, probes, inputs": (
        "InputPlan",
        "input_node_ops",
        "trainable_objects",
        "parameter_signals",
        "ParamStore",
        "TensorNodeVariables",
        "ProbeRecorder",
    ),
    "StepProgram + Trainer objects": ("StepProgram", "Trainer"),
}
#: The Simulator configurations timed in every process, in order.
CONFIGS = (
    ("1st", True, 1.0, False),
    ("new", True, 1.0, True),
    ("shared", True, 1.0, False),
    ("noxla", False, 1.0, False),
    ("new 0.1", True, 0.1, True),
    ("noxla 0.1", False, 0.1, False),
)


class Timers:
    """Seconds per phase of the Simulator being timed (outermost calls only)."""

    def __init__(self):
        self.current = None
        self._depth = {}

    def wrap(self, phase, fn):
        """``fn`` timed into ``phase`` (nested calls are counted once)."""

        def timed(*args, **kwargs):
            if self.current is None or self._depth.get(phase):
                return fn(*args, **kwargs)
            self._depth[phase] = 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth[phase] = 0
                spent = time.perf_counter() - t0
                self.current[phase] = self.current.get(phase, 0.0) + spent

        return timed


class TracingProxy:
    """Stands in for a ``tf.function``: times ``get_concrete_function``."""

    def __init__(self, fn, timers, phase):
        self.fn, self.timers, self.phase = fn, timers, phase

    def get_concrete_function(self, *args):
        return self.timers.wrap(self.phase, self.fn.get_concrete_function)(*args)

    def __call__(self, *args):
        return self.fn(*args)

    def __getattr__(self, name):  # the rest (tracing counts...) as the function's
        return getattr(self.fn, name)


def instrument(timers):
    """Wrap the Simulator's parts (this process only)."""
    import nengo

    from nengodl_notebook import shared_programs, simulator, step_program

    for phase, names in CONSTRUCTION.items():
        for name in names:
            setattr(simulator, name, timers.wrap(phase, getattr(simulator, name)))
    build = nengo.builder.Model.build
    nengo.builder.Model.build = timers.wrap("nengo builder", build)
    fingerprint = shared_programs.program_fingerprint
    shared_programs.program_fingerprint = timers.wrap(
        "program_fingerprint", fingerprint
    )
    step_program.step_key = timers.wrap("program key", step_program.step_key)


def instrument_program(program, timers):
    """Wrap one StepProgram's tracing, op-group build_pre and run calls."""
    program._run = TracingProxy(program._run, timers, "tracing (incl. build_pre)")
    for cls in {type(group) for group in program.groups}:
        # wrapped on the class once: a wrapper on the instance would make the
        # op group undescribable by the program key (program_keys)
        if not getattr(cls.build_pre, "timed", False):
            cls.build_pre = timers.wrap("op-group build_pre", cls.build_pre)
            cls.build_pre.timed = True
    calls = []
    run = program.run

    def recorded(*args):
        calls.append(args)
        return run(*args)

    program.run = timers.wrap("program.run", recorded)
    return calls


def timed_sim(timers, net, sim_time, jit):
    """Construct and run one Simulator; its phases (seconds)."""
    import nengodl_notebook

    times = timers.current = {}
    t0 = time.perf_counter()
    sim = nengodl_notebook.Simulator(
        net, seed=SEED, progress_bar=False, jit_compile=jit
    )
    t1 = time.perf_counter()
    calls = instrument_program(sim._program, timers)
    sim.run(sim_time)
    t2 = time.perf_counter()
    timers.current = None
    later = []
    for _ in range(3):  # the same program call again: no tracing, no compiling
        t = time.perf_counter()
        sim._program.run(*calls[0])[1].numpy()
        later.append(time.perf_counter() - t)
    sim.close()
    return split_run(times, t1 - t0, t2 - t1, statistics.median(later))


def split_run(times, construct, run, later):
    """Phases of one first result, the rest as "other" rows."""
    out = {"construct (total)": construct, "first run (total)": run}
    parts = dict(times)
    first_call = parts.pop("program.run", 0.0)
    trace = parts.get("tracing (incl. build_pre)", 0.0)
    fingerprint = parts.get("program_fingerprint", 0.0) + parts.get("program key", 0.0)
    built = sum(
        v for k, v in parts.items() if k in CONSTRUCTION or k == "nengo builder"
    )
    parts["construction, other"] = construct - built
    parts["first call - later call (XLA compile)"] = (
        first_call - trace - fingerprint - later
    )
    parts["run itself (later call)"] = later
    parts["run, other (inputs, probe data)"] = run - first_call
    out.update(parts)
    return out


def nengo_times(net):
    """nengo.Simulator: build, first run(1.0), and run(0.1) of another one."""
    import nengo

    out = {}
    for sim_time in (1.0, 0.1):
        t0 = time.perf_counter()
        with nengo.Simulator(net, seed=SEED, progress_bar=False) as sim:
            t1 = time.perf_counter()
            sim.run(sim_time)
            out[f"nengo build ({sim_time})"] = t1 - t0
            out[f"nengo first run({sim_time})"] = time.perf_counter() - t1
    return out


def child_network(net_name):
    """One process: every configuration of `CONFIGS`, then nengo."""
    from nengodl_notebook.step_program import SHARED_PROGRAMS

    timers = Timers()
    instrument(timers)
    net = NETWORKS[net_name].factory().net
    out = {}
    for label, jit, sim_time, clear in CONFIGS:
        if clear:
            SHARED_PROGRAMS.clear()
        out[label] = timed_sim(timers, net, sim_time, jit)
    out["nengo"] = nengo_times(net)
    return out


class TimedTrainFn:
    """Stands in for the training ``tf.function``: splits its first call.

    The first call is traced (``get_concrete_function``, timed), then run: XLA
    compiles it and runs its minibatches. Later calls give the time per
    minibatch, so the compilation is the first call minus its minibatches.
    """

    def __init__(self, fn, times):
        self.fn, self.times, self.first, self.later = fn, times, None, []

    def __call__(self, inputs, targets, start, stop):
        n = int(stop - start)
        if self.first is None:
            t0 = time.perf_counter()
            self.fn.get_concrete_function(inputs, targets, start, stop)
            self.times["train: tracing (incl. build_pre)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = self.fn(inputs, targets, start, stop)
        int(out[0])  # wait for the result
        if self.first is None:
            self.first = (time.perf_counter() - t0, n)
        else:
            self.later.append((time.perf_counter() - t0, n))
        return out

    def split(self):
        """Compilation and run time of the first call (seconds)."""
        per_batch = sum(t for t, _ in self.later) / sum(n for _, n in self.later)
        first, n = self.first
        self.times["train: first call - its minibatches (XLA compile)"] = (
            first - n * per_batch
        )
        self.times["train: later calls (minibatches)"] = sum(t for t, _ in self.later)


def timed_train(timers, sim, train):
    """The first and second ``train()`` call of ``sim``, the first one split."""
    times = timers.current = {}
    trainer = sim._trainer
    compile_train = trainer._compile_train
    proxies = []

    def timed_compile(working, objective):
        proxies.append(TimedTrainFn(compile_train(working, objective), times))
        return proxies[-1]

    trainer._compile_train = timed_compile
    for group in sim._program.groups:
        group.build_pre = timers.wrap("train: op-group build_pre", group.build_pre)
    t0 = time.perf_counter()
    train(sim)
    total = time.perf_counter() - t0
    timers.current = None
    proxies[0].split()
    known = sum(v for k, v in times.items() if not k.endswith("build_pre"))
    known += (
        proxies[0].first[0] - times["train: first call - its minibatches (XLA compile)"]
    )  # the first call's own minibatches
    times["train: first call (total)"] = total
    times["train: other (set-up, data, callbacks)"] = total - known
    t0 = time.perf_counter()
    train(sim)
    times["train: 2nd call (epochs' own time)"] = time.perf_counter() - t0
    return times


def child_training():
    """One process: a warm-up run, then the first train call of two Simulators."""
    import tensorflow as tf
    from measure import train_call
    from networks import training_network

    import nengodl_notebook

    warm = NETWORKS["tutorial"].factory().net
    with nengodl_notebook.Simulator(warm, seed=SEED, progress_bar=False) as sim:
        sim.run(1.0)  # as the notebook does before training; TF set up
    timers = Timers()
    net, inpt, probe = training_network(nengodl_notebook.configure_settings)
    options = argparse.Namespace(epochs=25)
    out = {}
    for label in ("1st Simulator", "2nd Simulator"):
        optimizer = tf.keras.optimizers.Adam(0.01)
        t0 = time.perf_counter()
        kwargs = {"seed": SEED, "progress_bar": False, "minibatch_size": 32}
        with nengodl_notebook.Simulator(net, **kwargs) as sim:
            construct = time.perf_counter() - t0
            out[label] = timed_train(
                timers,
                sim,
                lambda s, opt=optimizer: train_call(
                    "nengodl_notebook", s, opt, inpt, probe, options
                ),
            )
            out[label]["construct (total)"] = construct
    return out


def run_child(args_list):
    """Run this script with ``args_list`` in a fresh process; its JSON."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, __file__, *args_list]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"child {args_list} failed:\n{proc.stderr[-3000:]}")


def medians(samples):
    """``{column: {phase: median}}`` over processes."""
    out = {}
    for col in samples[0]:
        phases = list(samples[0][col])
        out[col] = {
            p: statistics.median(s[col].get(p, 0.0) for s in samples) for p in phases
        }
    return out


def table(meds):
    """Markdown table: phases down, configurations across (milliseconds)."""
    cols = [c for c in meds if c != "nengo"]
    phases = []
    for c in cols:
        phases += [p for p in meds[c] if p not in phases]
    lines = [
        "| phase (ms) | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for p in phases:
        cells = [f"{1000 * meds[c][p]:.0f}" if p in meds[c] else "-" for c in cols]
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    for p, v in meds.get("nengo", {}).items():
        lines.append(f"| {p} | {1000 * v:.0f} |" + " |" * (len(cols) - 1))
    return "\n".join(lines)


def profile_construction(net_name, top=20):
    """cProfile of a warm Simulator construction: the top functions by own
    time, then ours (and nengo's merge passes) by cumulative time."""
    import nengodl_notebook

    net = NETWORKS[net_name].factory().net
    nengodl_notebook.Simulator(net, seed=SEED, progress_bar=False).close()
    prof = cProfile.Profile()
    prof.enable()
    nengodl_notebook.Simulator(net, seed=SEED, progress_bar=False).close()
    prof.disable()
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    ours = "nengodl_notebook|builder/optimizer"  # ours, and nengo's merge passes
    stats.sort_stats("cumulative").print_stats(ours, top)
    return text.getvalue()


def main(argv=None):
    """Run every network in fresh processes, print the phase tables."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--only", nargs="+", default=["tutorial", "copies50", "cconv", "training"]
    )
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--profile", help="print the cProfile of a construction")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.profile:
        print(profile_construction(args.profile))
        return
    if args.child:
        if args.child == "training":
            out = child_training()
        else:
            out = child_network(args.child)
        print(MARKER + json.dumps(out))
        return
    print(f"load average at start: {os.getloadavg()}")
    for name in args.only:
        samples = []
        for rep in range(args.repeats):
            print(f"[{time.strftime('%H:%M:%S')}] {name} #{rep + 1}", file=sys.stderr)
            samples.append(run_child(["--child", name]))
        print(f"\n### {name} (medians of {args.repeats} processes)\n")
        print(table(medians(samples)))
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
