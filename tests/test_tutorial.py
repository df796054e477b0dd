"""The tutorial's cells 1-9, as written, with ``import nengodl_notebook as nengo_dl``.

The cells are copied from ``shared/seed/from-nengo-to-nengodl-tutorial.txt`` with
only the import changed (and ``progress_bar`` left at its default, as a user would).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nengo
import numpy as np
from tutorial_nets import build_tutorial_network

import nengodl_notebook as nengo_dl


def test_tutorial_cells_1_to_9(capsys):
    # [1]
    seed = 0
    np.random.seed(seed)

    # [2]
    with nengo.Network(seed=seed) as net:
        inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        square = nengo.Ensemble(20, 1)
        sin = nengo.Ensemble(20, 1)
        outpt = nengo.Node(size_in=1)
        nengo.Connection(inpt, square)
        nengo.Connection(square, sin, function=np.square)
        nengo.Connection(sin, outpt, function=np.sin)
        inpt_p = nengo.Probe(inpt)
        outpt_p = nengo.Probe(outpt, synapse=0.01)

    # [3]
    with nengo.Simulator(net, seed=seed) as sim:
        sim.run(1.0)
    reference = {p: sim.data[p].copy() for p in (inpt_p, outpt_p)}

    # [4]
    def plot(sim, ax=None, idx=slice(None)):
        if ax is None:
            plt.figure()
            ax = plt.gca()
        ax.plot(sim.trange(), sim.data[inpt_p][idx], label="x")
        ax.plot(sim.trange(), np.sin(sim.data[inpt_p][idx] ** 2), label="sin(x^2)")
        ax.plot(sim.trange(), sim.data[outpt_p][idx], label="output")
        ax.legend()

    plot(sim)

    # [5]
    with nengo_dl.Simulator(net, seed=seed) as sim:
        sim.run(1.0)
    plot(sim)
    for p in (inpt_p, outpt_p):
        assert sim.data[p].shape == (1000, 1)
        assert np.max(np.abs(sim.data[p] - reference[p])) < 1e-5
    assert "Simulation finished in 0:00:0" in capsys.readouterr().out

    # [6]
    reps = 3
    with nengo.Simulator(net) as sim:
        _, axes = plt.subplots(1, reps, figsize=(20, 4.8))
        for i in range(reps):
            sim.run(1.0)
            plot(sim, ax=axes[i])
            sim.reset(seed=i + 10)

    # [7]
    with nengo_dl.Simulator(net, minibatch_size=reps) as sim:
        sim.run(1.0)
        _, axes = plt.subplots(1, reps, figsize=(20, 4.8))
        for i in range(reps):
            plot(sim, ax=axes[i], idx=i)
    x = sim.data[inpt_p]
    assert x.shape == (reps, 1000, 1)
    assert not np.allclose(x[0], x[1]) and not np.allclose(x[1], x[2])

    # [8]
    with nengo_dl.Simulator(net) as sim:
        sim.run(1.0, data={inpt: np.reshape(np.linspace(-1, 1, 1000), (1, 1000, 1))})
        plot(sim)
    assert np.allclose(sim.data[inpt_p][:, 0], np.linspace(-1, 1, 1000), atol=1e-6)
    # the network computes sin(x^2) of the ramp (roughly: 20 spiking neurons)
    late = slice(100, None)
    target = np.sin(np.linspace(-1, 1, 1000) ** 2)[late]
    assert np.mean(np.abs(sim.data[outpt_p][late, 0] - target)) < 0.15

    # [9]
    with nengo_dl.Simulator(net, minibatch_size=reps) as sim:
        sim.run(
            1.0,
            data={
                inpt: np.linspace(0.5, 1, reps)[:, None, None]
                * np.linspace(-1, 1, 1000)[None, :, None]
            },
        )
        _, axes = plt.subplots(1, reps, figsize=(20, 4.8))
        for i in range(reps):
            plot(sim, ax=axes[i], idx=i)
            axes[i].set_ylim((-1, 1))
    assert sim.data[outpt_p].shape == (reps, 1000, 1)
    for i, scale in enumerate(np.linspace(0.5, 1, reps)):
        assert np.allclose(sim.data[inpt_p][i, -1, 0], scale, atol=1e-6)
    plt.close("all")


def tutorial_training_setup():
    """Cells 1-2 and 10-17 of the tutorial: the network prepared for training."""
    seed = 0
    np.random.seed(seed)
    tn = build_tutorial_network(20, seed=seed)
    net, inpt, outpt, outpt_p = tn.net, tn.inpt, tn.outpt, tn.outpt_p
    # [10]
    for conn in net.all_connections:
        conn.synapse = None
    with net:
        outpt_p_nofilt = nengo.Probe(outpt)
    outpt_p.synapse = 0.04
    # [12]
    with net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
    # [13]
    batch_size, minibatch_size, n_steps = 4096, 32, 1
    vals = np.random.uniform(-1, 1, size=(batch_size, n_steps, 1))
    data = {inpt: vals, outpt_p_nofilt: np.sin(vals**2)}
    # [15], [16]
    test_vals = np.random.uniform(-1, 1, size=(1024, 1, 1))
    test_vals = np.tile(test_vals, (1, 100, 1))
    test_data = {inpt: test_vals, outpt_p: np.sin(test_vals**2)}

    # [17]
    def test_mse(outputs, targets):
        return tf.reduce_mean(tf.square(outputs[:, -10:] - targets[:, -10:]))

    return net, data, test_data, test_mse, outpt_p, outpt_p_nofilt, minibatch_size


import tensorflow as tf  # noqa: E402


def test_tutorial_cell_18_with_adam(capsys):
    """Cell 18 with Adam(0.01): NengoDL 3.6 gave 0.00399 before, 0.00290 after."""
    net, data, test_data, test_mse, outpt_p, outpt_p_nofilt, mb = (
        tutorial_training_setup()
    )
    with nengo_dl.Simulator(net, minibatch_size=mb, seed=0) as sim:
        before = sim.loss(test_data, objective={outpt_p: test_mse})
        sim.train(
            data,
            tf.keras.optimizers.Adam(0.01),
            objective={outpt_p_nofilt: nengo_dl.obj.mse},
            n_epochs=25,
        )
        after = sim.loss(test_data, objective={outpt_p: test_mse})
    out = capsys.readouterr().out
    assert "Training finished in 0:00:" in out and "(loss: 0.000" in out
    assert "Calculation finished in" in out
    assert abs(before - 0.00399) < 0.05 * 0.00399
    assert after <= 0.0031


def test_tutorial_cells_11_and_14_as_written():
    """Cells 11 and 14 with RMSprop (the tutorial's optimizer, in Keras 3)."""
    net, data, test_data, test_mse, outpt_p, outpt_p_nofilt, mb = (
        tutorial_training_setup()
    )
    # [11]
    with nengo_dl.Simulator(net, seed=0, progress_bar=False) as sim:
        sim.run(1.0)
    untrained = sim.data[outpt_p]
    # [14]
    with nengo_dl.Simulator(net, minibatch_size=mb, seed=0, progress_bar=False) as sim:
        sim.train(
            data,
            tf.keras.optimizers.RMSprop(0.01),
            objective={outpt_p_nofilt: nengo_dl.obj.mse},
            n_epochs=25,
        )
        sim.run(1.0)
        after = sim.loss(test_data, objective={outpt_p: test_mse})
    assert sim.data[outpt_p].shape == (mb, 1000, 1)
    assert not np.allclose(sim.data[outpt_p][0], untrained)
    assert after < 0.00399  # NengoDL 3.6 reached 0.00372 with RMSprop here
