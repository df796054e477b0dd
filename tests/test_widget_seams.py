"""Pieces split out of the training and live panels: the shared optimizer
factory, settling masks, held live inputs and the live probe plot."""

import ipywidgets as widgets
import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengodl_notebook.widgets import training_defaults as td
from nengodl_notebook.widgets.live_inputs import HeldInputs
from nengodl_notebook.widgets.live_views import LiveProbePlot
from nengodl_notebook.widgets.training_settings import TrainingSettings


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "SGD"])
def test_make_optimizer_builds_the_named_keras_optimizer(name):
    opt = td.make_optimizer(name, 0.003)
    assert type(opt) is getattr(keras.optimizers, name)
    assert float(opt.learning_rate) == pytest.approx(0.003)


def test_make_optimizer_names_the_choices_for_an_unknown_name():
    with pytest.raises(
        ValueError, match=r"one of \['Adam', 'RMSprop', 'SGD'\].*'Adagrad'"
    ):
        td.make_optimizer("Adagrad", 0.01)


def test_optimizer_cache_reuses_until_a_setting_or_simulator_changes():
    cache, sim, other = td.OptimizerCache(), object(), object()
    first = cache.get(sim, "Adam", 1e-3)
    assert cache.get(sim, "Adam", 1e-3) is first  # moments carry over
    assert cache.get(sim, "Adam", 1e-2) is not first
    again = cache.get(sim, "Adam", 1e-2)
    assert cache.get(other, "Adam", 1e-2) is not again
    newest = cache.get(other, "Adam", 1e-2)
    cache.clear()
    assert cache.get(other, "Adam", 1e-2) is not newest


def test_mask_settling_hides_the_settling_steps_of_trained_probes_only():
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([0.0])
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(inp, ens, synapse=0.01)
        p = nengo.Probe(ens, synapse=0.01)
        q = nengo.Probe(ens)
    n_steps, dt = 200, 0.001
    data = {p: np.ones((2, n_steps, 1), dtype=int), q: np.ones((2, n_steps, 1))}
    td.mask_settling(data, net, {p: None}, dt, n_steps)
    n_skip = td.settle_skip(td.trained_path(net, [p]), dt)
    assert n_skip == 40  # 2 x (0.01 + 0.01) s
    assert np.isnan(data[p][:, :n_skip]).all()
    assert (data[p][:, n_skip:] == 1).all()
    assert (data[q] == 1).all()  # no objective: untouched


def test_mask_settling_leaves_most_of_a_short_sequence():
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([0.0])
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(inp, ens, synapse=0.1)
        p = nengo.Probe(ens)
    data = td.mask_settling({p: np.ones((1, 10, 1))}, net, {p: None}, 0.001, 10)
    assert np.isnan(data[p][0, :4]).all() and (data[p][0, 4:] == 1).all()


def held_inputs():
    with nengo.Network():
        a, b = nengo.Node([0.0]), nengo.Node([0.0, 0.0])
        c = nengo.Node(size_in=1)
    return HeldInputs([a, b], minibatch_size=3), a, b, c


def test_held_inputs_give_slider_nodes_only_as_chunk_data():
    inputs, a, b, _ = held_inputs()
    assert inputs.chunk_data(5) == {}
    inputs.set_input(b, [0.5, -0.5], item=1)
    data = inputs.chunk_data(5)
    assert list(data) == [b] and data[b].shape == (3, 5, 2)
    assert (data[b][1] == [0.5, -0.5]).all() and (data[b][[0, 2]] == 0).all()
    inputs.set_mode(b, "own")
    assert inputs.chunk_data(5) == {}
    assert (inputs.input_value(b, 1) == [0.5, -0.5]).all()  # kept for "slider"


def test_held_inputs_refuse_bad_nodes_values_items_and_modes():
    inputs, a, b, c = held_inputs()
    with pytest.raises(ValidationError, match="not an input Node"):
        inputs.set_input(c, 0.1)
    with pytest.raises(ValidationError, match="2 finite number"):
        inputs.set_input(b, [0.1, np.nan])
    with pytest.raises(ValidationError, match=r"0\.\.2"):
        inputs.set_input(a, 0.1, item=3)
    with pytest.raises(ValidationError, match="must be one of"):
        inputs.set_mode(a, "sliders")
    assert inputs.mode(a) == "own" and inputs.chunk_data(1) == {}  # still usable


def test_live_probe_plot_shows_the_window_and_an_xy_view_for_2d():
    with nengo.Network():
        p1 = nengo.Probe(nengo.Node([0.0]))
        p2 = nengo.Probe(nengo.Node([0.0, 0.0]))
    one, two = LiveProbePlot(p1), LiveProbePlot(p2)
    assert one.xy is None and two.xy is not None
    t = np.arange(1, 1001) * 0.001
    values = np.stack([np.sin(t), 3 * np.cos(t)], axis=1)
    two.update(t, values, t_now=1.0, window=0.5)
    assert len(two.lines.x) <= 500 and two.lines.x[-1] == t[-1]
    assert two.lines.y.shape == (2, len(two.lines.x))
    assert two.lines.y[1, -1] == pytest.approx(3 * np.cos(1.0))
    assert two.xy.limit >= 3  # grown to hold the path
    one.update(t, values[:, :1], t_now=1.0, window=0.5)
    assert np.size(one.lines.y) == len(one.lines.x)


def test_training_settings_check_the_network_without_a_panel():
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([0.0])
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(inp, ens, synapse=0.01)
        p, q = nengo.Probe(ens, synapse=0.01), nengo.Probe(inp)
    changes = []
    form = TrainingSettings(
        net,
        0.001,
        [p, q],
        {p: None},
        4,
        widgets.HTML(),
        lambda: changes.append(1),
        batch_size=8,
        n_steps=None,
        epochs=1,
        learning_rate=1e-3,
        optimizer="SGD",
        objectives={},
    )
    assert list(form.objective()) == [p]  # the probe with a target
    assert form.check() and form.n_steps.value == 100  # auto: 5 x 0.02 s
    assert "0.02 s of synapses" in form.n_steps_hint.value
    form.objectives[p].value = "none"
    assert changes and form.objective() == {}
    form.n_steps.text.value = "3"  # typed: no longer auto
    assert not form.n_steps_auto.value and form.n_steps.value == 3
    assert form.check() and form.warning.value == ""  # no objective, no path
    form.objectives[p].value = "mse"
    assert form.check() and "too short" in form.warning.value
    assert form.n_steps.value == 3  # not auto any more
