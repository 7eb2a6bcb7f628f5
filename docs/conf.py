"""Sphinx configuration: furo theme, autodoc from the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp_middlewares  # noqa: E402

project = "aiohttp-middlewares"
author = "aiohttp-middlewares developers"
copyright = "2026, aiohttp-middlewares developers"
release = aiohttp_middlewares.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
html_theme = "furo"
html_title = f"aiohttp-middlewares {release}"
html_static_path = ["_static"]
exclude_patterns = ["_build", "examples/README.rst"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
nitpicky = False
