"""Driving a notebook in JupyterLab from Playwright: open, run, ask the kernel."""

import json
import time
import uuid

KERNEL_JS = """
async ([code]) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  let out = "";
  const future = kernel.requestExecute({code});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
    if (msg.header.msg_type === "error")
      out += "ERROR " + msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return out;
}
"""

IDLE_JS = """
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === "idle";
}
"""


class NotebookPage:
    """A notebook open in JupyterLab, with the page's console errors collected."""

    def __init__(self, browser, lab, notebook, width=1400, height=1000):
        lab.delete_sessions()
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(f"console: {m.text}") if m.type == "error" else None
            ),
        )
        # a fresh workspace per page: no tabs restored from an earlier test
        workspace = f"test-{uuid.uuid4().hex[:8]}"
        self.page.goto(
            f"{lab.url}/lab/workspaces/{workspace}/tree/{notebook}?token={lab.token}"
        )
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=60000)
        self.wait_idle(timeout=60)

    def wait_idle(self, timeout=120):
        """Wait until the notebook's kernel is idle."""
        self.page.wait_for_function(IDLE_JS, timeout=timeout * 1000)

    def run_all(self, wait=True, timeout=300):
        """Run all cells (optionally waiting until the kernel is idle again)."""
        self.page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )
        if wait:
            time.sleep(1.0)
            self.wait_idle(timeout)

    def kernel(self, code):
        """Run ``code`` on the notebook's kernel; returns what it printed."""
        return self.page.evaluate(KERNEL_JS, [code])

    def kernel_json(self, expression):
        """Evaluate a Python expression on the kernel and decode its JSON."""
        out = self.kernel(f"import json as _j; print(_j.dumps({expression}))")
        assert not out.startswith("ERROR"), out
        return json.loads(out.strip().splitlines()[-1])

    def our_errors(self):
        """Console errors from our code (widgets, anywidget ESM, bqplot)."""
        ours = ("nengodl", "anywidget", "network_view", "freehand", "bqplot", "widget")
        return [e for e in self.errors if any(k in e.lower() for k in ours)]

    def close(self):
        self.page.close()


def set_theme(page, name, light):
    """Switch JupyterLab to theme ``name`` and wait until it is applied.

    Parameters
    ----------
    page : NotebookPage
    name : str
        E.g. "JupyterLab Dark".
    light : bool
        Whether that theme is a light one (JupyterLab's ``jpThemeLight``).
    """
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


def luminance(rgb):
    """Relative luminance (0 black .. 1 white) of an ``(r, g, b)`` in 0..255."""
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255
