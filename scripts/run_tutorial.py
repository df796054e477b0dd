"""Run the "From Nengo to NengoDL" tutorial end to end with nengodl_notebook.

The project's demo (``make demo``): the tutorial's code, cells 1-19, with
``import nengodl_notebook as nengo_dl`` and a Keras optimizer where it wrote
``tf.train.RMSPropOptimizer``, run headless. Each cell's figure is saved as a
PNG into ``--out`` (default ``build/demo``), and the key numbers are printed:
how far our simulator's probe data (cell 5) is from ``nengo.Simulator``'s
(cell 3), the probe data shapes with a minibatch (cells 7 and 9), whether
``data=`` inputs reached the probes (cells 8, 9), the training loss (cell 14),
the test error before and after training (cell 18), how far the TensorNode's
output is from the Node's (cell 19), and the time each cell took. Exits with
status 1 if cell 5 differs from cell 3 by more than ``--tolerance`` (1e-5) or
training did not lower the test error, and with a traceback if a cell raises.

Usage: ``python scripts/run_tutorial.py [--out DIR]``
"""

import argparse
import sys
import time
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nengo
import numpy as np
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutorial_network import build_tutorial_network  # noqa: E402

import nengodl_notebook as nengo_dl  # noqa: E402

SEED = 0
REPS = 3
N_STEPS = 1000


def plot(sim, tn, ax=None, idx=slice(None)):
    """Plot input, target and output of one run (the tutorial's cell 4).

    Parameters
    ----------
    sim : Simulator
        A simulator that has run (may be closed).
    tn : TutorialNetwork
        The network (for its probes).
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).
    idx : int or slice, optional
        Minibatch item to plot (default: all data, no minibatch).
    """
    if ax is None:
        plt.figure()
        ax = plt.gca()
    ax.plot(sim.trange(), sim.data[tn.inpt_p][idx], label="x")
    ax.plot(sim.trange(), np.sin(sim.data[tn.inpt_p][idx] ** 2), label="sin(x^2)")
    ax.plot(sim.trange(), sim.data[tn.outpt_p][idx], label="output")
    ax.legend()


def save(out, name):
    """Save the current figure as ``out/name.png`` and close it.

    Parameters
    ----------
    out : pathlib.Path
        Output folder.
    name : str
        File name without extension.
    """
    path = out / f"{name}.png"
    plt.savefig(path, dpi=80)
    plt.close("all")
    print(f"  figure: {path}")


def probe_data(sim, tn):
    """Copies of both probes' data.

    Parameters
    ----------
    sim : Simulator
        A simulator that has run.
    tn : TutorialNetwork
        The network.

    Returns
    -------
    dict
        ``{"inpt_p": array, "outpt_p": array}``.
    """
    return {
        "inpt_p": np.array(sim.data[tn.inpt_p]),
        "outpt_p": np.array(sim.data[tn.outpt_p]),
    }


def cells_3_4(tn, out):
    """Cell 3 (run in ``nengo.Simulator``) and cell 4 (plot it).

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.

    Returns
    -------
    dict
        Nengo's probe data (see `probe_data`).
    """
    with nengo.Simulator(tn.net, seed=SEED) as sim:
        sim.run(1.0)
    plot(sim, tn)
    save(out, "cell04_nengo")
    data = probe_data(sim, tn)
    print(f"  nengo shapes: {[d.shape for d in data.values()]}")
    return data


def cell_5(tn, out, ref):
    """Cell 5: the same run in our simulator, compared with cell 3.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    ref : dict
        Nengo's probe data from cell 3.

    Returns
    -------
    float
        Max |ours - nengo| over both probes (inf if shapes differ).
    """
    with nengo_dl.Simulator(tn.net, seed=SEED) as sim:
        sim.run(1.0)
    plot(sim, tn)
    save(out, "cell05_nengo_dl")
    worst = 0.0
    for name, ours in probe_data(sim, tn).items():
        if ours.shape != ref[name].shape:
            print(f"  {name}: shape {ours.shape} != nengo {ref[name].shape}")
            worst = np.inf
            continue
        diff = float(np.max(np.abs(ours - ref[name])))
        print(f"  {name}: max |ours - nengo| = {diff:.3g}")
        worst = max(worst, diff)
    return worst


