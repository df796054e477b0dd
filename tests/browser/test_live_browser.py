"""The Live panel in real JupyterLab and Chromium (issue 18, first part).

The tutorial network runs live in real time: the plots scroll, dragging the
input slider changes the decoded output, Pause stops the time axis, and no
program is compiled while it runs. Screenshot: build/browser-artefacts/live.png.
"""

import numpy as np
import pytest

from tests.browser.conftest import write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "live.ipynb"

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
    "    inpt_p = nengo.Probe(inpt, label='input')\n"
    "    outpt_p = nengo.Probe(outpt, synapse=0.01, label='output')",
    "live = nengo_dl.Live(net, ranges={inpt: (-1, 1)})\nlive",
]


@pytest.fixture(scope="module")
def live_page(lab, browser):
    write_notebook(lab.root / NOTEBOOK, CELLS)
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1400)
    page.run_all()
    yield page
    page.kernel("live.close()")
    page.close()


def output_path(page):
    figure = page.locator(".bqplot").filter(has_text="output").first
    return figure.locator("path.line").first.get_attribute("d")


def button(page, name):
    return page.locator("button.jupyter-button", has_text=name).first


def status(page):
    return page.locator(".widget-html-content", has_text="programs built").inner_text()


def test_live_run_scrolls_steers_and_pauses(live_page, artefacts):
    page = live_page.page
    button(page, "Start").click()
    page.locator(".widget-html-content", has_text="x real time").wait_for(timeout=60000)
    built = live_page.kernel_json("live.engine.programs_built")
    first = output_path(page)
    page.wait_for_timeout(500)
    assert output_path(page) != first  # the plot scrolls

    row = page.locator(".widget-hslider").first
    track = row.locator(".noUi-target").first
    handle = row.locator(".noUi-handle").first
    box, handle_box = track.bounding_box(), handle.bounding_box()
    y = handle_box["y"] + handle_box["height"] / 2
    page.mouse.move(handle_box["x"] + handle_box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"], y, steps=10)  # to 1.0
    page.mouse.up()
    assert live_page.kernel_json("live.engine.mode(inpt)") == "slider"
    value = live_page.kernel_json("float(live.engine.input_value(inpt)[0])")
    assert value > 0.9, value
    t = live_page.kernel_json("live.engine.time")
    live_page.kernel(f"live.engine.wait_for({t} + 0.6)")
    out = live_page.kernel_json(
        "[float(v) for v in live.engine.window_data(outpt_p)[1][0, -50:, 0]]"
    )
    assert np.allclose(out, np.sin(value**2), atol=0.2), out

    button(page, "Pause").click()
    button(page, "Resume").wait_for(timeout=10000)
    page.wait_for_timeout(300)  # the last redraw after the pause
    paused_status, paused_path = status(page), output_path(page)
    t_paused = live_page.kernel_json("live.engine.time")
    page.wait_for_timeout(1000)
    assert live_page.kernel_json("live.engine.time") == t_paused
    assert status(page) == paused_status and output_path(page) == paused_path
    assert f"t = {t_paused:.2f} s" in paused_status
    assert live_page.kernel_json("live.engine.programs_built") == built
    page.locator(".widget-vbox").filter(has_text="programs built").first.screenshot(
        path=str(artefacts / "live.png")
    )
    assert live_page.our_errors() == []
