"""The browser set-up itself: JupyterLab runs a notebook whose widgets render."""

from tests.browser.conftest import write_notebook
from tests.browser.lab_page import NotebookPage


def test_widgets_render_and_kernel_answers(lab, browser, artefacts):
    write_notebook(
        lab.root / "smoke.ipynb",
        [
            "import ipywidgets as w, bqplot as bq\n"
            "button = w.Button(description='Press me')\n"
            "line = bq.Lines(x=[0, 1, 2], y=[0, 1, 0], scales={'x': bq.LinearScale(), "
            "'y': bq.LinearScale()})\n"
            "button.on_click(lambda b: setattr(line, 'y', [1, 0, 1]))\n"
            "w.VBox([button, bq.Figure(marks=[line])])"
        ],
    )
    page = NotebookPage(browser, lab, "smoke.ipynb")
    try:
        page.run_all()
        button = page.page.get_by_role("button", name="Press me")
        button.wait_for(timeout=30000)
        path = page.page.locator(".bqplot path.line").first
        before = path.get_attribute("d")
        button.click()
        page.page.wait_for_function(
            "(d) => document.querySelector('.bqplot path.line')"
            ".getAttribute('d') !== d",
            arg=before,
            timeout=10000,
        )
        assert (
            page.kernel("print(list(map(float, line.y)))").strip() == "[1.0, 0.0, 1.0]"
        )
        page.page.screenshot(path=str(artefacts / "smoke.png"))
        assert page.our_errors() == []
    finally:
        page.close()