def reset_loop(sim_cls, tn, out, name):
    """Cell 6: ``REPS`` runs of one simulator with ``reset(seed=i + 10)``.

    Parameters
    ----------
    sim_cls : type
        ``nengo.Simulator`` (as in the tutorial) or ``nengo_dl.Simulator``.
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    name : str
        Figure file name.
    """
    with sim_cls(tn.net) as sim:
        _, axes = plt.subplots(1, REPS, figsize=(20, 4.8))
        for i in range(REPS):
            sim.run(1.0)
            plot(sim, tn, ax=axes[i])
            print(
                f"  run {i}: outpt_p shape {sim.data[tn.outpt_p].shape}, "
                f"t = {sim.trange()[0]:.3f}..{sim.trange()[-1]:.3f}"
            )
            sim.reset(seed=i + 10)
    save(out, name)


def plot_items(sim, tn, ylim=None):
    """Plot each minibatch item in its own axes (cells 7 and 9).

    Parameters
    ----------
    sim : Simulator
        A simulator with ``minibatch_size=REPS`` that has run.
    tn : TutorialNetwork
        The network.
    ylim : tuple of float, optional
        Y limits of every axes.
    """
    _, axes = plt.subplots(1, REPS, figsize=(20, 4.8))
    for i in range(REPS):
        plot(sim, tn, ax=axes[i], idx=i)
        if ylim is not None:
            axes[i].set_ylim(ylim)


def print_shapes(sim, tn):
    """Print the shapes of both probes' data.

    Parameters
    ----------
    sim : Simulator
        A simulator that has run.
    tn : TutorialNetwork
        The network.

    Returns
    -------
    dict
        Probe name to shape.
    """
    shapes = {
        "inpt_p": np.shape(sim.data[tn.inpt_p]),
        "outpt_p": np.shape(sim.data[tn.outpt_p]),
    }
    print(f"  shapes: {shapes}")
    return shapes


def cell_7(tn, out):
    """Cell 7: ``minibatch_size=REPS``, one parallel run.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    """
    with nengo_dl.Simulator(tn.net, minibatch_size=REPS) as sim:
        sim.run(1.0)
    plot_items(sim, tn)
    save(out, "cell07_minibatch")
    print_shapes(sim, tn)
    x = np.asarray(sim.data[tn.inpt_p])
    print(
        f"  max |item 0 - item 1| of the input: {np.max(np.abs(x[0] - x[1])):.3g}"
        " (items are different simulations, so expect > 0)"
    )


def check_input(sim, tn, expected):
    """Print how far the input probe is from the ``data=`` given to the node.

    Parameters
    ----------
    sim : Simulator
        A simulator that has run.
    tn : TutorialNetwork
        The network.
    expected : numpy.ndarray
        The data given for the input node, (minibatch, n_steps, 1).
    """
    x = np.asarray(sim.data[tn.inpt_p])
    x = x.reshape(expected.shape) if x.size == expected.size else x
    if x.shape != expected.shape:
        print(f"  input probe shape {x.shape} != data shape {expected.shape}")
        return
    print(f"  max |input probe - data| = {np.max(np.abs(x - expected)):.3g}")


def cell_8(tn, out):
    """Cell 8: a linear ramp given as ``data=`` for the input node.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    """
    ramp = np.reshape(np.linspace(-1, 1, N_STEPS), (1, N_STEPS, 1))
    with nengo_dl.Simulator(tn.net) as sim:
        sim.run(1.0, data={tn.inpt: ramp})
    plot(sim, tn)
    save(out, "cell08_data_ramp")
    print_shapes(sim, tn)
    check_input(sim, tn, ramp)


def cell_9(tn, out):
    """Cell 9: a different ramp for each minibatch item.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    """
    ramps = (
        np.linspace(0.5, 1, REPS)[:, None, None]
        * np.linspace(-1, 1, N_STEPS)[None, :, None]
    )
    with nengo_dl.Simulator(tn.net, minibatch_size=REPS) as sim:
        sim.run(1.0, data={tn.inpt: ramps})
    plot_items(sim, tn, ylim=(-1, 1))
    save(out, "cell09_minibatch_ramps")
    print_shapes(sim, tn)
    check_input(sim, tn, ramps)


