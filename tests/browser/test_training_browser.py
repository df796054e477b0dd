"""The training panel in real JupyterLab and Chromium (issue 15, points 1 and 3).

An EnsembleArray network (in a sub-network, synapses on the path) trained from
the panel's defaults lowers its held-out test loss; a diverging learning rate is
stopped with the parameters restored. Screenshots: docs/screenshots/
training-panel-light.png and training-panel-dark.png.
"""

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "training-panel.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

CELLS = [
    "import nengo\nimport numpy as np\nimport nengodl_notebook as nengo_dl\n"
    "from nengodl_notebook.widgets import TrainingPanel\n\n"
    "with nengo.Network(seed=0) as net:\n"
    "    inp = nengo.Node(np.zeros(2))\n"
    "    with nengo.Network(label='sub'):\n"
    "        ea = nengo.networks.EnsembleArray(30, 2)\n"
    "    out = nengo.Node(size_in=2)\n"
    "    nengo.Connection(inp, ea.input)\n"
    "    nengo.Connection(ea.output, out)\n"
    "    p = nengo.Probe(out, synapse=0.01)\n"
    "sim = nengo_dl.Simulator(net, minibatch_size=4, progress_bar=False)\n"
    "panel = TrainingPanel(sim, targets={p: lambda t, x: np.sin(2 * x)}, epochs=4)\n"
    "panel",
]


@pytest.fixture(scope="module")
def training(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1100)
    page.run_all()
    page.page.get_by_role("button", name="Start", exact=True).wait_for(timeout=60000)
    yield page
    page.kernel("panel.close(); sim.close()")
    page.close()


def field(page, label):
    box = page.page.locator(f".widget-text:has(label:text-is('{label}'))").first
    return box.locator("input")


def test_1_defaults_lower_the_test_loss(training):
    page = training.page
    assert field(training, "n_steps").input_value() == "100"
    assert page.get_by_text("auto: 5 x the 0.02 s of synapses").is_visible()
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator("text=/Training finished in/").wait_for(timeout=300000)
    test = training.kernel_json("list(panel.test_line.y)")
    assert len(test) == 5 and test[-1] < 0.5 * test[0], test
    assert page.locator(".bqplot path.line").count() >= 3  # batch, epoch, test
    panel = page.locator(".widget-vbox:has(button:text-is('Start'))").first
    panel.screenshot(path=str(SCREENSHOTS / "training-panel-light.png"))
    assert training.our_errors() == []


def test_2_diverging_rate_is_stopped_and_restored(training):
    page = training.page
    training.kernel("before = sim.get_params()")
    rate = field(training, "learning rate")
    rate.fill("1")
    rate.press("Enter")
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator("text=/Training diverged/").first.wait_for(timeout=120000)
    assert page.locator("text=/parameters that gave the lowest loss were/").count()
    assert page.locator("text=/e.g. 0.1 \\(10x lower/").count()
    same = training.kernel_json(
        "all(np.array_equal(before[k], sim.get_params()[k]) for k in before)"
    )
    assert same is True
    assert training.kernel_json("len(panel.loss_plot.runs)") == 2  # run 1 kept
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    page.wait_for_function(
        "() => document.body.dataset.jpThemeLight === 'false'", timeout=30000
    )
    page.wait_for_timeout(500)
    panel = page.locator(".widget-vbox:has(button:text-is('Start'))").first
    panel.screenshot(path=str(SCREENSHOTS / "training-panel-dark.png"))
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Light'})"
    )
    assert training.our_errors() == []
