"""Training defaults from the network (widgets/training_defaults.py) and the
training panel that uses them: auto n_steps, divergence, nothing trainable, the
held-out test loss and one curve per run."""

import nengo
import numpy as np
import pytest
from tutorial_nets import training_network

import nengodl_notebook as nengo_dl
from nengodl_notebook.widgets import TrainingPanel
from nengodl_notebook.widgets import training_defaults as td

MB = 4


def ea_network(trainable=True):
    """Input -> EnsembleArray (in a sub-network) -> output, synapses on the path."""
    with nengo.Network(seed=0) as net:
        net.inp = nengo.Node(np.zeros(2))
        with nengo.Network(label="sub"):
            net.ea = nengo.networks.EnsembleArray(30, 2)
        out = nengo.Node(size_in=2)
        net.in_conn = nengo.Connection(net.inp, net.ea.input)  # Lowpass(0.005)
        nengo.Connection(net.ea.output, out)  # Lowpass(0.005)
        net.p = nengo.Probe(out, synapse=0.01)
        if not trainable:
            nengo_dl.configure_settings(trainable=False)
    return net


def ea_target(t, x):
    return np.sin(2 * x)


def integrator():
    with nengo.Network(seed=0) as net:
        u = nengo.Node(np.zeros(1))
        a = nengo.Ensemble(50, 1)
        nengo.Connection(u, a, synapse=0.1, transform=0.1)
        nengo.Connection(a, a, synapse=0.1)
        net.p = nengo.Probe(a, synapse=0.01)
    return net


# -- the trained path ------------------------------------------------------------------


def test_synapse_tau():
    assert td.synapse_tau(None) == 0
    assert td.synapse_tau(nengo.Lowpass(0.02)) == pytest.approx(0.02)
    assert td.synapse_tau(nengo.Alpha(0.03)) == pytest.approx(0.03)
    assert td.synapse_tau(nengo.LinearFilter([1], [0.04, 1])) == pytest.approx(0.04)
    assert td.synapse_tau(nengo.synapses.Triangle(0.01)) == pytest.approx(0.01)


def test_no_synapses_keeps_one_step():
    net = training_network()  # the tutorial's training set-up
    path = td.trained_path(net, [net.nofilt_p])
    assert path.taus == () and td.auto_n_steps(path, 0.001)[0] == 1
    assert td.n_steps_warning(path, 1, 0.001) is None
    filtered = td.trained_path(net, [net.out_p])  # the probe's own synapse counts
    assert filtered.taus == pytest.approx((0.01,)) and filtered.n_synapses == 1


def test_ensemble_array_in_a_subnetwork():
    net = ea_network()
    path = td.trained_path(net, [net.p])
    assert path.taus == pytest.approx((0.01, 0.005, 0.005))
    assert path.n_synapses == 3
    n_steps, hint = td.auto_n_steps(path, 0.001)
    assert n_steps == 100
    assert hint == "auto: 5 x the 0.02 s of synapses on the trained path"
    warning = td.n_steps_warning(path, 1, 0.001)
    assert "too short" in warning and "never reaches" in warning
    assert "n_steps=100" in warning
    assert td.n_steps_warning(path, 100, 0.001) is None


def test_path_must_go_through_something_trainable():
    net = ea_network(trainable=False)
    assert td.trained_path(net, [net.p]).taus == ()
    with net:
        net.config[net.in_conn].trainable = True  # only the input connection
    path = td.trained_path(net, [net.p])
    assert path.taus == pytest.approx((0.01, 0.005, 0.005))


def test_recurrent_loop_counts_once_and_cap():
    net = integrator()
    with pytest.raises(ValueError, match="which is not in"):
        td.trained_path(net, [integrator().p])  # another network's probe
    path = td.trained_path(net, [net.p])
    assert path.taus == pytest.approx((0.1, 0.1, 0.01))  # input, loop, probe
    n_steps, hint = td.auto_n_steps(path, 0.001)
    assert n_steps == td.MAX_AUTO_STEPS and hint.endswith("(capped)")


def test_has_trainable():
    net = ea_network(trainable=False)
    assert not td.has_trainable(net)
    with net:
        net.config[net.in_conn].trainable = True  # Node -> Node, no weights
    assert not td.has_trainable(net)
    with net:
        net.config[net.ea.ea_ensembles[0]].trainable = True
    assert td.has_trainable(net)


def test_suggest_rate_and_split():
    rates = np.logspace(-5, -1, 5)
    assert td.suggest_rate(rates, [1.0, 0.5, 0.1, np.inf, np.nan]) == pytest.approx(
        1e-4
    )
    assert td.suggest_rate(rates, [0.1, 1, 2, 3, 4]) == pytest.approx(1e-5)
    assert td.suggest_rate(rates, [np.inf] * 5) is None
    data = {"a": np.arange(10)[:, None], "b": np.arange(10)[:, None] * 2}
    train, test = td.split_test(data, 2)
    assert len(train["a"]) == 8 and list(test["b"][:, 0]) == [16, 18]
    with pytest.raises(ValueError, match="hold out 10 of 10"):
        td.split_test(data, 10)


