"""The network view in real JupyterLab and Chromium: fit, zoom, pan, tooltips, the
click mode, themes.

Screenshots of the view in the light and dark themes are written to
docs/screenshots/ (network-view-light.png, network-view-dark.png; used in the
README).
"""

import inspect
import json
import textwrap

import pytest

from tests.browser.conftest import ROOT, write_notebook
from tests.browser.lab_page import NotebookPage, luminance, set_theme
from tests.test_widget_network_view import chains_net, subnet_net, wide_net

NOTEBOOK = "network-view.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _source(*functions):
    return "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in functions)


CELLS = [
    "import nengo\nimport numpy as np\n"
    "from nengodl_notebook.widgets.network_view import NetworkViewWidget\n\n"
    + _source(chains_net, wide_net, subnet_net),
    "chains = NetworkViewWidget(chains_net())\nchains",
    "wide = NetworkViewWidget(wide_net())\nwide",
    "model = subnet_net()\nsubnet = NetworkViewWidget(model)\n"
    "subnet.set_trainable(next(e for e in model.all_ensembles if e.label == 'b'),"
    " False)\nsubnet",
]


@pytest.fixture(scope="module")
def views(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1000)
    page.run_all()
    page.page.locator(".nengo-network-view").nth(2).wait_for(timeout=180000)
    yield page
    page.close()


def view(page, n):
    """The n-th network view of the notebook (0: chains, 1: wide, 2: subnet)."""
    return page.page.locator(".nengo-network-view").nth(n)


def geometry(page, n):
    """Scale, drawn width and viewport width of view ``n``."""
    return page.page.evaluate(
        """(n) => {
          const v = document.querySelectorAll('.nengo-network-view')[n];
          const port = v.querySelector('.nengo-network-viewport');
          const svg = port.querySelector('svg');
          return {scale: Number(svg.dataset.scale),
                  drawn: svg.getBoundingClientRect().width, panel: port.clientWidth,
                  left: port.scrollLeft, top: port.scrollTop};
        }""",
        n,
    )


def centres(page, n, selector):
    """Centre y (px on the page) of the shapes of ``selector`` in view ``n``, by id."""
    return page.page.evaluate(
        """([n, sel]) => Object.fromEntries([...document
          .querySelectorAll('.nengo-network-view')[n].querySelectorAll(sel)]
          .map(g => { const r = g.querySelector('.shape').getBoundingClientRect();
                      return [g.dataset.id, r.top + r.height / 2]; }))""",
        [n, selector],
    )


def test_wide_network_is_fitted_to_the_panel(views):
    fitted = geometry(views, 1)
    assert fitted["scale"] < 1
    assert fitted["drawn"] <= fitted["panel"]
    assert fitted["drawn"] > 0.9 * fitted["panel"]
    big = view(views, 1).locator(".nengo-network-viewport .nengo-network.collapsed")
    assert big.count() == 1 and "big array" in big.text_content()


def test_zoom_in_then_fit_restores_the_scale(views):
    fitted = geometry(views, 1)
    view(views, 1).get_by_role("button", name="Zoom in").click()
    zoomed = geometry(views, 1)
    assert zoomed["scale"] > fitted["scale"] and zoomed["drawn"] > fitted["panel"]
    assert view(views, 1).locator(".nengo-zoom-level").text_content() == (
        f"{round(zoomed['scale'] * 100)}%"
    )
    view(views, 1).get_by_role("button", name="Fit to width").click()
    assert geometry(views, 1)["scale"] == fitted["scale"]


def test_ctrl_wheel_zooms_and_drag_pans_without_toggling(views):
    port = view(views, 1).locator(".nengo-network-viewport")
    port.scroll_into_view_if_needed()
    box = port.bounding_box()
    fitted = geometry(views, 1)
    views.page.mouse.move(box["x"] + 200, box["y"] + box["height"] / 2)
    views.page.keyboard.down("Control")
    views.page.mouse.wheel(0, -100)
    views.page.keyboard.up("Control")
    views.page.wait_for_timeout(200)
    zoomed = geometry(views, 1)
    assert zoomed["scale"] > fitted["scale"]
    before = views.kernel_json(
        "[n['trainable'] for n in wide.graph['nodes'] if n['kind'] == 'ensemble']"
    )
    ens = view(views, 1).locator(".nengo-ensemble[data-id]").first.bounding_box()
    cx, cy = ens["x"] + ens["width"] / 2, ens["y"] + ens["height"] / 2
    views.page.mouse.move(cx, cy)
    views.page.mouse.down()
    # panning keeps the ensemble under the pointer: without the drag check,
    # the release would be a click on it
    views.page.mouse.move(cx + 40, cy, steps=5)
    views.page.mouse.up()
    views.page.wait_for_timeout(300)
    assert geometry(views, 1)["left"] != zoomed["left"]  # panned
    after = views.kernel_json(
        "[n['trainable'] for n in wide.graph['nodes'] if n['kind'] == 'ensemble']"
    )
    assert after == before  # a drag is not a click
    view(views, 1).get_by_role("button", name="Fit to width").click()