def cells_10_11(tn, out):
    """Cell 10 (remove the synapses, add an unfiltered probe) and cell 11 (run).

    Parameters
    ----------
    tn : TutorialNetwork
        The network (changed in place, as in the tutorial).
    out : pathlib.Path
        Output folder.

    Returns
    -------
    nengo.Probe
        The new unfiltered output probe.
    """
    for conn in tn.net.all_connections:
        conn.synapse = None
    with tn.net:
        outpt_p_nofilt = nengo.Probe(tn.outpt)
    tn.outpt_p.synapse = 0.04
    with nengo_dl.Simulator(tn.net, seed=SEED) as sim:
        sim.run(1.0)
    plot(sim, tn)
    save(out, "cell11_no_synapses")
    return outpt_p_nofilt


class Training(NamedTuple):
    """The tutorial's training setup: data (cell 13) and the trained probe (cell 10)."""

    data: dict
    probe: nengo.Probe

    def train(self, sim):
        """The tutorial's ``sim.train`` call: RMSprop(0.01), mse, 25 epochs.

        Returns the mean loss of each epoch.
        """
        return sim.train(
            self.data,
            tf.keras.optimizers.RMSprop(0.01),
            objective={self.probe: nengo_dl.obj.mse},
            n_epochs=25,
        )


def cells_12_13(tn, outpt_p_nofilt):
    """Cell 12 (train only the Ensembles) and cell 13 (training data).

    Parameters
    ----------
    tn : TutorialNetwork
        The network (configured in place).
    outpt_p_nofilt : nengo.Probe
        The unfiltered output probe (the training target).

    Returns
    -------
    Training
        4096 samples of one step, and the probe they are targets of.
    """
    with tn.net:
        nengo_dl.configure_settings(trainable=False)
        tn.net.config[nengo.Ensemble].trainable = True
    vals = np.random.uniform(-1, 1, size=(4096, 1, 1))
    return Training({tn.inpt: vals, outpt_p_nofilt: np.sin(vals**2)}, outpt_p_nofilt)


def cell_14(tn, out, training):
    """Cell 14: train, then run and plot the first minibatch item.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    out : pathlib.Path
        Output folder.
    training : Training
        Cells 12-13.
    """
    with nengo_dl.Simulator(tn.net, minibatch_size=32, seed=SEED) as sim:
        losses = training.train(sim)
        sim.run(1.0)
    plot(sim, tn, idx=0)
    save(out, "cell14_trained")
    print(f"  training loss: {losses[0]:.3g} (epoch 1) -> {losses[-1]:.3g} (epoch 25)")


def cells_15_18(tn, training):
    """Cells 15-18: test error (filtered probe, last 10 steps) before/after training.

    Parameters
    ----------
    tn : TutorialNetwork
        The network.
    training : Training
        Cells 12-13.

    Returns
    -------
    tuple of float
        The error before and after training.
    """
    test_vals = np.tile(np.random.uniform(-1, 1, size=(1024, 1, 1)), (1, 100, 1))
    test_data = {tn.inpt: test_vals, tn.outpt_p: np.sin(test_vals**2)}

    def test_mse(outputs, targets):
        return tf.reduce_mean(tf.square(outputs[:, -10:] - targets[:, -10:]))

    with nengo_dl.Simulator(tn.net, minibatch_size=32, seed=SEED) as sim:
        before = float(sim.loss(test_data, objective={tn.outpt_p: test_mse}))
        print(f"  Error before training: {before:.4g}")
        training.train(sim)
        after = float(sim.loss(test_data, objective={tn.outpt_p: test_mse}))
        print(f"  Error after training: {after:.4g} ({1 - after / before:.0%} lower)")
    return before, after


