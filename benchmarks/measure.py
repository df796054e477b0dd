"""Timing of one simulator on one benchmark (imports no simulator at import time).

Used in this project's venv (nengo, ours) and, through ``run.py --worker``, in
a NengoDL venv, so simulator packages are imported lazily by name.
"""

import gc
import statistics
import sys
import time
import traceback

from networks import NETWORKS, SEED, training_data, training_network

METRICS = ("build_s", "first_run_s", "first_result_s", "run_s")
TRAIN_METRICS = ("build_s", "train_first_s", "train_second_s")


def load_package(name):
    """Import and return a simulator package.

    Parameters
    ----------
    name : {"nengo", "nengodl_notebook", "nengo_dl"}
        Which simulator.

    Returns
    -------
    module
        The package (its ``Simulator`` is the class timed).
    """
    import importlib

    return importlib.import_module(name)


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


def forget_compiled_programs(sim_cls):
    """Make the next first run compile, as in a new process.

    nengodl_notebook shares compiled XLA programs between Simulators of the same
    network (``step_program.SHARED_PROGRAMS``): without this, every construction
    after the first would time a cached program, not a first result.
    """
    module = sys.modules.get(sim_cls.__module__.rsplit(".", 1)[0] + ".step_program")
    shared = getattr(module, "SHARED_PROGRAMS", None)
    if shared is not None:
        shared.clear()


def build_and_first_run(sim_cls, kwargs, factory, sim_time):
    """Construct a simulator and do its first run, timing both.

    Parameters
    ----------
    sim_cls : type
        Simulator class.
    kwargs : dict
        Constructor keyword arguments.
    factory : callable
        Returns a ``networks.Bench`` (called before timing starts).
    sim_time : float
        Simulated seconds per run.

    Returns
    -------
    sim : Simulator
        The (still open) simulator.
    build_s, first_run_s : float
        Wall-clock seconds of the constructor and of the first run.
    bench : networks.Bench
        The network simulated.
    """
    bench = factory()
    forget_compiled_programs(sim_cls)
    gc.collect()
    t0 = time.perf_counter()
    sim = sim_cls(bench.net, **kwargs)
    t1 = time.perf_counter()
    sim.run(sim_time)
    t2 = time.perf_counter()
    return sim, t1 - t0, t2 - t1, bench


def steady_runs(sim, probes, sim_time, repeats):
    """Time runs of an already-run simulator, resetting (untimed) before each.

    Parameters
    ----------
    sim : Simulator
        A simulator that has done its first run.
    probes : list of nengo.Probe
        Probes whose data is read (timed separately) after each run.
    sim_time : float
        Simulated seconds per run.
    repeats : int
        Number of timed runs (after one untimed warm-up run).

    Returns
    -------
    run_s, probe_read_s : list of float
        Seconds of each ``run`` and of reading all probes' data after it.
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
        for p in probes:
            _ = sim.data[p].shape  # the probe data is assembled on first access
        read_s.append(time.perf_counter() - t1)
        run_s.append(t1 - t0)
    return run_s, read_s


def finish(rec, metrics):
    """Add the medians of ``metrics`` (None when there are no samples)."""
    rec["median"] = {
        k: statistics.median(rec[k]) if rec.get(k) else None for k in metrics
    }
    return rec


def measure(name, net_name, minibatch, args):
    """Measure one simulator on one network at one minibatch size.

    Parameters
    ----------
    name : str
        Simulator name (see `load_package`).
    net_name : str
        Key of ``networks.NETWORKS``.
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
    rec = {
        "simulator": name,
        "network": net_name,
        "minibatch_size": minibatch,
        "error": None,
        **{k: [] for k in METRICS + ("probe_read_s",)},
    }
    try:
        sim_cls = load_package(name).Simulator
        kwargs = sim_kwargs(name, minibatch)
        factory = NETWORKS[net_name].factory
        for i in range(args.build_repeats):
            sim, b, f, bench = build_and_first_run(
                sim_cls, kwargs, factory, args.sim_time
            )
            rec["build_s"].append(b)
            rec["first_run_s"].append(f)
            rec["first_result_s"].append(b + f)
            if i < args.build_repeats - 1:
                sim.close()
        with sim:
            rec["run_s"], rec["probe_read_s"] = steady_runs(
                sim, bench.probes, args.sim_time, args.repeats
            )
    except Exception as e:  # noqa: BLE001 - reported: the table shows the error
        traceback.print_exc()
        rec["error"] = f"{type(e).__name__}: {e}"
    return finish(rec, METRICS + ("probe_read_s",))