def test_fifty_chains_each_input_level_with_its_chain(views):
    g = geometry(views, 0)
    assert g["drawn"] <= g["panel"]
    graph = views.kernel_json("chains.graph")
    ys = centres(views, 0, ".nengo-ensemble[data-id], .nengo-node[data-id]")
    nxt = {e["source"]: e["target"] for e in graph["edges"]}
    inputs = [
        n["id"] for n in graph["nodes"] if n["kind"] == "node" and n["size_in"] == 0
    ]
    assert len(inputs) == 50
    for inp in inputs:
        chain = [inp, nxt[inp], nxt[nxt[inp]], nxt[nxt[nxt[inp]]]]
        heights = [ys[i] for i in chain]
        assert max(heights) - min(heights) <= 1, (chain, heights)


def test_tooltips_show_labels(views):
    titles = views.page.evaluate(
        """() => [...document.querySelectorAll('.nengo-network-view')[0]
          .querySelectorAll('[data-id] > title')].map(t => t.textContent)"""
    )
    ens = [t for t in titles if "\nEnsemble: " in t]
    assert ens[0].startswith("Ensemble ")
    conns = [t for t in titles if t.startswith("Connection ")]
    assert conns[0].startswith("Connection Node 1 (WhiteSignal) → Ensemble 1")
    assert not [
        t
        for t in titles
        if any(w.startswith(("ens", "conn")) and w[-1].isdigit() for w in t.split())
    ]
    hint = view(views, 0).locator(".nengo-hint").text_content()
    assert hint.startswith(
        "Click an ensemble or connection to toggle whether it trains"
    )
    legend = view(views, 0).locator(".nengo-legend").text_content()
    for kind in (
        "not trainable ensemble",
        "node",
        "probe",
        "sub-network",
        "connection",
    ):
        assert kind in legend


def test_show_neurons_mode_selects_without_toggling(views):
    """In "show neurons" mode a click selects an ensemble; trainable stays."""
    subnet = view(views, 2)
    subnet.scroll_into_view_if_needed()
    ids = views.kernel_json("{e.label: subnet.id_for(e) for e in model.all_ensembles}")
    ens = subnet.locator(f".nengo-ensemble[data-id='{ids['b']}']")
    trainable = "[n['trainable'] for n in subnet.graph['nodes'] if 'trainable' in n]"
    before = views.kernel_json(trainable)
    mode = subnet.locator(".nengo-click-mode button")
    assert mode.first.get_attribute("aria-pressed") == "true"  # "toggle trainable"
    key = subnet.locator(".nengo-legend-item", has_text="selected ensemble")
    assert not key.is_visible()  # shown in "show neurons" mode only
    try:
        subnet.locator(".nengo-click-mode button:text-is('show neurons')").click()
        assert mode.first.get_attribute("aria-pressed") == "false"
        hint = subnet.locator(".nengo-hint").text_content()
        assert hint.startswith("Click an ensemble to show its neurons")
        assert key.is_visible()
        ens.click()
        subnet.locator(f"[data-id='{ids['b']}'][data-selected='true']").wait_for(
            timeout=10000
        )
        assert views.kernel_json("subnet.selected") == ids["b"]
        assert views.kernel_json("subnet.click_mode") == "select"
        assert ens.get_attribute("data-trainable") == "false"  # still not trainable
        assert views.kernel_json(trainable) == before
    finally:
        subnet.locator(".nengo-click-mode button:text-is('toggle trainable')").click()
    port = subnet.locator(".nengo-network-viewport")
    port.locator("[data-selected='true']").wait_for(state="detached", timeout=10000)
    assert views.kernel_json("subnet.click_mode") == "toggle"


def fill_of(page, selector):
    rgb = page.page.evaluate(
        "(sel) => getComputedStyle(document.querySelectorAll('.nengo-network-view')[2]"
        ".querySelector('.nengo-network-viewport ' + sel)).fill",
        selector,
    )
    return [
        float(v) for v in rgb[rgb.index("(") + 1 : -1].replace(",", " ").split()[:3]
    ]


def test_light_and_dark_theme_colours(views, artefacts):
    frozen = "[data-trainable='false'] .shape"
    label = ".nengo-ensemble .label"
    view(views, 2).scroll_into_view_if_needed()
    assert luminance(fill_of(views, frozen)) > 0.8  # light theme: a pale grey
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    view(views, 2).screenshot(path=str(SCREENSHOTS / "network-view-light.png"))
    try:
        set_theme(views, "JupyterLab Dark", False)
        assert luminance(fill_of(views, frozen)) < 0.35, fill_of(views, frozen)
        assert luminance(fill_of(views, label)) > 0.6  # light text on dark
        view(views, 2).screenshot(path=str(SCREENSHOTS / "network-view-dark.png"))
    finally:
        set_theme(views, "JupyterLab Light", True)
    assert luminance(fill_of(views, frozen)) > 0.8
    assert json.dumps(views.our_errors()) == "[]"