def cell_19(tn, out):
    """Cell 19: the same function as a Node and as a TensorNode.

    Parameters
    ----------
    tn : TutorialNetwork
        The network (the two nodes are added to it).
    out : pathlib.Path
        Output folder.

    Returns
    -------
    float
        Max |Node output - TensorNode output|.
    """
    with tn.net:
        exp_np = nengo.Node(lambda t, x: np.exp(x), size_in=1)
        nengo.Connection(tn.sin, exp_np)
        np_probe = nengo.Probe(exp_np, synapse=0.01)
        exp_tf = nengo_dl.TensorNode(lambda t, x: tf.exp(x), size_in=1)
        nengo.Connection(tn.sin, exp_tf)
        tf_probe = nengo.Probe(exp_tf, synapse=0.01)
    with nengo_dl.Simulator(tn.net, seed=SEED) as sim:
        sim.run(1.0)
    plt.figure()
    plt.plot(sim.trange(), np.exp(np.sin(sim.data[tn.inpt_p] ** 2)), label="e^sin(x^2)")
    plt.plot(sim.trange(), sim.data[np_probe], label="Node output")
    plt.plot(
        sim.trange(), sim.data[tf_probe], label="TensorNode output", linestyle="--"
    )
    plt.ylim([0.8, 1.4])
    plt.legend()
    save(out, "cell19_tensor_node")
    diff = float(np.max(np.abs(sim.data[np_probe] - sim.data[tf_probe])))
    print(f"  max |Node - TensorNode| = {diff:.3g}")
    return diff


def timed(timings, label, fn, *args):
    """Run one cell, print its header and record its wall-clock time.

    Parameters
    ----------
    timings : list of tuple
        ``(label, seconds)`` pairs, appended to.
    label : str
        Cell label.
    fn : callable
        The cell.
    *args
        Its arguments.

    Returns
    -------
    object
        What the cell returned.
    """
    print(f"\n=== {label} ===", flush=True)
    t0 = time.perf_counter()
    result = fn(*args)
    timings.append((label, time.perf_counter() - t0))
    print(f"  ({label}: {timings[-1][1]:.2f} s)", flush=True)
    return result


def main(argv=None):
    """Run the tutorial cells, print the summary, return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        0 if cell 5 matches cell 3 within the tolerance, else 1.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="build/demo", help="folder for the PNGs")
    p.add_argument("--tolerance", type=float, default=1e-5)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(SEED)  # cell 1
    timings = []
    tn = timed(timings, "cell 2: network", build_tutorial_network, 20, SEED)
    ref = timed(timings, "cells 3-4: nengo.Simulator", cells_3_4, tn, out)
    diff = timed(timings, "cell 5: nengo_dl.Simulator", cell_5, tn, out, ref)
    timed(
        timings,
        "cell 6: nengo.Simulator + reset",
        reset_loop,
        nengo.Simulator,
        tn,
        out,
        "cell06_nengo_reset",
    )
    timed(
        timings,
        "cell 6 (ours): nengo_dl.Simulator + reset",
        reset_loop,
        nengo_dl.Simulator,
        tn,
        out,
        "cell06_nengo_dl_reset",
    )
    timed(timings, "cell 7: minibatch_size=3", cell_7, tn, out)
    timed(timings, "cell 8: data= ramp", cell_8, tn, out)
    timed(timings, "cell 9: minibatch ramps", cell_9, tn, out)
    nofilt = timed(timings, "cells 10-11: no synapses", cells_10_11, tn, out)
    training = timed(timings, "cells 12-13: trainable, data", cells_12_13, tn, nofilt)
    timed(timings, "cell 14: sim.train", cell_14, tn, out, training)
    before, after = timed(
        timings,
        "cells 15-18: sim.loss before/after training",
        cells_15_18,
        tn,
        training,
    )
    node_diff = timed(timings, "cell 19: TensorNode", cell_19, tn, out)
    print("\n=== summary ===")
    for label, seconds in timings:
        print(f"  {seconds:7.2f} s  {label}")
    ok = diff <= args.tolerance
    print(
        f"cell 5 vs cell 3: max |ours - nengo| = {diff:.3g} "
        f"({'OK' if ok else 'FAIL'}, tolerance {args.tolerance:g})"
    )
    trained = after < before
    print(
        f"cell 18: test error {before:.4g} -> {after:.4g} after training "
        f"({'OK' if trained else 'FAIL'}: training must lower it)"
    )
    print(f"cell 19: max |Node - TensorNode| = {node_diff:.3g}")
    return 0 if ok and trained else 1


if __name__ == "__main__":
    sys.exit(main())
