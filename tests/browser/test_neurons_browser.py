"""The Neurons tab in real JupyterLab and Chromium: in the Network tab's "show
neurons" click mode, a click on an ensemble (its trainable setting unchanged),
then its spike raster in the Neurons tab.

Screenshots of the tab in the light and dark themes are written to
docs/screenshots/ (neurons-panel-light.png, neurons-panel-dark.png).
"""

import inspect
import json
import textwrap

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage, set_theme
from tests.test_neurons_panel import small_net

NOTEBOOK = "neurons-panel.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: The trainable setting of each object of the network, as the kernel sees it.
TRAINABLE_CONFIG = (
    "[[str(o), t] for o, t in __import__('nengodl_notebook.config', fromlist=['_'])"
    ".trainable_objects(net).items()]"
)

CELLS = [
    "import nengo\nimport numpy as np\n"
    "from nengodl_notebook.widgets import Dashboard\n\n"
    + textwrap.dedent(inspect.getsource(small_net)),
    "net = small_net(n_neurons=40)\n"
    "dash = Dashboard(net, minibatch_size=2, n_steps=1000)\n"
    "dash.run_panel.run(background=False)\n"
    "dash",
]


@pytest.fixture(scope="module")
def notebook(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1100)
    page.run_all()
    page.page.locator(".nengo-ensemble[data-id='ens0']").wait_for(timeout=180000)
    yield page
    page.kernel("dash.close()")
    page.close()


def open_tab(page, title):
    page.page.locator(".widget-tab").first.get_by_role(
        "tab", name=title, exact=True
    ).click()
    page.page.wait_for_timeout(500)


def neurons_page(page):
    """The Neurons tab's panel (the Tab's last page)."""
    chooser = ".widget-dropdown:has(label:text-is('Ensemble'))"
    return page.page.locator(f".widget-vbox:has(> .widget-hbox {chooser})").first


def raster_dots(page):
    return neurons_page(page).locator(".bqplot .dot")


def test_click_on_ensemble_shows_its_spike_raster(notebook):
    open_tab(notebook, "Neurons")
    assert raster_dots(notebook).count() == 0
    assert "Click an ensemble" in neurons_page(notebook).inner_text()
    open_tab(notebook, "Network")
    trainable = "dash.network_view.graph['nodes'][0]['trainable']"
    assert notebook.kernel_json("dash.network_view.graph['nodes'][0]['id']") == "ens0"
    assert notebook.kernel_json(trainable) is True
    config = notebook.kernel_json(TRAINABLE_CONFIG)
    view = notebook.page.locator(".nengo-network-view")
    view.locator(".nengo-click-mode button:text-is('show neurons')").click()
    assert notebook.kernel_json("dash.network_view.click_mode") == "select"
    assert (
        view.locator(".nengo-hint")
        .text_content()
        .startswith("Click an ensemble to show its neurons")
    )
    ens0 = view.locator(".nengo-ensemble[data-id='ens0']")
    ens0.click()
    for _ in range(50):  # the click's message reaches the kernel
        if notebook.kernel_json("dash.neurons_panel.ensemble_select.value") == 0:
            break
        notebook.page.wait_for_timeout(200)
    assert notebook.kernel_json("dash.neurons_panel.ensemble_select.value") == 0
    view.locator(".nengo-ensemble[data-id='ens0'][data-selected='true']").wait_for(
        timeout=10000
    )  # highlighted
    assert ens0.get_attribute("data-trainable") == "true"  # drawn as before
    assert notebook.kernel_json(trainable) is True  # the click did not toggle it
    assert notebook.kernel_json(TRAINABLE_CONFIG) == config
    open_tab(notebook, "Neurons")
    n_spikes = notebook.kernel_json("len(dash.neurons_panel.raster_mark.x)")
    assert n_spikes > 100
    notebook.page.wait_for_function(
        "(n) => document.querySelectorAll('.widget-tab .bqplot .dot').length === n",
        arg=n_spikes,
        timeout=30000,
    )
    assert "a: 20 of 40 neurons recorded" in neurons_page(notebook).inner_text()
    assert json.dumps(notebook.our_errors()) == "[]"


def test_screenshots_light_and_dark(notebook):
    if raster_dots(notebook).count() == 0:
        pytest.skip("needs the raster of the first test")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel = neurons_page(notebook)
    panel.screenshot(path=str(SCREENSHOTS / "neurons-panel-light.png"))
    try:
        set_theme(notebook, "JupyterLab Dark", False)
        panel.screenshot(path=str(SCREENSHOTS / "neurons-panel-dark.png"))
    finally:
        set_theme(notebook, "JupyterLab Light", True)
