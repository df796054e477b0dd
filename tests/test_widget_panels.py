"""The panels without a browser: traits, button clicks, observers, threads."""

import os
import time

import nengo
import numpy as np
import pytest
import tensorflow as tf
from tutorial_nets import training_network

import nengodl_notebook as nengo_dl
from nengodl_notebook.widgets import (
    ComparePanel,
    InputDesignerWidget,
    RunPanel,
    TrainingPanel,
)
from nengodl_notebook.widgets.plots import (
    Decimator,
    NumberField,
    generated_training_data,
)
from nengodl_notebook.widgets.sim_access import sim_lock

MB = 4


def target_fn(t, x):
    return np.sin(x**2)


def make_net():
    """The tutorial's network (no synapses on connections), ensembles trainable."""
    return training_network(n_neurons=15)


@pytest.fixture
def net():
    return make_net()


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, minibatch_size=MB, seed=0) as sim:
        yield sim


def params_of(sim, tmp_path, name):
    path = tmp_path / f"{name}.npz"
    sim.save_params(path)
    with np.load(path) as saved:
        return {k: saved[k].copy() for k in saved.files if not k.startswith("__")}


def training_panel(sim, **kwargs):
    settings = {
        "targets": {sim.model.toplevel.nofilt_p: target_fn},
        "batch_size": 32,
        "n_steps": 1,
        "epochs": 3,
        "learning_rate": 0.01,
        "update_interval": 0.05,
    }
    settings.update(kwargs)
    return TrainingPanel(sim, **settings)


def wait_for(condition, timeout):
    end = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < end:
        time.sleep(0.01)
    return condition()


# -- helpers ---------------------------------------------------------------------------


def test_number_field_refuses_and_keeps_last_valid():
    from ipywidgets import HTML

    message, seen = HTML(), []
    field = NumberField(
        "rate", 1.0, low=0, high=10, message=message, on_change=seen.append
    )
    field.text.value = "2.5"
    assert field.value == 2.5 and seen == [2.5] and message.value == ""
    for bad in ("abc", "11", "nan"):
        field.text.value = bad
        assert (
            "rate" in message.value and field.value == 2.5 and field.text.value == "2.5"
        )
    assert seen == [2.5]


def test_decimator_is_bounded():
    series = Decimator(limit=50)
    for i in range(10000):
        series.append(i, float(i % 7))
    x, y = series.arrays()
    assert len(x) <= 100 and x[-1] == 9999 and np.all(np.diff(x) > 0)
    assert abs(np.mean(y) - 3.0) < 0.1  # averages of 0..6


# -- InputDesignerWidget ---------------------------------------------------------------


def test_designer_presets(net):
    d = InputDesignerWidget(net, MB, 100, 0.001)
    assert d.nodes == [net.inpt] and d.data() == {}  # "node output": Simulator's own
    d.preset.value = "ramp"
    d.fields[("ramp", "start")].text.value = "-2"
    d.fields[("ramp", "end")].text.value = "3"
    x = d.data()[net.inpt]
    assert x.shape == (MB, 100, 1)
    assert np.allclose(x[0, :, 0], np.linspace(-2, 3, 100))
    d.item_select.value = 1
    d.preset.value = "constant"
    d.fields[("constant", "value")].text.value = "0.25"
    d.item_select.value = 2
    d.preset.value = "sine"
    d.fields[("sine", "frequency")].text.value = "2"
    d.fields[("sine", "amplitude")].text.value = "0.5"
    d.item_select.value = 3
    d.preset.value = "step"
    d.fields[("step", "time")].text.value = "0.05"
    x = d.data()[net.inpt]
    t = 0.001 * np.arange(1, 101)
    assert np.all(x[1] == 0.25)
    assert np.allclose(x[2, :, 0], 0.5 * np.sin(2 * np.pi * 2 * t))
    assert np.array_equal(x[3, :, 0], np.where(t < 0.0495, 0.0, 1.0))
    # the edited entry's values show when it is selected again
    d.item_select.value = 0
    assert d.preset.value == "ramp" and d.fields[("ramp", "end")].text.value == "3"


def test_designer_white_signal_and_resampling(net):
    d = InputDesignerWidget(net, MB, 1000, 0.001)
    d.preset.value = "white signal"
    d.fields[("white signal", "rms")].text.value = "0.3"
    d.fields[("white signal", "seed")].text.value = "5"
    d.copy_button.click()
    x = d.data()[net.inpt]
    assert np.allclose(x[0], x[3])
    assert 0.2 < np.sqrt(np.mean(x[0] ** 2)) < 0.4  # nengo: rms over few components
    expected = nengo.processes.WhiteSignal(1.0, 5.0, rms=0.3).run_steps(
        1000, d=1, dt=0.001, rng=np.random.RandomState(5)
    )
    assert np.allclose(x[0], expected)
    d.n_steps = 300  # run time changed: resampled
    assert d.data()[net.inpt].shape == (MB, 300, 1)
    assert d.lines.x.shape == (300,) and d.lines.y.shape == (MB, 300)


