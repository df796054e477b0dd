"""Code export: the exported source, run after the network's code in a fresh
namespace, gives the dashboard's trainable set and ``data=`` arrays."""

import numpy as np
import pytest

from nengodl_notebook.config import trainable_objects
from nengodl_notebook.widgets.code_export import CodeExportWidget
from nengodl_notebook.widgets.code_names import ObjectNames
from nengodl_notebook.widgets.code_source import export_source
from nengodl_notebook.widgets.dashboard import Dashboard

#: The "notebook cell" that defines the network: run afresh for each check.
NET_CODE = """
import nengo
import numpy as np
import nengodl_notebook as nengo_dl

with nengo.Network(seed=1) as net:
    nengo_dl.configure_settings(trainable=None)
    stim = nengo.Node(lambda t: [np.sin(5 * t), np.cos(3 * t)])
    const = nengo.Node([0.3])
    noise = nengo.Node(nengo.processes.WhiteNoise(), size_out=1)
    a = nengo.Ensemble(20, 2)
    with nengo.Network() as sub:
        nengo_dl.configure_settings(trainable=False)
        b = nengo.Ensemble(10, 1)
        with nengo.Network():
            nengo.Ensemble(10, 1)
        nengo.Connection(b, b, synapse=0.01)
    nengo.Connection(stim, a)
    nengo.Connection(const, a[0])
    nengo.Connection(noise, a[1])
    nengo.Connection(a[0], b)
    p = nengo.Probe(b, synapse=0.01)

def square(t, x):
    return x[:, :1] ** 2
"""
SIM_MARK = "# -- The Simulator"


def make_dashboard(**kwargs):
    ns: dict = {}
    exec(NET_CODE, ns)
    settings = dict(minibatch_size=3, n_steps=120, batch_size=3, epochs=1)
    settings.update(kwargs)
    dash = Dashboard(ns["net"], targets={ns["p"]: ns["square"]}, **settings)
    return dash, ns


def run_exported(source, upto_simulator=True):
    """A fresh namespace with the network's code and then ``source`` run in it."""
    fresh: dict = {}
    exec(NET_CODE, fresh)
    if upto_simulator:
        source = source.split(SIM_MARK)[0]
    exec(compile(source, "<exported>", "exec"), fresh)
    return fresh


def by_path(net, mapping):
    names = ObjectNames(net, {})
    return {names(obj): value for obj, value in mapping.items()}


def check_same(dash, fresh):
    """Trainable sets and data arrays equal (objects matched by path)."""
    assert by_path(fresh["net"], trainable_objects(fresh["net"])) == by_path(
        dash.net, trainable_objects(dash.net)
    )
    want = by_path(dash.net, dash.designer.data())
    got = by_path(fresh["net"], fresh["data"])
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        assert got[key].shape == value.shape, key
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def choose(designer, node, item, dim, preset, **params):
    """Set an entry as a person does: selectors, preset, then the typed fields."""
    designer.node_select.value = designer.nodes.index(node)
    designer.item_select.value = item
    designer.dim_select.value = dim
    designer.preset.value = preset
    for name, value in params.items():
        designer.fields[(preset, name)].text.value = str(value)


@pytest.fixture
def dashboard():
    dash, ns = make_dashboard()
    yield dash, ns
    dash.close()


def test_presets_of_every_kind_and_own_output(dashboard, tmp_path):
    dash, ns = dashboard
    d = dash.designer
    choose(d, ns["stim"], 0, 0, "constant", value=0.7)
    choose(d, ns["stim"], 1, 0, "ramp", start=-0.5, end=2)
    choose(d, ns["stim"], 2, 0, "sine", amplitude=0.3, frequency=2.5, phase=0.1)
    choose(d, ns["stim"], 0, 1, "step", time=0.05, before=-1, after=0.25)
    d.copy_button.click()  # the step for every item of dimension 1
    choose(d, ns["const"], 1, 0, "white signal", rms=0.2, high=7, seed=3)
    # noise stays at its own output (left out of data); const's items 0 and 2
    # keep theirs (a process, a constant and a function of t are all covered)
    choose(d, ns["noise"], 2, 0, "constant", value=1.5)
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert "np.linspace(-0.5, 2.0, n_steps)" in source
    assert "stim_data[:, :, 1] = np.where(" in source  # the same for all items
    check_same(dash, run_exported(source))


