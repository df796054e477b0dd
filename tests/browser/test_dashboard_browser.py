"""The dashboard tour in real JupyterLab and Chromium: what a person sees and clicks.

Screenshots of each panel are written to docs/screenshots/ (used in the README):
``dashboard-<tab>.png`` in JupyterLab's light theme and ``dashboard-<tab>-dark.png``
in its dark theme.
"""

import time

import pytest

from tests.browser.conftest import ROOT
from tests.browser.lab_page import NotebookPage, set_theme

NOTEBOOK = "02-dashboard-tour.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TABS = ["Network", "Inputs", "Run", "Training", "Compare", "Neurons"]


@pytest.fixture(scope="module")
def tour(lab, browser):
    page = NotebookPage(browser, lab, NOTEBOOK, width=1500, height=1100)
    page.run_all()
    page.page.locator(".nengo-ensemble").first.wait_for(timeout=60000)
    yield page
    page.kernel("dash.close()")
    page.close()


def dashboard(page):
    """The dashboard's outermost widget (the VBox holding the Tab)."""
    return page.page.locator(".widget-tab").first


def open_tab(page, title):
    dashboard(page).get_by_role("tab", name=title, exact=True).click()
    time.sleep(0.5)


def field(page, label, kind="text"):
    """The input element of an ipywidgets control with this description."""
    box = page.page.locator(f".widget-{kind}:has(label:text-is('{label}'))").first
    return box.locator("select" if kind == "dropdown" else "input")


def test_1_network_view_toggles_trainable(tour):
    ens = tour.page.locator(".nengo-ensemble[data-id='ens0']")
    assert ens.get_attribute("data-trainable") == "true"
    assert tour.kernel_json("trainable_objects(net)[square]") is True
    ens.click()
    tour.page.wait_for_function(
        "() => document.querySelector(\".nengo-ensemble[data-id='ens0']\")"
        ".getAttribute('data-trainable') === 'false'",
        timeout=10000,
    )
    assert tour.kernel_json("trainable_objects(net)[square]") is False
    dashboard(tour).screenshot(path=str(SCREENSHOTS / "dashboard-network.png"))
    ens.click()  # back on, for the training below
    tour.page.wait_for_function(
        "() => document.querySelector(\".nengo-ensemble[data-id='ens0']\")"
        ".getAttribute('data-trainable') === 'true'",
        timeout=10000,
    )
    assert tour.kernel_json("trainable_objects(net)[square]") is True


def test_2_designer_sets_a_ramp_for_batch_item_2(tour):
    open_tab(tour, "Inputs")
    field(tour, "Batch item", "dropdown").select_option(label="2")
    field(tour, "Preset", "dropdown").select_option(label="ramp")
    time.sleep(1.0)
    values = tour.kernel_json("dash.designer.data()[inpt][2, :, 0].tolist()")
    diffs = [b - a for a, b in zip(values, values[1:])]
    assert len(values) == 500 and max(diffs) - min(diffs) < 1e-9 and diffs[0] != 0
    other = tour.kernel_json("dash.designer.data()[inpt][3, :, 0].tolist()")
    assert other != values  # only item 2 changed
    dashboard(tour).screenshot(path=str(SCREENSHOTS / "dashboard-inputs.png"))


def test_3_run_panel_plots_probes(tour):
    open_tab(tour, "Run")
    tour.page.get_by_role("button", name="Run", exact=True).click()
    # the run goes in a background thread: its status line says when it is done
    tour.page.get_by_text("Ran 500 steps").wait_for(timeout=60000)
    tour.page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-tab .bqplot path.line')]"
        ".some(p => (p.getAttribute('d') || '').length > 100)",
        timeout=60000,
    )
    assert tour.kernel_json("dash.sim.n_steps") == 500
    dashboard(tour).screenshot(path=str(SCREENSHOTS / "dashboard-run.png"))


def loss_path(tour):
    return tour.page.evaluate(
        "() => { const figs = [...document.querySelectorAll('.widget-tab .bqplot')]"
        ".filter(f => f.offsetParent !== null"
        " && f.textContent.includes('Training loss'));"
        " const p = figs.length ? figs[0].querySelector('path.line') : null;"
        " return p ? p.getAttribute('d') : null; }"
    )


def test_4_training_starts_updates_live_and_stops(tour):
    open_tab(tour, "Training")
    epochs = field(tour, "epochs")
    epochs.fill("100000")
    epochs.press("Enter")
    start = tour.page.get_by_role("button", name="Start", exact=True)
    stop = tour.page.get_by_role("button", name="Stop", exact=True)
    start.click()
    seen, deadline = [loss_path(tour)], time.time() + 60
    while len(set(seen)) < 4 and time.time() < deadline:  # 3 changes of the line
        time.sleep(0.2)
        seen.append(loss_path(tour))
    assert len(set(seen)) >= 4, "the loss line did not update live"
    assert start.is_disabled() and not stop.is_disabled()
    start.click(force=True)  # a second Start while training: ignored
    assert tour.kernel_json("dash.training_panel.running") is True
    dashboard(tour).screenshot(path=str(SCREENSHOTS / "dashboard-training.png"))
    stop.click()  # (Stop's latency is measured in benchmarks/dashboard_training.py)
    tour.page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('button')]"
        ".find(b => b.textContent.trim() === 'Start'); return b && !b.disabled; }",
        timeout=30000,
    )
    assert tour.kernel_json("dash.training_panel.running") is False
    assert tour.kernel_json("dash.training_panel.runs[-1]['stopped']") is True
    assert tour.kernel_json("len(dash.training_panel.runs)") == 1


def test_5_compare_before_and_after(tour):
    open_tab(tour, "Compare")
    tour.page.get_by_role("button", name="Compare", exact=True).click()
    tour.page.wait_for_function(
        "() => { const figs = [...document.querySelectorAll('.widget-tab .bqplot')]"
        ".filter(f => f.offsetParent !== null);"
        " return figs.some(f => [...f.querySelectorAll('path.line')]"
        ".filter(p => (p.getAttribute('d') || '').length > 100).length >= 2); }",
        timeout=60000,
    )
    labels = tour.kernel_json(
        "[dash.compare_panel.snapshot_a.label, dash.compare_panel.snapshot_b.label]"
    )
    assert labels[0] != labels[1]
    errors = tour.kernel_json("dash.compare_panel.errors.value")
    assert "MSE" in errors
    dashboard(tour).screenshot(path=str(SCREENSHOTS / "dashboard-compare.png"))


def test_6_no_console_errors_from_our_code(tour):
    assert tour.our_errors() == []


def test_7_every_tab_in_the_dark_theme(tour):
    # the Neurons tab shows the "square" ensemble of a fresh run
    tour.kernel(
        "dash.run_panel.run(background=False); dash.neurons_panel.select(square)"
    )
    set_theme(tour, "JupyterLab Dark", light=False)
    try:
        for title in TABS:
            open_tab(tour, title)
            name = title.lower()
            dashboard(tour).screenshot(
                path=str(SCREENSHOTS / f"dashboard-{name}-dark.png")
            )
        background = tour.page.evaluate(
            "() => getComputedStyle(document.querySelector('.widget-tab'))"
            ".getPropertyValue('--jp-layout-color0')"
        )
        assert background.strip().lower() not in ("", "#fff", "#ffffff", "white")
    finally:
        set_theme(tour, "JupyterLab Light", light=True)
