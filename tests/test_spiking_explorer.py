"""The spiking explorer without a browser: sliders, scores, plots, bad input."""

import keras
import nengo
import numpy as np
import pytest
from nengo.dists import Choice
from nengo.exceptions import ValidationError
from sklearn.datasets import load_digits

import nengodl_notebook as nengo_dl
from nengodl_notebook.widgets import SpikingExplorer
from nengodl_notebook.widgets.spiking_explorer import N_BINS


@pytest.fixture(scope="module")
def digits():
    """A small trained ReLU MLP on the 8x8 digits and 200 held-out examples."""
    data = load_digits()
    x = (data.data / 16).astype(np.float32)
    y = data.target
    keras.utils.set_random_seed(0)
    inp = keras.Input((64,))
    hidden = keras.layers.Dense(32, activation="relu")(inp)
    out = keras.layers.Dense(10)(hidden)
    model = keras.Model(inp, out)
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x[:1200], y[:1200], epochs=8, batch_size=32, verbose=0)
    return model, x[1200:1400], y[1200:1400]


@pytest.fixture
def explorer(digits):
    model, x, y = digits
    explorer = SpikingExplorer(
        model, x, y, scale=0.3, n_steps=20, max_steps=40, minibatch_size=50
    )
    assert explorer.wait(timeout=120)
    yield explorer
    explorer.close()


def test_sliders_rescore_without_recompiling(digits, explorer):
    model, x, y = digits
    keras_acc = np.mean(np.argmax(model.predict(x, verbose=0), -1) == y)
    assert explorer.rate_accuracy == pytest.approx(keras_acc)
    assert explorer.rate_accuracy > 0.85
    low = explorer.spiking_accuracy
    built = explorer.programs_built
    assert built >= 1
    explorer.set(scale=100, tau=0.005, n_steps=40)
    assert explorer.wait(timeout=120)
    assert explorer.error is None
    high = explorer.spiking_accuracy
    assert high > low + 0.3, (low, high)
    assert high > explorer.rate_accuracy - 0.1
    text = explorer.accuracy_label.value
    assert f"rate: {explorer.rate_accuracy:.3f}, spiking: {high:.3f}" in text
    # each slider alone, as a person moves them (observers), recompiles nothing
    explorer.scale.value = 10.0
    explorer.wait()
    explorer.tau.value = 0.0
    explorer.wait()
    explorer.n_steps.value = 5
    explorer.wait()
    assert explorer.programs_built == built
    assert f"programs built: {built}" in explorer.status.value
    assert len(explorer.results) == 5
    # the counter does see a new program: a run of another length needs one
    runs = explorer.runs
    x_short = np.repeat(x[: runs.minibatch_size, None], 7, axis=1)
    runs.sim.predict({runs.input_node: x_short})
    assert explorer.programs_built == built + 1


def test_run_time_scale_matches_converter_scale(digits):
    """The one Simulator scaled at run time gives what a network converted with
    ``scale_firing_rates`` gives (spiking ReLU from voltage 0: float round-off)."""
    model, x, y = digits
    spiking = nengo.SpikingRectifiedLinear(initial_state={"voltage": Choice([0])})
    swap = {keras.activations.relu: spiking}
    scale, steps = 20.0, 40
    explorer = SpikingExplorer(
        nengo_dl.Converter(model, swap_activations=swap),
        x[:50],
        y[:50],
        scale=scale,
        n_steps=steps,
        max_steps=steps,
    )
    explorer.wait()
    ours = explorer.runs.run(scale).output
    explorer.close()
    converter = nengo_dl.Converter(
        model, swap_activations=swap, scale_firing_rates=scale
    )
    inp, probe = converter.inputs[model.inputs[0]], converter.outputs[model.outputs[0]]
    with nengo_dl.Simulator(
        converter.net, minibatch_size=50, progress_bar=False
    ) as sim:
        theirs = sim.predict({inp: np.repeat(x[:50, None], steps, axis=1)})[probe]
    # a spike may move by a step where a voltage lands on the threshold
    assert np.mean(np.isclose(ours, theirs, atol=1e-4)) > 0.99
    assert np.allclose(ours.mean(1), theirs.mean(1), atol=0.05 * np.std(theirs))


