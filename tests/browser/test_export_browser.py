"""Code export in real JupyterLab and Chromium (issue 18, item 5 and its acceptance).

A notebook defines a network and a Dashboard; the test switches an ensemble's
trainable setting with a click, sets inputs in the Inputs tab (presets chosen in
the page, a freehand curve drawn with the mouse), clicks "Export code", takes the
code from the new cell below the dashboard, runs the network cell and that code
in a fresh kernel (jupyter_client), and compares the trainable set and the
``data=`` arrays with the dashboard's. Screenshot: build/browser-artefacts/
export-code.png.
"""

import json
import time

import pytest

from tests.browser.conftest import write_notebook
from tests.browser.lab_page import NotebookPage

NOTEBOOK = "code-export.ipynb"
NET_CELL = (
    "import nengo\nimport numpy as np\nimport nengodl_notebook as nengo_dl\n\n"
    "with nengo.Network(seed=0) as net:\n"
    "    stim = nengo.Node(lambda t: [np.sin(4 * t), 0.5])\n"
    "    a = nengo.Ensemble(20, 2)\n"
    "    with nengo.Network(label='sub'):\n"
    "        b = nengo.Ensemble(20, 1)\n"
    "    nengo.Connection(stim, a)\n"
    "    nengo.Connection(a[0], b)\n"
    "    p = nengo.Probe(b, synapse=0.01)\n\n"
    "def square(t, x):\n"
    "    return x[:, :1] ** 2\n"
)
DASH_CELL = (
    "from nengodl_notebook.widgets.dashboard import Dashboard\n"
    "dash = Dashboard(net, targets={p: square}, minibatch_size=2, n_steps=200,\n"
    "                 batch_size=2, epochs=1)\n"
    "dash"
)
#: Prints the trainable set and the data arrays keyed by path (run in both kernels).
STATE = (
    "import json as _json\n"
    "from nengodl_notebook.config import trainable_objects as _tr\n"
    "from nengodl_notebook.widgets.code_names import ObjectNames as _Names\n"
    "_n = _Names(net, {})\n"
    "print(_json.dumps({'trainable': {_n(o): v for o, v in _tr(net).items()},\n"
    "                   'data': {_n(k): v.tolist() for k, v in {data}.items()}}))\n"
)
CELLS_JS = """
() => window.jupyterapp.shell.currentWidget.content.widgets.map(
  (cell) => cell.model.sharedModel.getSource())
"""


@pytest.fixture(scope="module")
def exported(lab, browser):
    write_notebook(lab.root / NOTEBOOK, [NET_CELL, DASH_CELL])
    page = NotebookPage(browser, lab, NOTEBOOK, width=1400, height=1100)
    page.run_all()
    page.page.locator(".nengo-ensemble").first.wait_for(timeout=60000)
    yield page
    page.kernel("dash.close()")
    page.close()


def field(page, label):
    box = page.page.locator(f".widget-dropdown:has(label:text-is('{label}'))").first
    return box.locator("select")


def set_inputs_in_the_page(page):
    """stim: item 0 a sine on dimension 0, item 1 a drawn curve on dimension 1."""
    page.page.get_by_role("tab", name="Inputs", exact=True).click()
    field(page, "Preset").select_option(label="sine")
    field(page, "Batch item").select_option(label="1")
    field(page, "Dimension").select_option(label="1")
    field(page, "Preset").select_option(label="freehand")
    canvas = page.page.locator("canvas.nengo-freehand-canvas:visible").first
    canvas.wait_for(timeout=10000)
    canvas.scroll_into_view_if_needed()
    time.sleep(0.5)  # the layout settles
    box = canvas.bounding_box()
    y0, height = box["y"], box["height"]
    page.page.mouse.move(box["x"] + 0.1 * box["width"], y0 + 0.7 * height)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + 0.9 * box["width"], y0 + 0.3 * height, steps=12)
    page.page.mouse.up()
    deadline = time.time() + 10
    while time.time() < deadline and not page.kernel_json(
        "len(dash.designer._param_box.children[0].points)"
    ):
        time.sleep(0.5)  # the drawn points reach the kernel
    presets = page.kernel_json(
        "[[e['preset'] for e in item] for item in dash.designer._specs[stim]]"
    )
    assert presets == [["sine", "node output"], ["node output", "freehand"]]
    assert page.kernel_json("len(dash.designer._param_box.children[0].points)") > 2


