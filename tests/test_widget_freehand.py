"""FreehandWidget without a browser, the JS unit tests and the committed bundles."""

import pathlib
import shutil
import subprocess

import numpy as np
import pytest
import traitlets

from nengodl_notebook.widgets.freehand import FreehandWidget

ROOT = pathlib.Path(__file__).parent.parent
JS = ROOT / "js"
STATIC = ROOT / "nengodl_notebook" / "widgets" / "static"
BUNDLES = ("network_view.js", "freehand.js", "code_export.js")

needs_npm = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node/npm are not installed (CI has them): the JS side is not checked",
)


def test_values_interpolate_the_drawn_points():
    widget = FreehandWidget(points=[[0.0, 0.0], [1.0, 2.0]])
    assert np.allclose(widget.values(4), [0.5, 1.0, 1.5, 2.0])  # x = (i + 1) / n
    assert widget.values(10).shape == (10,)


def test_values_sort_by_x_and_extrapolate_constantly():
    widget = FreehandWidget(points=[[0.75, -1.0], [0.25, 1.0]])
    values = widget.values(100)
    assert np.all(values[:25] == 1.0) and np.all(values[74:] == -1.0)
    assert np.allclose(values[49], 0.0)  # x = 0.5, half way
    assert np.all(np.diff(values) <= 0)


def test_values_keep_the_latest_of_equal_x():
    widget = FreehandWidget(points=[[0.5, 1.0], [0.5, 3.0]])
    assert np.all(widget.values(8) == 3.0)


def test_values_without_points_are_zeros():
    widget = FreehandWidget()
    assert np.array_equal(widget.values(5), np.zeros(5))
    assert widget.values(0).shape == (0,)
    with pytest.raises(ValueError):
        widget.values(-1)


def test_points_set_from_python_and_clear():
    widget = FreehandWidget()
    seen = []
    widget.observe(lambda change: seen.append(change["new"]), "points")
    widget.points = [[0.1, 0.5], [0.9, -0.5]]
    assert widget.get_state(["points"]) == {"points": [[0.1, 0.5], [0.9, -0.5]]}
    widget.clear()
    assert widget.points == [] and seen[-1] == []
    assert np.array_equal(widget.values(3), np.zeros(3))


def test_state_round_trip_and_validation():
    widget = FreehandWidget(y_range=[-2, 2], width=300, height=120, label="input")
    widget.set_state({"points": [[0, 1], [0.5, 2], [1, -2]]})  # JSON ints from JS
    assert widget.points == [[0.0, 1.0], [0.5, 2.0], [1.0, -2.0]]
    state = widget.get_state(["points", "y_range", "width", "height", "label"])
    assert state == {
        "points": [[0.0, 1.0], [0.5, 2.0], [1.0, -2.0]],
        "y_range": [-2.0, 2.0],
        "width": 300,
        "height": 120,
        "label": "input",
    }
    other = FreehandWidget()
    other.set_state(state)
    assert other.get_state(list(state)) == state
    assert np.allclose(other.values(2), [2.0, -2.0])
    with pytest.raises(traitlets.TraitError):
        widget.y_range = [1, 1]
    with pytest.raises(traitlets.TraitError):
        widget.points = [[0.1, 0.2, 0.3]]


def test_widgets_load_the_committed_bundles():
    esm = FreehandWidget().get_state(["_esm"])["_esm"]
    assert esm == (STATIC / "freehand.js").read_text()
    assert "export" in esm


def _npm(*args, cwd=JS):
    return subprocess.run(
        ["npm", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def js_deps():
    """js/node_modules (esbuild), installed from package-lock.json if missing."""
    if not (JS / "node_modules" / "esbuild").is_dir():
        result = _npm("ci", "--no-audit", "--no-fund")
        assert result.returncode == 0, result.stdout + result.stderr


@needs_npm
def test_rebuilt_bundles_match_the_committed_ones(js_deps, tmp_path):
    result = subprocess.run(
        ["node", "build.mjs", str(tmp_path)],
        cwd=JS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in BUNDLES:
        rebuilt = (tmp_path / name).read_bytes()
        assert rebuilt == (STATIC / name).read_bytes(), (
            f"static/{name} is stale: run `npm run build` in js/"
        )


@needs_npm
def test_js_unit_tests(js_deps):
    result = _npm("test")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "# fail 0" in output, output