def train_call(name, sim, optimizer, inpt, probe, args):
    """One 25-epoch training call, in the style of each simulator's API.

    Parameters
    ----------
    name : {"nengodl_notebook", "nengo_dl"}
        Simulator name.
    sim : Simulator
        Open simulator of `networks.training_network`.
    optimizer : keras optimizer
        Reused across calls (so a second call can reuse compiled code).
    inpt : nengo.Node
        Input node.
    probe : nengo.Probe
        Trained (unfiltered output) probe.
    args : argparse.Namespace
        Options (``epochs``).

    Returns
    -------
    float
        Loss after the call (last epoch's mean), for checking.
    """
    x, y = training_data()
    if name == "nengo_dl":  # NengoDL 3: sim.train was replaced by compile/fit
        import tensorflow as tf

        if not getattr(sim, "_bench_compiled", False):
            sim.compile(optimizer=optimizer, loss={probe: tf.losses.mse})
            sim._bench_compiled = True
        hist = sim.fit({inpt: x}, {probe: y}, epochs=args.epochs, verbose=0)
        return float(hist.history["loss"][-1])
    pkg = load_package(name)
    losses = sim.train(
        {inpt: x, probe: y},
        optimizer,
        objective={probe: pkg.obj.mse},
        n_epochs=args.epochs,
    )
    return float(losses[-1])


def measure_training(name, args):
    """Time the tutorial's training: construction, first and second call.

    Each of ``args.build_repeats`` fresh simulators (with a fresh optimizer)
    is constructed and trained twice, like the constructions and first runs of
    `measure`: the first call includes tracing and compilation.

    Parameters
    ----------
    name : {"nengodl_notebook", "nengo_dl"}
        Simulator name.
    args : argparse.Namespace
        Options (``epochs``, ``build_repeats``).

    Returns
    -------
    dict
        Record (one sample per construction and metric) with the loss after
        each call.
    """
    rec = {
        "simulator": name,
        "network": "training",
        "minibatch_size": 32,
        "error": None,
        "losses": [],
        **{k: [] for k in TRAIN_METRICS},
    }
    try:
        import tensorflow as tf

        pkg = load_package(name)
        net, inpt, probe = training_network(pkg.configure_settings)
        for _ in range(args.build_repeats):
            optimizer = tf.keras.optimizers.Adam(0.01)
            gc.collect()
            t0 = time.perf_counter()
            with pkg.Simulator(net, **sim_kwargs(name, 32)) as sim:
                rec["build_s"].append(time.perf_counter() - t0)
                for key in TRAIN_METRICS[1:]:
                    t0 = time.perf_counter()
                    rec["losses"].append(
                        train_call(name, sim, optimizer, inpt, probe, args)
                    )
                    rec[key].append(time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        rec["error"] = f"{type(e).__name__}: {e}"
    return finish(rec, TRAIN_METRICS)


def prime_decoder_cache(net_name):
    """Build a network once with nengo's builder, untimed, to fill its cache.

    nengo's decoder cache (on by default, shared by every simulator that uses
    nengo's builder) stores solved decoders on disk. Without priming, whichever
    simulator builds a network first pays the decoder solves and the others
    load them; after priming, every timed build loads them (as any repeated
    build of the network does).

    Parameters
    ----------
    net_name : str
        Key of ``networks.NETWORKS``.
    """
    import nengo
    from nengo.cache import get_default_decoder_cache

    model = nengo.builder.Model(dt=0.001, decoder_cache=get_default_decoder_cache())
    model.build(NETWORKS[net_name].factory().net)


def warm_up(name):
    """Construct and run one small simulator, untimed, to pay one-off costs.

    Imports, lazy library initialisation and first-call overheads happen once
    per process; without this they would land in whichever benchmark is
    measured first. Failures are only printed (`measure` reports them).

    Parameters
    ----------
    name : str
        Simulator name (see `load_package`).
    """
    try:
        sim, _, _, _ = build_and_first_run(
            load_package(name).Simulator,
            sim_kwargs(name, 1),
            NETWORKS["tutorial"].factory,
            0.01,
        )
        sim.close()
    except Exception as e:  # noqa: BLE001
        print(f"warm-up of {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
