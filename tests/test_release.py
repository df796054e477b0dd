"""Release hygiene: one version number, the licence, and an API reference that
names every public object (the docs themselves are built by ``make docs``)."""

import importlib.metadata
import re
from pathlib import Path

import nengodl_notebook

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
DIRECTIVE = re.compile(
    r"^\.\. auto(?:class|function|exception|module|data)::\s+(\S+)", re.MULTILINE
)


def documented_names():
    """Every object an autodoc directive of the API reference names."""
    names = set()
    for path in REFERENCE.glob("*.rst"):
        names.update(DIRECTIVE.findall(path.read_text(encoding="utf-8")))
    return names


def test_installed_version_is_package_version():
    # pyproject.toml reads the version from nengodl_notebook.__version__
    assert (
        importlib.metadata.version("nengodl_notebook") == nengodl_notebook.__version__
    )


def test_license_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "The nengodl_notebook developers" in text
    assert (
        importlib.metadata.metadata("nengodl_notebook")["License-Expression"] == "MIT"
    )


def test_changelog_names_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = nengodl_notebook.__version__.split(".dev")[0]
    assert re.search(rf"^## .*\b{re.escape(release)}\b", text, re.MULTILINE)


def test_reference_lists_public_names():
    names = documented_names()
    public = [f"nengodl_notebook.{name}" for name in nengodl_notebook.__all__]
    public.append("nengodl_notebook.Dashboard")
    missing = [name for name in public if name not in names]
    assert not missing, f"not in docs/reference/*.rst: {missing}"


def test_reference_lists_widget_panels():
    from nengodl_notebook import widgets

    names = documented_names()
    missing = [
        name
        for name in widgets.__all__
        if f"nengodl_notebook.widgets.{name}" not in names
        and f"nengodl_notebook.{name}" not in names
    ]
    assert not missing, f"widgets not in docs/reference/*.rst: {missing}"
