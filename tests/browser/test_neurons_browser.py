"""The Neurons tab in real JupyterLab and Chromium: a click on an ensemble in the
Network tab, then its spike raster in the Neurons tab.

Screenshots of the tab in the light and dark themes are written to
docs/screenshots/ (neurons-panel-light.png, neurons-panel-dark.png).
"""

import inspect
import json
import textwrap

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage
from tests.test_neurons_panel import small_net

NOTEBOOK = "neurons-panel.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

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


def set_theme(page, name, light):
    page.page.evaluate(
        "(theme) => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme})",
        name,
    )
    page.page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === String(light)",
        arg=light,
        timeout=30000,
    )
    page.page.wait_for_timeout(500)


def test_click_on_ensemble_shows_its_spike_raster(notebook):
    open_tab(notebook, "Neurons")
    assert raster_dots(notebook).count() == 0
    assert "Click an ensemble" in neurons_page(notebook).inner_text()
    open_tab(notebook, "Network")
    notebook.page.locator(".nengo-ensemble[data-id='ens0']").click()
    for _ in range(50):  # the click's message reaches the kernel
        if notebook.kernel_json("dash.neurons_panel.ensemble_select.value") == 0:
            break
        notebook.page.wait_for_timeout(200)
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