def test_designer_refuses_bad_values(net):
    d = InputDesignerWidget(net, MB, 100, 0.001)
    d.preset.value = "sine"
    before = d.data()[net.inpt].copy()
    for key, bad in [
        (("sine", "frequency"), "fast"),
        (("sine", "frequency"), "600"),
        (("sine", "amplitude"), "inf"),
    ]:
        d.fields[key].text.value = bad
        assert d.fields[key].description in d.message.value
        assert d.fields[key].text.value != bad  # back to the last valid value
        assert np.array_equal(d.data()[net.inpt], before)
    assert "out of range" in d.message.value or "not a" in d.message.value
    d.preset.value = "white signal"
    d.fields[("white signal", "seed")].text.value = "1.5"
    assert "whole number" in d.message.value
    d.fields[("white signal", "high")].text.value = "0"
    assert "out of range" in d.message.value
    d.fields[("white signal", "high")].text.value = "8"  # valid: message cleared
    assert d.message.value == ""


def test_designer_set_data_from_python(net):
    d = InputDesignerWidget(net, MB, 50, 0.001)
    values = np.random.RandomState(0).uniform(-1, 1, size=(MB, 50, 1))
    d.set_data({net.inpt: values})
    assert d.preset.value == "array" and "array" in d.preset.options
    assert np.array_equal(d.data()[net.inpt], values)
    assert np.allclose(d.lines.y, values[:, :, 0])  # shown in the preview
    d.n_steps = 60  # longer than the array: holds the last value
    assert np.array_equal(
        d.data()[net.inpt][:, 50:], np.repeat(values[:, -1:], 10, axis=1)
    )
    d.set_data({net.inpt: np.ones((20, 1))})  # broadcast over batch items
    assert np.all(d.data()[net.inpt] == 1)
    with pytest.raises(ValueError, match="shape"):
        d.set_data({net.inpt: np.ones((3, 20, 1))})
    with pytest.raises(ValueError, match="not one of"):
        d.set_data({nengo.Node(0, add_to_container=False): np.ones((20, 1))})


def test_designer_state_round_trip(net):
    """Changes arriving as widget state (as from the browser) reach ``data()``."""
    d = InputDesignerWidget(net, MB, 100, 0.001)
    d.preset.set_state({"index": list(d.preset.options).index("constant")})
    d.fields[("constant", "value")].text.set_state({"value": "0.75"})
    assert np.all(d.data()[net.inpt][0] == 0.75)
    assert d.fields[("constant", "value")].text.get_state()["value"] == "0.75"
    d.item_select.set_state({"index": 2})
    assert d.preset.get_state()["index"] == list(d.preset.options).index("node output")


def test_designer_freehand(net):
    pytest.importorskip("nengodl_notebook.widgets.freehand")
    from nengodl_notebook.widgets.freehand import FreehandWidget

    d = InputDesignerWidget(net, MB, 100, 0.001)
    d.preset.value = "freehand"
    (freehand,) = d._param_box.children
    assert isinstance(freehand, FreehandWidget)
    freehand.points = [[0.0, -1.0], [1.0, 1.0]]
    x = d.data()[net.inpt][0, :, 0]
    assert np.allclose(x, freehand.values(100)) and x[-1] == 1.0
    assert np.allclose(d.lines.y[0], x)  # the preview follows the drawing


# -- RunPanel --------------------------------------------------------------------------


def test_run_panel_plots_sim_data(net, sim):
    d = InputDesignerWidget(net, MB, 1000, sim.dt)
    d.preset.value = "ramp"
    d.copy_button.click()
    panel = RunPanel(sim, d, targets={net.out_p: target_fn}, run_time=0.3)
    assert d.n_steps == 300
    panel.probe_select.value = (
        panel.probes.index(net.out_p),
        panel.probes.index(net.inpt_p),
    )
    panel.item_select.value = 2
    panel.run_button.click()  # runs in a background thread
    assert panel.wait(60)
    assert panel.message.value == "" and sim.n_steps == 300
    lines = panel.probe_lines[net.out_p]
    assert np.allclose(lines.x, sim.trange()) and np.allclose(
        lines.y, sim.data[net.out_p][2, :, 0]
    )
    assert np.allclose(panel.probe_lines[net.inpt_p].y, np.linspace(-1, 1, 300))
    target = panel.target_lines[net.out_p]
    assert target.visible and target.line_style == "dashed"
    assert np.allclose(target.y, np.sin(np.linspace(-1, 1, 300) ** 2))
    assert not panel.probe_lines[net.nofilt_p].visible
    panel.run_button.click()  # each run starts at 0
    assert panel.wait(60) and sim.n_steps == 300
    panel.run_time.text.value = "0.1"
    panel.run_button.click()
    assert (
        panel.wait(60)
        and d.n_steps == 100
        and sim.data[net.out_p].shape == (MB, 100, 1)
    )
    assert len(panel.probe_lines[net.out_p].x) == 100