# -- the panel with these defaults -----------------------------------------------------


def panel_for(sim, net, **kwargs):
    settings = {"targets": {net.p: ea_target}, "update_interval": 0.05}
    settings.update(kwargs)
    return TrainingPanel(sim, **settings)


def test_ensemble_array_learns_from_the_defaults(Simulator):
    net = ea_network()
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = panel_for(sim, net, epochs=4)
        assert panel.n_steps_auto.value and panel.n_steps.value == 100
        assert "0.02 s of synapses" in panel.n_steps_hint.value
        assert panel.warning.value == ""
        assert panel.start()
        assert panel.join(300)
        assert panel.error.value == "", panel.error.value
        test = panel.test_line.y  # held out by default: before + after each epoch
        assert len(test) == 5
        assert test[-1] < 0.5 * test[0]
        panel.close()


def test_too_short_n_steps_warns(Simulator):
    net = ea_network()
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = panel_for(sim, net, n_steps=1)
        assert not panel.n_steps_auto.value and panel.n_steps.value == 1
        assert "too short" in panel.warning.value
        panel.n_steps_auto.value = True
        assert panel.n_steps.value == 100 and panel.warning.value == ""
        panel.n_steps.text.value = "3"  # typed: auto off, warned
        assert not panel.n_steps_auto.value and "never reaches" in panel.warning.value
        panel.close()


def test_divergence_stops_and_restores(Simulator):
    net = training_network(n_neurons=15)
    with net:  # decoders trainable too
        net.config[nengo.Connection].trainable = True
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = TrainingPanel(
            sim,
            targets={net.nofilt_p: lambda t, x: np.sin(x**2)},
            learning_rate=1.0,
            epochs=5,
            batch_size=64,
            update_interval=0.05,
        )
        before = sim.get_params()
        assert panel.start()
        assert panel.join(120)
        after = sim.get_params()
        assert all(np.array_equal(before[k], after[k]) for k in before)
        assert "diverged" in panel.error.value and "restored" in panel.error.value
        assert "e.g. 0.1 (10x lower" in panel.error.value
        assert panel.runs[-1]["diverged"] and "diverged" in panel.summary.value
        done = len(panel.batch_line.x)
        assert done < 5 * 64 // MB  # stopped early
        panel.close()


def test_nothing_trainable_disables_start(Simulator):
    net = ea_network(trainable=False)
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = panel_for(sim, net)
        assert panel.start_button.disabled and panel.find_rate_button.disabled
        assert td.NOTHING_TRAINABLE in panel.warning.value.replace("&#x27;", "'")
        assert "Network tab" in panel.warning.value
        assert not panel.start()
        with net:
            net.config[net.ea.ea_ensembles[0]].trainable = True
        assert panel.refresh()
        assert not panel.start_button.disabled and panel.warning.value == ""
        panel.close()


def test_runs_are_kept_as_curves_after_reset(Simulator):
    net = training_network(n_neurons=15)
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = TrainingPanel(
            sim,
            targets={net.nofilt_p: lambda t, x: np.sin(x**2)},
            epochs=2,
            batch_size=32,
            update_interval=0.05,
        )
        plot = panel.loss_plot
        assert plot.log_scale.value and plot.y_axis.scale is plot.scales["log"]
        for _ in range(2):
            assert panel.start() and panel.join(120)
        first_x = list(plot.runs[0]["lines"]["batch"].x)
        panel.reset_button.click()
        assert panel.start() and panel.join(120)
        assert [r["label"] for r in plot.runs] == ["run 1", "run 2", "run 3"]
        assert list(plot.runs[0]["lines"]["batch"].x) == first_x  # not erased
        assert len({r["color"] for r in plot.runs}) == 3
        assert plot.runs[1]["lines"]["batch"].x[0] > first_x[-1]  # continues
        assert plot.runs[2]["lines"]["batch"].x[0] == first_x[0]  # after reset
        assert len(plot.starts.x) == 3
        assert "run 3" in plot.legend.value
        plot.log_scale.value = False
        assert all(m.scales["y"] is plot.scales["linear"] for m in plot.figure.marks)
        raw = np.array(plot.runs[0]["lines"]["batch"].y)
        plot.smoothing.value = 0.9
        smooth = np.array(plot.runs[0]["lines"]["batch"].y)
        assert smooth[0] == raw[0] and np.std(np.diff(smooth)) < np.std(np.diff(raw))
        panel.close()


def test_rate_finder(Simulator):
    net = training_network(n_neurons=15)
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        panel = TrainingPanel(sim, targets={net.nofilt_p: lambda t, x: np.sin(x**2)})
        before = sim.get_params()
        rate = panel.rate_finder.find()
        assert rate is not None and panel.learning_rate.value == rate
        after = sim.get_params()
        assert all(np.array_equal(before[k], after[k]) for k in before)
        assert len(panel.rate_finder.losses) == 8
        assert "Suggested learning rate" in panel.rate_finder.label.value
        panel.close()