def test_node_at_own_output_is_left_out(dashboard, tmp_path):
    dash, ns = dashboard
    choose(dash.designer, ns["const"], 0, 0, "sine")
    source = export_source(dash, namespace=ns, folder=tmp_path)
    fresh = run_exported(source)
    assert list(by_path(fresh["net"], fresh["data"])) == ["net.nodes[1]"]
    assert "left out of data (they give their own output): stim, noise" in source
    check_same(dash, fresh)


def test_freehand_saved_as_npy(dashboard, tmp_path):
    dash, ns = dashboard
    d = dash.designer
    choose(d, ns["stim"], 1, 1, "freehand")
    d._param_box.children[0].points = [[0.0, -0.5], [0.4, 0.9], [1.0, 0.2]]
    folder = tmp_path / "exported_inputs"
    source = export_source(dash, namespace=ns, folder=folder)
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["stim_1_1_drawn.npy"]
    assert f"np.load({str(folder / files[0])!r})" in source
    check_same(dash, run_exported(source))


def test_array_preset_saved_as_npy(dashboard, tmp_path):
    dash, ns = dashboard
    array = np.random.RandomState(2).uniform(-1, 1, size=(3, 120, 1))
    dash.designer.set_data({ns["const"]: array})
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert len(list(tmp_path.iterdir())) == 3  # one file per batch item
    check_same(dash, run_exported(source))


def test_trainable_nested_named_and_unnamed(dashboard, tmp_path):
    dash, ns = dashboard
    view, net = dash.network_view, ns["net"]
    inner = ns["sub"].networks[0].ensembles[0]
    view.set_trainable(ns["a"], False)  # named, top level
    view.set_trainable(ns["b"], True)  # named, in a network that says False
    view.set_trainable(inner, True)  # unnamed, two levels down
    view.set_trainable(ns["sub"].connections[0], True)  # unnamed connection
    view.set_trainable(net.connections[1], False)  # unnamed, top level
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert "net.config[a].trainable = False" in source
    assert "sub.config[b].trainable = True" in source
    assert "sub.networks[0].config[sub.networks[0].ensembles[0]]" in source
    assert "net.config[net.connections[1]].trainable = False" in source
    check_same(dash, run_exported(source))


def test_neurons_with_their_own_setting(dashboard, tmp_path):
    dash, ns = dashboard
    net, a = ns["net"], ns["a"]
    net.config[a.neurons].trainable = False  # switched by code, not by a click
    dash.network_view.set_trainable(ns["b"], True)
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert "net.config[a.neurons].trainable = False" in source
    assert "b.neurons" not in source  # they follow their ensemble
    check_same(dash, run_exported(source))


def test_paths_without_user_names(dashboard, tmp_path):
    dash, ns = dashboard
    dash.network_view.set_trainable(ns["b"], True)
    choose(dash.designer, ns["const"], 0, 0, "constant", value=2)
    source = export_source(dash, namespace={}, folder=tmp_path)
    assert "net.networks[0].config[net.networks[0].ensembles[0]]" in source
    assert "data[net.nodes[1]] = " in source
    check_same(dash, run_exported(source))


def test_nothing_switched(dashboard, tmp_path):
    dash, ns = dashboard
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert "# Nothing switched" in source
    assert ".trainable =" not in source
    check_same(dash, run_exported(source))


def test_minibatch_of_one(tmp_path):
    dash, ns = make_dashboard(minibatch_size=1, batch_size=1)
    try:
        choose(dash.designer, ns["stim"], 0, 1, "ramp")
        source = export_source(dash, namespace=ns, folder=tmp_path)
        check_same(dash, run_exported(source))
    finally:
        dash.close()