def test_run_panel_alone_and_busy(net, sim):
    panel = RunPanel(sim, run_time=0.05)  # no designer: the nodes' own outputs
    assert panel.run()
    assert np.allclose(
        panel.probe_lines[panel.probes[0]].y, sim.data[panel.probes[0]][0, :, 0]
    )
    with sim_lock(sim):  # as while training runs
        assert not panel.run()
    assert "busy" in panel.message.value


# -- TrainingPanel ---------------------------------------------------------------------


def test_generated_training_data(net, sim):
    objective = {net.nofilt_p: nengo_dl.obj.mse}
    data = generated_training_data(sim, {net.nofilt_p: target_fn}, objective, 16, 3)
    assert data[net.inpt].shape == (16, 3, 1) and data[net.nofilt_p].shape == (16, 3, 1)
    assert np.allclose(data[net.nofilt_p], np.sin(data[net.inpt] ** 2))
    with pytest.raises(ValueError, match="No target"):
        generated_training_data(sim, {}, objective, 16, 3)


def test_training_start_stop(net, sim):
    panel = training_panel(sim, epochs=100000)
    assert panel.objectives[net.nofilt_p].value == "mse"
    assert panel.objectives[net.out_p].value == "none"
    assert panel.minibatch_label.value == f"(minibatch size {MB})"
    assert not panel.start_button.disabled and panel.stop_button.disabled
    panel.start_button.click()
    thread = panel._thread
    assert thread.is_alive() and panel.running
    assert panel.start_button.disabled and not panel.stop_button.disabled
    panel.start_button.click()  # ignored
    assert not panel.start()
    assert panel._thread is thread
    assert wait_for(lambda: len(panel.batch_line.x) > 5, 60)
    assert "ETA" in panel.progress.value
    # Stop ends the run after the compiled chunk in flight (its latency is
    # measured by benchmarks/dashboard_training.py); the timeout guards hangs only
    chunk, done = panel.sim._trainer.chunk.size, panel._recorder.step
    panel.stop_button.click()
    assert panel.join(60) and not thread.is_alive()
    assert panel._recorder.step - done <= chunk
    assert not panel.start_button.disabled and panel.stop_button.disabled
    assert panel.summary.value.startswith("Training stopped in 0:00:")
    assert len(panel.batch_line.x) <= 500 and len(panel.epoch_line.x) >= 1
    assert panel.runs[-1]["stopped"]
    panel.close()


def test_training_finishes_and_reset_restores(net, sim, tmp_path):
    before = params_of(sim, tmp_path, "before")
    panel = training_panel(sim, epochs=3)
    panel.reset_button.click()
    assert "Nothing to reset" in panel.message.value
    panel.start_button.click()
    assert panel.join(60)
    assert panel.error.value == ""
    assert panel.summary.value.startswith("Training finished in 0:00:")
    assert "(loss: 0." in panel.summary.value
    assert len(panel.batch_line.x) == 3 * 32 // MB and len(panel.epoch_line.y) == 3
    trained = params_of(sim, tmp_path, "trained")
    assert any(not np.array_equal(before[k], trained[k]) for k in before)
    panel.reset_button.click()
    restored = params_of(sim, tmp_path, "restored")
    assert all(np.array_equal(before[k], restored[k]) for k in before)
    assert len(panel.batch_line.x) == 3 * 32 // MB  # the run's curve stays
    panel.close()


def test_training_error_is_shown(net, sim):
    def bad_data(sim, objective, batch_size, n_steps):
        return {
            net.inpt: np.zeros((batch_size, n_steps, 1)),
            net.nofilt_p: np.zeros((batch_size, n_steps, 3)),
        }  # wrong size

    panel = training_panel(sim, data_provider=bad_data)
    assert panel.start()
    assert panel.join(30)
    assert "Training failed" in panel.error.value and "Probe" in panel.error.value
    assert not panel.start_button.disabled and not panel.running
    panel.batch_size.text.value = "30"  # not a multiple of the minibatch size
    assert "multiple" in panel.message.value and panel.batch_size.value == 32
    panel.objectives[net.nofilt_p].value = "none"
    assert not panel.start()
    assert "objective" in panel.error.value
    panel.close()


