"""The spiking explorer in real JupyterLab and Chromium (issue 17, item 4).

A small Keras CNN on the 8x8 digits is shown in the explorer; dragging the
firing-rate slider re-scores the spiking network (the accuracy line and the
firing-rate histogram change) without compiling a new program. Screenshot:
docs/screenshots/spiking-explorer.png.
"""

import re

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "spiking-explorer.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

CELLS = [
    "import keras\nimport numpy as np\nfrom sklearn.datasets import load_digits\n"
    "from nengodl_notebook.widgets import SpikingExplorer\n\n"
    "keras.utils.set_random_seed(0)\n"
    "digits = load_digits()\n"
    "x = (digits.images / 16).astype('float32')[..., None]\n"
    "y = digits.target\n"
    "inp = keras.Input((8, 8, 1))\n"
    "h = keras.layers.Conv2D(8, 3, activation='relu')(inp)\n"
    "h = keras.layers.Conv2D(16, 3, strides=2, activation='relu')(h)\n"
    "h = keras.layers.Dense(32, activation='relu')(keras.layers.Flatten()(h))\n"
    "model = keras.Model(inp, keras.layers.Dense(10)(h))\n"
    "model.compile(keras.optimizers.Adam(3e-3), keras.losses."
    "SparseCategoricalCrossentropy(from_logits=True))\n"
    "model.fit(x[:1400], y[:1400], epochs=8, batch_size=32, verbose=0)",
    "explorer = SpikingExplorer(\n"
    "    model, x[1400:], y[1400:], scale=1, tau=0.02, n_steps=30\n"
    ")\n"
    "explorer",
]

ACCURACY = re.compile(r"rate: ([0-9.]+), spiking: ([0-9.]+)")


@pytest.fixture(scope="module")
def explorer_page(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1200)
    page.run_all()
    yield page
    page.kernel("explorer.close()")
    page.close()


def accuracy_text(page):
    text = page.locator(".widget-html-content", has_text="spiking:").first
    text.wait_for(timeout=60000)
    return text.inner_text()


def bar_heights(page):
    figure = page.locator(".bqplot").filter(has_text="Firing rates per layer").first
    return figure.locator("rect.bar").evaluate_all(
        "rects => rects.map(r => r.getAttribute('height'))"
    )


def test_dragging_the_rate_slider_rescores(explorer_page):
    page = explorer_page.page
    before = accuracy_text(page)
    rate, spiking = map(float, ACCURACY.search(before).groups())
    assert rate > 0.8 and spiking < 0.5, before  # scale 1: too few spikes
    bars_before = bar_heights(page)
    assert len(bars_before) >= 3 * 20  # three layers of 20 bins
    built = explorer_page.kernel_json("explorer.programs_built")
    points = explorer_page.kernel_json("len(explorer.results)")

    row = page.locator(".widget-hslider", has_text="rate scale").first
    handle = row.locator(".noUi-handle").first
    track = row.locator(".noUi-target").first
    box, handle_box = track.bounding_box(), handle.bounding_box()
    start_x = handle_box["x"] + handle_box["width"] / 2
    y = handle_box["y"] + handle_box["height"] / 2
    page.mouse.move(start_x, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.85 * box["width"], y, steps=10)
    page.mouse.up()

    page.wait_for_function(
        "(old) => [...document.querySelectorAll('.widget-html-content')].some("
        "e => e.innerText.includes('spiking:') && e.innerText !== old)",
        arg=before,
        timeout=60000,
    )
    explorer_page.kernel("explorer.wait()")
    after = accuracy_text(page)
    rate_after, spiking_after = map(float, ACCURACY.search(after).groups())
    assert rate_after == rate
    assert spiking_after > spiking + 0.3, (before, after)
    scale = explorer_page.kernel_json("explorer.scale.value")
    assert scale > 50, scale
    page.wait_for_timeout(500)  # bqplot redraws the bars
    assert bar_heights(page) != bars_before
    assert explorer_page.kernel_json("explorer.programs_built") == built
    assert explorer_page.kernel_json("len(explorer.results)") == points + 1
    widget = page.locator(".widget-vbox").filter(has_text="rate scale").first
    widget.screenshot(path=str(SCREENSHOTS / "spiking-explorer.png"))
    assert explorer_page.our_errors() == []