def test_whole_script_builds_runs_and_trains(dashboard, tmp_path):
    dash, ns = dashboard
    panel = dash.training_panel
    panel.n_steps.text.value = "20"
    panel.optimizer.value = "SGD"
    choose(dash.designer, ns["stim"], 0, 0, "sine")
    source = export_source(dash, namespace=ns, folder=tmp_path)
    assert "keras.optimizers.SGD(learning_rate=0.0001)" in source
    assert "sim.train(train_data, optimizer, objective=objective, n_epochs=1)" in source
    fresh = run_exported(source, upto_simulator=False)
    try:
        check_same(dash, fresh)
        sim = fresh["sim"]
        assert sim.data[fresh["p"]].shape == (3, 120, 1)
        # the training data is the panel's own: same draws, same NaN settling steps
        objective = panel.objective()
        want, _ = panel_data(panel, objective)
        got = by_path(fresh["net"], fresh["train_data"])
        for key, value in by_path(dash.net, want).items():
            np.testing.assert_array_equal(got[key], value, err_msg=key)
    finally:
        fresh["sim"].close()


def panel_data(panel, objective):
    from nengodl_notebook.widgets.training_defaults import split_test

    batch, steps = panel.batch_size.value, panel.n_steps.value
    data = panel.data_provider(panel.sim, objective, batch + panel._held_out(), steps)
    return split_test(data, panel._held_out())


def test_targets_without_names_comment_out_training(tmp_path):
    ns: dict = {}
    exec(NET_CODE, ns)
    dash = Dashboard(
        ns["net"], targets={ns["p"]: lambda t, x: x[:, :1]}, minibatch_size=1
    )
    try:
        source = export_source(dash, namespace=ns, folder=tmp_path)
        assert "# TODO: not found by name: the target or data of p" in source
        assert "\n# sim.train(" in source
        check_same(dash, run_exported(source, upto_simulator=False))
    finally:
        dash.close()


def test_button_message_and_failures(dashboard):
    dash, ns = dashboard
    widget = dash.code_export
    assert widget in dash.widget.children[0].children  # above the tabs
    widget._on_msg(widget, {"type": "export"}, [])  # what a click sends
    assert widget.request == 1 and "sim.train(" in widget.source
    assert widget.error == ""
    broken = CodeExportWidget(lambda: 1 / 0)
    assert broken.export() == ""
    assert broken.request == 0 and "ZeroDivisionError" in broken.error
    widget._on_msg(widget, {"type": "export"}, [])  # the dashboard still exports
    assert widget.request == 2
    broken.close()


def test_export_code_insert_puts_it_into_the_next_cell(dashboard, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    dash, _ = dashboard
    shell = InteractiveShell.instance()
    try:
        source = dash.export_code(insert=True, folder=str(tmp_path))
        assert shell.rl_next_input == source
    finally:
        InteractiveShell.clear_instance()


def test_named_data_provider_is_called(tmp_path):
    ns: dict = {}
    exec(NET_CODE, ns)
    exec("def my_data(sim, objective, batch_size, n_steps):\n    return {}\n", ns)
    dash = Dashboard(
        ns["net"],
        targets={ns["p"]: ns["square"]},
        data_provider=ns["my_data"],
        minibatch_size=1,
    )
    try:
        source = export_source(dash, namespace=ns, folder=tmp_path)
        assert "n_items = batch_size\n" in source
        assert "train_data = my_data(sim, objective, batch_size, train_steps)" in source
        assert "TODO" not in source
    finally:
        dash.close()


def test_dashboard_with_a_strategy_trains_and_exports_it(tmp_path):
    """Dashboard(strategy=...) builds its Simulator with the strategy, the
    training panel trains it, and the exported script makes one too."""
    import tensorflow as tf

    dash, ns = make_dashboard(strategy=tf.distribute.MirroredStrategy(["/cpu:0"]))
    try:
        assert dash.build_error is None
        assert dash.sim._distribution is not None
        panel = dash.training_panel
        panel.n_steps.text.value = "20"
        before = dash.sim.get_params()
        panel.start_button.click()
        assert panel.join(120)
        assert panel.error.value == ""
        after = dash.sim.get_params()
        assert any(not np.allclose(before[k], after[k]) for k in before)
        source = export_source(dash, namespace=ns, folder=tmp_path)
        assert "strategy = tf.distribute.MirroredStrategy()" in source
        assert "minibatch_size=3, strategy=strategy)" in source
        fresh = run_exported(source, upto_simulator=False)
        try:
            assert fresh["sim"]._distribution is not None
            assert fresh["sim"].data[fresh["p"]].shape == (3, 120, 1)
        finally:
            fresh["sim"].close()
    finally:
        dash.close()
