"""Readable plots in real JupyterLab and Chromium: long runs, legends, XY view, themes.

A 100 s run of the tutorial network from the Run panel: the page's longest gap
between animation frames while it runs and the points per drawn line are
measured (written to build/browser-artefacts/plots-responsiveness.json). A 2-D
oscillator's legend names both dimensions, its XY view draws a round path.
Screenshots of the run and compare panels in the light and dark themes go to
docs/screenshots/ (run-panel-*.png, compare-panel-*.png).
"""

import json
import time

import nbformat
import pytest

from nengodl_notebook.widgets.decimate import MAX_POINTS
from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage, luminance, set_theme

NOTEBOOK = "plots.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: Time for the 100 s run (it took 3-10 s here; the first one compiles).
RUN_TIMEOUT = 300


def tutorial_cell():
    """Cell 1 of the dashboard tour: the tutorial's network (``net``, probes)."""
    nb = nbformat.read(ROOT / "example_notebooks" / "02-dashboard-tour.ipynb", 4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


CELLS = [
    tutorial_cell(),
    "from nengodl_notebook.widgets import ComparePanel, RunPanel\n"
    "def target(t, x):\n    return np.sin(x ** 2)\n"
    "sim = nengo_dl.Simulator(net, minibatch_size=4, progress_bar=False)\n"
    "run = RunPanel(sim, targets={outpt_p: target, outpt_p_nofilt: target},\n"
    "               run_time=100.0, probes=[outpt_p, outpt_p_nofilt, inpt_p])\n"
    "run.add_class('h8-run')\nrun",
    # a neural oscillator: its 2-D state goes round a circle
    "with nengo.Network(seed=0) as osc_net:\n"
    "    kick = nengo.Node(lambda t: [1, 0] if t < 0.1 else [0, 0], label='kick')\n"
    "    osc = nengo.Ensemble(300, 2, label='oscillator')\n"
    "    nengo.Connection(kick, osc)\n"
    "    nengo.Connection(osc, osc, transform=[[1, -0.1 * 2 * np.pi],"
    " [0.1 * 2 * np.pi, 1]], synapse=0.1)\n"
    "    osc_p = nengo.Probe(osc, synapse=0.02, label='osc')\n"
    "osc_sim = nengo_dl.Simulator(osc_net, progress_bar=False)\n"
    "osc_run = RunPanel(osc_sim, run_time=4.0)\n"
    "osc_run.add_class('h8-osc')\nosc_run",
    # before and after a short training of the tutorial network
    "import keras\nimport tensorflow as tf\n"
    "from nengodl_notebook.widgets.plots import generated_training_data\n"
    "compare = ComparePanel(sim, targets={outpt_p: target, outpt_p_nofilt: target},\n"
    "                       n_steps=1000, probes=[outpt_p, outpt_p_nofilt])\n"
    "data = generated_training_data(sim, {outpt_p_nofilt: target},"
    " [outpt_p_nofilt], 64, 1)\n"
    "sim.train(data, keras.optimizers.Adam(0.002), {outpt_p_nofilt:"
    " lambda o, t: tf.reduce_mean(tf.square(o - t))}, n_epochs=20,"
    " progress_bar=False)\n"
    "compare.add_snapshot('trained')\n"
    "compare.add_class('h8-compare')\ncompare",
]


MONITOR_JS = """
(panel) => {
  const m = {max: 0, frames: 0, updates: 0, last: performance.now(), on: true};
  const loop = (now) => {
    m.max = Math.max(m.max, now - m.last); m.last = now; m.frames += 1;
    if (m.on) requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  const root = document.querySelector(panel);
  m.observer = new MutationObserver((records) => {
    if (records.some(r => r.target.matches && r.target.matches('path.line')))
      m.updates += 1;
  });
  m.observer.observe(root, {attributes: true, attributeFilter: ['d'], subtree: true});
  window.__plotMonitor = m;
}
"""

STOP_MONITOR_JS = """
() => { const m = window.__plotMonitor; m.on = false; m.observer.disconnect();
        return {max_gap_ms: m.max, frames: m.frames, updates: m.updates}; }
"""

POINTS_JS = """
(panel) => [...document.querySelectorAll(panel + ' .bqplot path.line')]
  .filter(p => p.getBoundingClientRect().width > 0)
  .map(p => { const d = p.getAttribute('d') || '';
              return d ? (d.match(/L/g) || []).length + 1 : 0; })
"""

LEGEND_JS = """
(panel) => [...document.querySelectorAll(panel + ' .nengodl-legend-entry')]
  .filter(e => e.getBoundingClientRect().width > 0)
  .map(e => ({text: e.textContent,
              swatch: getComputedStyle(e.firstElementChild).borderTopColor,
              color: getComputedStyle(e).color}))
"""

OVERFLOW_JS = """
(panel) => {
  const root = document.querySelector(panel);
  const area = root.closest('.jp-OutputArea-output') || root;
  return [area, ...area.querySelectorAll('*')]
    .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                 && e.scrollWidth > e.clientWidth + 1)
    .map(e => `${e.className} ${e.scrollWidth} > ${e.clientWidth}`);
}
"""


@pytest.fixture(scope="module")
def plots(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1300, height=1000)
    page.run_all(timeout=300)
    for panel in (".h8-run", ".h8-osc", ".h8-compare"):
        page.page.locator(panel).wait_for(timeout=60000)
    yield page
    page.kernel("run.close(); osc_run.close(); compare.close()")
    page.close()


def click(page, panel, name):
    page.page.locator(panel).get_by_role("button", name=name, exact=True).click()


def wait_status(page, panel, start, timeout):
    page.page.wait_for_function(
        "([panel, start]) => [...document.querySelectorAll(panel + ' .widget-html')]"
        ".some(e => e.textContent.trim().startsWith(start))",
        arg=[panel, start],
        timeout=timeout * 1000,
    )


def test_a_100s_run_keeps_the_page_responsive_and_lines_bounded(plots, artefacts):
    plots.page.locator(".h8-run").scroll_into_view_if_needed()
    plots.page.evaluate(MONITOR_JS, ".h8-run")
    started = time.perf_counter()
    click(plots, ".h8-run", "Run")
    wait_status(plots, ".h8-run", "Ran 100000 steps", RUN_TIMEOUT)
    took = time.perf_counter() - started
    measure = plots.page.evaluate(STOP_MONITOR_JS)
    points = plots.page.evaluate(POINTS_JS, ".h8-run")
    measure.update(run_seconds=round(took, 2), points_per_line=points)
    (artefacts / "plots-responsiveness.json").write_text(json.dumps(measure))
    print("100 s run in the browser:", measure)
    assert plots.kernel_json("sim.n_steps") == 100_000
    # the page kept drawing frames while the run went, and the plot followed it.
    # The longest gap between frames is measured and reported (artefact and
    # output; 50 ms here), not asserted: timings are flaky on shared machines.
    assert measure["frames"] >= 2 and measure["updates"] >= 1
    # every drawn line is bounded (2 chosen probes + their dashed targets)
    assert len(points) == 4 and all(0 < n <= MAX_POINTS for n in points)
    assert max(points) > MAX_POINTS // 2  # decimated, not thinned to nothing


def test_2d_probe_legend_names_both_dimensions(plots, artefacts):
    panel = ".h8-osc"
    plots.page.locator(panel).scroll_into_view_if_needed()
    figure_top = plots.page.locator(f"{panel} .bqplot").first.bounding_box()["y"]
    click(plots, panel, "Run")
    wait_status(plots, panel, "Ran 4000 steps", RUN_TIMEOUT)
    plots.page.wait_for_timeout(500)
    legend = plots.page.evaluate(LEGEND_JS, panel)
    assert [e["text"] for e in legend] == ["osc[0]", "osc[1]"]
    assert legend[0]["swatch"] != legend[1]["swatch"]  # a colour per dimension
    strokes = plots.page.evaluate(
        "(p) => [...document.querySelectorAll(p + ' .bqplot path.line')]"
        ".filter(e => e.getBoundingClientRect().width > 0)"
        ".map(e => getComputedStyle(e).stroke)",
        panel,
    )
    assert strokes == [e["swatch"] for e in legend]
    # the status line appeared without moving the plot
    assert plots.page.locator(f"{panel} .bqplot").first.bounding_box()["y"] == (
        figure_top
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    plots.page.locator(panel).screenshot(path=str(SCREENSHOTS / "run-panel-light.png"))


def test_xy_view_of_the_oscillator_is_round(plots, artefacts):
    panel = ".h8-osc"
    click(plots, panel, "XY")
    plots.page.wait_for_timeout(1000)
    box = plots.page.evaluate(
        "(p) => { const e = [...document.querySelectorAll(p + ' .bqplot path.line')]"
        ".find(e => e.getBoundingClientRect().width > 0);"
        " const r = e.getBoundingClientRect(); return [r.width, r.height]; }",
        panel,
    )
    assert 0.6 < box[0] / box[1] < 1.6, box  # a round path, not a squashed one
    legend = plots.page.evaluate(LEGEND_JS, panel)
    assert [e["text"] for e in legend] == ["osc: [1] against [0]"]
    plots.page.locator(panel).screenshot(path=str(SCREENSHOTS / "run-panel-xy.png"))
    click(plots, panel, "time")
    plots.page.wait_for_timeout(500)


def test_compare_panel_legend_beside_the_plot(plots):
    panel = ".h8-compare"
    plots.page.locator(panel).scroll_into_view_if_needed()
    click(plots, panel, "Compare")
    plots.page.wait_for_function(
        "(p) => [...document.querySelectorAll(p + ' .nengodl-legend-entry')]"
        ".length >= 3",
        arg=panel,
        timeout=120000,
    )
    texts = [e["text"] for e in plots.page.evaluate(LEGEND_JS, panel)]
    assert texts == ["A: before training", "B: trained", "target"]
    legend = plots.page.locator(f"{panel} .nengodl-legend").bounding_box()
    figure = plots.page.locator(f"{panel} .bqplot").first.bounding_box()
    assert legend["x"] >= figure["x"] + figure["width"] - 1  # not over the data
    plots.page.locator(panel).screenshot(
        path=str(SCREENSHOTS / "compare-panel-light.png")
    )


def test_no_horizontal_scrollbars(plots):
    for panel in (".h8-run", ".h8-osc", ".h8-compare"):
        assert plots.page.evaluate(OVERFLOW_JS, panel) == [], panel


def test_dark_theme_screenshots(plots):
    try:
        set_theme(plots, "JupyterLab Dark", False)
        for panel, name in ((".h8-osc", "run-panel"), (".h8-compare", "compare-panel")):
            legend = plots.page.evaluate(LEGEND_JS, panel)
            rgb = [int(v) for v in legend[0]["color"][4:-1].split(",")[:3]]
            assert luminance(rgb) > 0.6, legend[0]  # light text on dark
            plots.page.locator(panel).screenshot(
                path=str(SCREENSHOTS / f"{name}-dark.png")
            )
    finally:
        set_theme(plots, "JupyterLab Light", True)


def test_no_console_errors_from_our_code(plots):
    assert plots.our_errors() == []