def test_rate_histogram_per_layer(explorer):
    # scales with tens of spikes per neuron in 40 steps: counts at scale 1 are
    # mostly 0 or 1, set by the initial voltages rather than by the input
    explorer.set(scale=20.0, n_steps=40)
    explorer.wait()
    rates_1 = explorer.layer_rates
    # one layer, named after the Keras layer (Keras numbers names per process)
    assert list(rates_1) == explorer.runs.layers
    (layer,) = explorer.runs.layers
    assert layer.startswith("dense") and layer.endswith(".0")
    assert rates_1[layer].shape == (32,)
    hist_x_1, hist_y_1 = np.array(explorer.hist.x), np.array(explorer.hist.y)
    assert hist_y_1.shape == (1, N_BINS)
    assert np.allclose(hist_y_1.sum(axis=1), 1)
    explorer.set(scale=200.0)
    explorer.wait()
    rates_10 = explorer.layer_rates[layer]
    # spike counts of 40 steps: 10x the input current gives ~10x the rate
    ratio = rates_10.mean() / rates_1[layer].mean()
    assert 7 < ratio < 13, ratio
    # the plotted histogram moves up with them
    hist_x_10, hist_y_10 = np.array(explorer.hist.x), np.array(explorer.hist.y)
    mean_1, mean_10 = hist_x_1 @ hist_y_1[0], hist_x_10 @ hist_y_10[0]
    assert 6 < mean_10 / mean_1 < 14, (mean_1, mean_10)


def test_points_accumulate_and_output_is_filtered(explorer):
    n_before = len(explorer.results)
    for steps in (10, 20, 30):
        explorer.set(scale=50, tau=0.01, n_steps=steps)
        explorer.wait()
    explorer.set(scale=50, tau=0.01, n_steps=30)  # the same setting again
    explorer.wait()
    assert len(explorer.results) == n_before + 3
    assert list(explorer.points.x[-3:]) == pytest.approx([0.01, 0.02, 0.03])
    accs = [r["accuracy"] for r in explorer.results[-3:]]
    assert list(explorer.points.y[-3:]) == pytest.approx(accs)
    raw = explorer.runs.run(50).output[explorer.example, :30]
    filtered = nengo.Lowpass(0.01).filt(raw, axis=0, dt=0.001, y0=0)
    assert np.allclose(np.array(explorer.output_lines.y), filtered.T)
    assert np.array(explorer.output_lines.x)[-1] == pytest.approx(0.03)


def test_bad_input(digits):
    model, x, y = digits
    with pytest.raises(ValidationError, match=r"x must have shape \(n, 64\)"):
        SpikingExplorer(model, x[:, :10], y)
    with pytest.raises(ValidationError, match="y must be 200 integer labels"):
        SpikingExplorer(model, x, y[:10])
    with pytest.raises(ValidationError, match="y must be 200 integer labels"):
        SpikingExplorer(model, x, y.astype(float))
    with pytest.raises(ValidationError, match=r"labels 0\.\.9"):
        SpikingExplorer(model, x, y + 5)
    with pytest.raises(ValidationError, match="keras.Model or a nengo_dl.Converter"):
        SpikingExplorer("model", x, y)
    two = keras.Model(model.inputs, [model.outputs[0], model.outputs[0] * 2])
    with pytest.raises(ValidationError, match="one output, got 2"):
        SpikingExplorer(two, x, y)
    bad = x.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValidationError, match="x must be finite"):
        SpikingExplorer(model, bad, y)
    with pytest.raises(IndexError, match="example 500"):
        SpikingExplorer(model, x, y, example=500)


def test_bad_scale_is_refused_and_explorer_stays_usable(explorer):
    with pytest.raises(ValidationError, match="scale must be a positive number"):
        explorer.runs.run(0.0)
    explorer.set(scale=5.0, n_steps=40)
    assert explorer.wait()
    assert explorer.error is None and explorer.spiking_accuracy is not None


def test_converter_and_images(digits):
    """A Converter (its own neurons: rate here) and image-shaped inputs."""
    model, x, y = digits
    converter = nengo_dl.Converter(model)  # RectifiedLinear: spiking == rate
    explorer = SpikingExplorer(converter, x.reshape(-1, 8, 8), y, n_steps=1)
    try:
        assert explorer.wait(timeout=120)
        assert explorer.spiking_accuracy == pytest.approx(explorer.rate_accuracy)
    finally:
        explorer.close()
