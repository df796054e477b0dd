"""'Train for N minibatches' of a Live panel in real JupyterLab and Chromium.

The tutorial network (ensembles trainable) runs live in real time; a click on
Train pauses it, trains, shows "loss a -> b" in the row, and the run goes on
from the same simulated time without building a program for it. Screenshot:
build/browser-artefacts/live-training.png.
"""

import pytest

from tests.browser.conftest import write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "live_training.ipynb"

CELLS = [
    "import nengo\nimport numpy as np\nimport nengodl_notebook as nengo_dl\n\n"
    "with nengo.Network(seed=0) as net:\n"
    "    inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))\n"
    "    square = nengo.Ensemble(20, 1)\n"
    "    sin = nengo.Ensemble(20, 1)\n"
    "    outpt = nengo.Node(size_in=1)\n"
    "    nengo.Connection(inpt, square)\n"
    "    nengo.Connection(square, sin, function=np.square)\n"
    "    nengo.Connection(sin, outpt, function=np.sin)\n"
    "    outpt_p = nengo.Probe(outpt, synapse=0.01, label='output')\n"
    "    nengo_dl.configure_settings(trainable=False)\n"
    "    net.config[nengo.Ensemble].trainable = True",
    "live = nengo_dl.Live(net, targets={outpt_p: lambda t, x: np.sin(x**2)})\nlive",
]


@pytest.fixture(scope="module")
def live_page(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1400)
    page.run_all()
    yield page
    page.kernel("live.close()")
    page.close()


def button(page, name):
    return page.locator("button.jupyter-button", has_text=name).first


def test_train_button_trains_and_the_run_goes_on(live_page, artefacts):
    page = live_page.page
    params = "{k: v.tolist() for k, v in live.sim.get_params().items()}"
    initial = live_page.kernel_json(params)
    button(page, "Start").click()
    page.locator(".widget-html-content", has_text="x real time").wait_for(timeout=60000)
    built = live_page.kernel_json("live.engine.programs_built")

    button(page, "Train").click()
    result = page.locator(".widget-html-content", has_text="minibatches,")
    result.wait_for(timeout=180000)
    assert "loss" in result.inner_text() and "\u2192" in result.inner_text()
    assert live_page.kernel_json("live.training.error is None")
    assert live_page.kernel_json("len(live.training.runs)") == 1

    t = live_page.kernel_json("live.engine.time")
    live_page.kernel(f"live.engine.wait_for({t} + 0.5)")  # still running
    assert not live_page.kernel_json("live.engine.paused")
    assert live_page.kernel_json("live.engine.programs_built") == built
    button(page, "Pause").click()
    button(page, "Resume").wait_for(timeout=10000)
    assert live_page.kernel_json(params) != initial  # trained
    page.locator(".widget-vbox").filter(has_text="programs built").first.screenshot(
        path=str(artefacts / "live-training.png")
    )
    assert live_page.our_errors() == []