def run_fresh(lab, code):
    """What ``code`` prints in a fresh kernel started in the notebook's folder."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(lab.root))
    out, errors = [], []

    def hook(msg):
        kind = msg["header"]["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            errors.append(msg["content"]["evalue"])

    try:
        kc.execute_interactive(code, output_hook=hook, timeout=600)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert errors == [], errors
    return "".join(out)


def test_exported_code_reproduces_the_dashboard_in_a_fresh_kernel(
    exported, lab, artefacts
):
    page = exported
    a_id = page.kernel_json("dash.network_view.id_for(a)")
    page.page.locator(f".nengo-ensemble[data-id='{a_id}']").click()
    page.page.wait_for_function(
        f"() => document.querySelector(\".nengo-ensemble[data-id='{a_id}']\")"
        ".getAttribute('data-trainable') === 'false'",
        timeout=10000,
    )
    set_inputs_in_the_page(page)
    assert len(page.page.evaluate(CELLS_JS)) == 2
    page.page.locator(".nengo-export-button").click()
    page.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.length === 3",
        timeout=30000,
    )
    cells = page.page.evaluate(CELLS_JS)
    source = cells[2]  # right below the dashboard's cell
    assert page.kernel_json("dash.code_export.delivered") == "cell"
    assert source == page.kernel_json("dash.code_export.source")
    assert "net.config[a].trainable = False" in source
    assert "np.load(" in source  # the drawn curve, saved next to the notebook
    shown = page.page.locator(".nengo-export-source")
    assert shown.input_value() == source  # shown read-only too
    assert shown.get_attribute("readonly") is not None
    page.page.locator(".nengo-code-export").screenshot(
        path=str(artefacts / "export-code.png")
    )

    mine = page.kernel(STATE.replace("{data}", "dash.designer.data()"))
    want = json.loads(mine.strip().splitlines()[-1])
    fresh = NET_CELL + "\n" + source + "\n" + STATE.replace("{data}", "data")
    got = json.loads(run_fresh(lab, fresh).strip().splitlines()[-1])
    a = "net.ensembles[0]"
    assert got["trainable"] == want["trainable"]
    assert got["trainable"][a] is False and got["trainable"][a + ".neurons"] is False
    stim = "net.nodes[0]"
    assert list(got["data"]) == [stim] and list(want["data"]) == [stim]
    assert got["data"][stim] == want["data"][stim]  # exact, through JSON
    assert page.our_errors() == []


def test_without_the_app_the_code_goes_to_the_clipboard(exported, lab):
    page = exported.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    n_cells = len(page.evaluate(CELLS_JS))
    # a front end that does not expose its application (the default JupyterLab)
    page.evaluate(
        "() => { window.__app = window.jupyterapp; delete window.jupyterapp; }"
    )
    try:
        page.locator(".nengo-export-button").click()
        page.locator("text=The code is on the clipboard").wait_for(timeout=30000)
        copied = page.evaluate("() => navigator.clipboard.readText()")
    finally:
        page.evaluate("() => { window.jupyterapp = window.__app; }")
    assert len(page.evaluate(CELLS_JS)) == n_cells  # no cell inserted
    assert exported.kernel_json("dash.code_export.delivered") == "clipboard"
    assert copied == exported.kernel_json("dash.code_export.source")
    assert copied == page.locator(".nengo-export-source").input_value()
    assert exported.our_errors() == []
