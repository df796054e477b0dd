"""Live mode's neuron views and XY plots in real JupyterLab and Chromium (issue 18).

A 2-D oscillator and a squaring ensemble run live in real time: the spike
raster's dots and the XY path change while it runs, the Ensemble chooser
(set from Python here) switches the raster.
Screenshot: docs/screenshots/live-neurons.png.
"""

import json

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "live_views.ipynb"
SCREENSHOT = ROOT / "docs" / "screenshots" / "live-neurons.png"

CELLS = [
    "import nengo\nimport numpy as np\nimport nengodl_notebook as nengo_dl\n\n"
    "with nengo.Network(seed=0) as net:\n"
    "    kick = nengo.Node(lambda t: [1, 0] if t < 0.1 else [0, 0], label='kick')\n"
    "    osc = nengo.Ensemble(100, 2, label='oscillator')\n"
    "    square = nengo.Ensemble(20, 1, label='square')\n"
    "    nengo.Connection(kick, osc)\n"
    "    nengo.Connection(osc, osc, transform=[[1, -0.6], [0.6, 1]], synapse=0.1)\n"
    "    nengo.Connection(osc[0], square, function=np.square)\n"
    "    osc_p = nengo.Probe(osc, synapse=0.02, label='oscillator')\n"
    "    square_p = nengo.Probe(square, synapse=0.02, label='square')",
    "live = nengo_dl.Live(net, window=1.0)\nlive",
]

FINGERPRINT_JS = """
(title) => {
  const figure = [...document.querySelectorAll('.bqplot')].find(
    (f) => f.textContent.includes(title));
  if (!figure) return null;
  const dots = [...figure.querySelectorAll('.dot')];
  return dots.length + ':' + dots.slice(0, 5).map(
    (d) => d.getAttribute('transform')).join('|');
}
"""


@pytest.fixture(scope="module")
def live_page(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1600)
    page.run_all()
    yield page
    page.kernel("live.stop()\nlive.close()")
    page.close()


def button(page, name):
    return page.locator("button.jupyter-button", has_text=name).first


def raster(page):
    return page.evaluate(FINGERPRINT_JS, "Spikes")


def xy_path(page):
    figure = page.locator(".bqplot").filter(has_text="oscillator (XY)").first
    return figure.locator("path.line").first.get_attribute("d")


def test_raster_and_xy_path_change_while_running(live_page):
    page = live_page.page
    assert (
        "20 of 100 neurons"
        in page.locator(".widget-html-content")
        .filter(has_text="oscillator:")
        .first.inner_text()
    )
    button(page, "Start").click()
    page.locator(".widget-html-content", has_text="x real time").wait_for(timeout=60000)
    page.wait_for_function("() => document.querySelectorAll('.dot').length > 20")
    first, first_xy = raster(page), xy_path(page)
    page.wait_for_timeout(500)
    assert raster(page) != first  # the dots scroll
    assert xy_path(page) != first_xy
    n = live_page.kernel_json("len(live.neurons.raster_mark.x)")
    assert n > 20

    live_page.kernel("live.neurons.ensemble_select.value = 1")  # the chooser
    page.locator(".widget-html-content", has_text="square: 20 of 20").wait_for(
        timeout=10000
    )
    page.wait_for_timeout(1500)  # a window of the squaring ensemble's spikes
    button(page, "Pause").click()
    button(page, "Resume").wait_for(timeout=10000)
    page.wait_for_timeout(500)  # the last redraw after the pause
    n_square = live_page.kernel_json("len(live.neurons.raster_mark.x)")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.bqplot .dot').length === n",
        arg=n_square,
        timeout=10000,
    )
    limit = live_page.kernel_json("live.xy_views[osc_p].limit")
    assert limit >= 1.0
    page.locator(".widget-vbox").filter(has_text="programs built").first.screenshot(
        path=str(SCREENSHOT)
    )
    assert json.dumps(live_page.our_errors()) == "[]"