def test_training_test_loss(net, sim):
    vals = np.random.RandomState(1).uniform(-1, 1, size=(8, 1, 1))
    test = {net.inpt: vals, net.nofilt_p: np.sin(vals**2)}
    panel = training_panel(sim, test_data=test, epochs=2)
    panel.start()
    assert panel.join(60)
    assert panel.error.value == "" and len(panel.test_line.y) == 3  # before + 2 epochs
    panel.close()


def test_close_stops_training(net, sim):
    panel = training_panel(sim, epochs=100000)
    panel.start()
    thread = panel._thread
    assert wait_for(lambda: len(panel.batch_line.x) > 0, 60)
    panel.close()
    assert not thread.is_alive()


def test_training_time_with_and_without_panel(net, sim, Simulator):
    """Prints the wall time of the same training with and without the panel."""
    epochs, batch = 20, 256
    panel = training_panel(
        sim, epochs=epochs, batch_size=batch, optimizer="Adam", update_interval=0.2
    )
    objective = {net.nofilt_p: nengo_dl.obj.mse}
    data = generated_training_data(sim, panel.targets, objective, batch, 1)
    with Simulator(net, minibatch_size=MB, seed=0) as plain:  # compile both first
        plain.train(data, tf.keras.optimizers.Adam(0.01), objective, n_epochs=1)
        start = time.perf_counter()
        plain.train(data, tf.keras.optimizers.Adam(0.01), objective, n_epochs=1)
        compile_free = time.perf_counter() - start
        opt = tf.keras.optimizers.Adam(0.01)
        plain.train(data, opt, objective, n_epochs=1)
        start = time.perf_counter()
        plain.train(data, opt, objective, n_epochs=epochs)
        without = time.perf_counter() - start
    panel.epochs.set(1)
    panel.start()
    panel.join(60)
    panel.epochs.set(epochs)
    start = time.perf_counter()
    panel.start()
    panel.join(120)
    with_panel = time.perf_counter() - start
    print(
        f"\ntraining {epochs} epochs x {batch // MB} minibatches: plain sim.train "
        f"{without:.2f} s; from the panel {with_panel:.2f} s from Start to the final "
        f"UI update ({panel.runs[-1]['seconds']:.2f} s inside the training thread); "
        f"one epoch with a new optimizer (compiles): {compile_free:.2f} s; "
        f"cpus={os.cpu_count()}"
    )
    assert panel.error.value == ""
    panel.close()


# -- ComparePanel ----------------------------------------------------------------------


def test_compare_after_training(net, sim, tmp_path):
    d = InputDesignerWidget(net, MB, 200, sim.dt)
    d.preset.value = "ramp"
    d.copy_button.click()
    training = training_panel(sim, epochs=2)
    compare = ComparePanel(
        sim, d, targets={net.out_p: target_fn, net.nofilt_p: target_fn}
    )
    training.on_run_end.append(compare.add_run)
    assert [s["label"] for s in compare.snapshots] == ["before training"]
    before = params_of(sim, tmp_path, "before")
    training.start()
    assert training.join(60)
    assert len(compare.snapshots) == 2 and compare.snapshots[1]["label"].startswith(
        "run 1"
    )
    assert compare.snapshot_a.value == 0 and compare.snapshot_b.value == 1
    trained = params_of(sim, tmp_path, "trained")
    compare.probe_select.value = compare.probes.index(net.nofilt_p)
    compare.compare_button.click()
    assert compare.message.value == ""
    after = params_of(sim, tmp_path, "after")
    assert all(np.array_equal(trained[k], after[k]) for k in trained)  # restored
    # A and B are the runs with each snapshot's parameters
    sim.reset(include_trainable=False)
    sim.run_steps(200, data=d.data())
    assert np.allclose(compare.line_b.y, sim.data[net.nofilt_p][0, :, 0])
    sim.set_params(compare.snapshots[0]["params"])
    assert all(
        np.array_equal(before[k], params_of(sim, tmp_path, "b")[k]) for k in before
    )
    sim.reset(include_trainable=False)
    sim.run_steps(200, data=d.data())
    assert np.allclose(compare.line_a.y, sim.data[net.nofilt_p][0, :, 0])
    assert "MSE (item 0)" in compare.errors.value
    assert compare.table.value.count("<tr>") == MB + 1
    assert compare.mse("B", net.nofilt_p, 0) < compare.mse("A", net.nofilt_p, 0)
    compare.item_select.value = 3
    assert "MSE (item 3)" in compare.errors.value
    training.close()
    compare.close()
