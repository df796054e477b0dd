"""Sphinx configuration: the user guide (README.md) and the API reference.

``make docs`` builds it into build/docs with warnings as errors
(``sphinx -W --keep-going``), so a docstring that does not parse fails the build
and every such problem is listed with its file and line.
"""

import importlib.metadata
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before autodoc imports TensorFlow

project = "nengodl_notebook"
author = "The nengodl_notebook developers"
copyright = f"2026, {author}"  # the name Sphinx reads
# the installed package's metadata, which pyproject.toml reads from __version__
release = importlib.metadata.version("nengodl_notebook")
version = release

extensions = [
    "sphinx.ext.autodoc",  # the reference, from the docstrings
    "sphinx.ext.napoleon",  # numpydoc sections (Parameters, Returns, Notes...)
    "sphinx.ext.viewcode",  # [source] links
    "myst_parser",  # README.md and CHANGELOG.md
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["screenshots"]

# `Name` in a docstring links to that object when it is documented (plain text
# otherwise: nitpicky mode is off, since nengo's and TensorFlow's docs are not here)
default_role = "py:obj"

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "description"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

myst_heading_anchors = 3

html_theme = "furo"
html_title = f"nengodl_notebook {release}"
html_show_sourcelink = False
