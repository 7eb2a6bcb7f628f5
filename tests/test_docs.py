"""The documentation cannot drift from the code it documents.

Sphinx (``make docs``, with ``-W``) checks that the pages build; these tests
check what a build cannot: every example is both shown and exercised, and the
API reference covers every public name.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import textwrap
from pathlib import Path

import pytest

import aiohttp_middlewares

from .helpers import ROOT

DOCS = ROOT / "docs"
#: Every example the docs show: docs/examples/ and the demo's application.
EXAMPLES = [
    *sorted(
        path
        for path in (DOCS / "examples").iterdir()
        if path.suffix in {".py", ".conf"} and path.name != "__init__.py"
    ),
    ROOT / "demo" / "app.py",
]


def docs_text() -> str:
    return "\n".join(page.read_text() for page in DOCS.glob("*.rst"))


def text_of_tests() -> str:
    return "\n".join(path.read_text() for path in (ROOT / "tests").glob("*.py"))


def documented_modules() -> list[str]:
    api = (DOCS / "api.rst").read_text()
    return re.findall(r"^\.\. automodule:: (\S+)\n   :members:", api, re.MULTILINE)


def example_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_example_is_shown_by_a_docs_page(example: Path) -> None:
    # literalinclude takes a path relative to the page: docs/*.rst.
    assert f"literalinclude:: {os.path.relpath(example, DOCS)}" in docs_text()


@pytest.mark.parametrize(
    "example", [path for path in EXAMPLES if path.suffix == ".py"], ids=example_id
)
def test_example_is_exercised_by_a_test(example: Path) -> None:
    module = ".".join(example.relative_to(ROOT).with_suffix("").parts)
    package, _, name = module.rpartition(".")
    text = text_of_tests()
    # "from docs.examples import name", on one line or in parentheses.
    assert f"{module} import" in text or re.search(
        rf"from {re.escape(package)} import (?:\([^)]*|[^\n]*)\b{name}\b", text
    )


@pytest.mark.parametrize("name", sorted(aiohttp_middlewares.__all__))
def test_api_reference_documents_public_name(name: str) -> None:
    homes = [
        module
        for module in map(importlib.import_module, documented_modules())
        if name in getattr(module, "__all__", ())
    ]
    assert homes, f"no automodule with :members: in docs/api.rst exports {name}"


def test_index_lists_every_page() -> None:
    index = (DOCS / "index.rst").read_text()
    pages = {page.stem for page in DOCS.glob("*.rst")} - {"index"}
    listed = set(re.findall(r"^   ([a-z-]+)$", index, re.MULTILINE))
    assert pages <= listed


def literal_blocks(text: str) -> list[str]:
    """The indented blocks that a ``::`` or a ``code-block`` directive opens."""
    blocks = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        directive = line.lstrip().startswith(".. ")
        opens = line.lstrip().startswith(".. code-block::") or (
            line.rstrip().endswith("::") and not directive
        )
        if not opens:
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[number + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        blocks.append(textwrap.dedent("\n".join(body)).strip())
    return blocks


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.rst")), ids=lambda p: p.name)
def test_page_shows_python_only_from_checked_files(page: Path) -> None:
    # Python on a page comes from a file under docs/examples/ (literalinclude),
    # which mypy --strict checks and a test runs: none is written inline.
    assert ".. code-block:: python" not in page.read_text()
    for block in literal_blocks(page.read_text()):
        try:
            tree = ast.parse(block)
        except SyntaxError:
            continue
        assert is_json(tree), block


def is_json(tree: ast.Module) -> bool:
    # A JSON document parses as a Python expression too: that is no code.
    data = (ast.Module, ast.Expr, ast.Dict, ast.List, ast.Constant, ast.Load)
    return all(
        isinstance(node, data)
        or (isinstance(node, ast.Name) and node.id in {"true", "false", "null"})
        or isinstance(node, ast.UnaryOp | ast.USub)
        for node in ast.walk(tree)
    )
