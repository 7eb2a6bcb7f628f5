"""Every code block of README.rst is run here, so the README cannot rot.

Blocks are read with docutils (as PyPI and GitHub render the file) and named by
the title of their section. Python blocks are executed and what they build is
checked, through a real server where a behaviour is claimed; shell blocks are
checked against the Makefile and pyproject.toml.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from docutils import nodes
from docutils.core import publish_doctree

from aiohttp_middlewares import wait_shielded
from aiohttp_middlewares.annotations import Handler

from .helpers import ROOT

Client = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
README = ROOT / "README.rst"
PYTHON_SECTIONS = ("Quick start", "CORS", "Errors", "Timeout", "Shield", "HTTPS")


def doctree() -> nodes.document:
    # halt_level 2: any docutils warning (what PyPI refuses) fails the test.
    return publish_doctree(
        README.read_text(), settings_overrides={"halt_level": 2, "report_level": 2}
    )


def code_blocks() -> list[tuple[str, str, str]]:
    """``(section title, language, code)`` of every code block, in order."""
    found = []
    for block in doctree().findall(nodes.literal_block):
        section = block.parent
        while not isinstance(section, nodes.section):
            section = section.parent
        language = next(c for c in block["classes"] if c != "code")
        found.append((section[0].astext(), language, block.astext()))
    return found


def run_block(section: str) -> web.Application:
    """Execute the Python block of *section*; return the ``app`` it builds."""
    (code,) = (c for s, lang, c in code_blocks() if s == section and lang == "python")
    namespace: dict[str, Any] = {}
    exec(compile(code, f"README.rst ({section})", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, web.Application)
    return app


async def serve_block(
    aiohttp_client: Client, section: str, path: str, handler: Handler
) -> TestClient[Any, Any]:
    """Serve the ``app`` of *section* with *handler* added on *path*."""
    app = run_block(section)
    app.router.add_get(path, handler)
    return await aiohttp_client(app)


def modules(app: web.Application) -> list[str]:
    return [getattr(m, "__module__", type(m).__module__) for m in app.middlewares]


async def fail(request: web.Request) -> web.Response:
    raise ValueError("broken")


async def scheme(request: web.Request) -> web.Response:
    return web.Response(text=request.scheme)


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def test_readme_renders_without_warnings() -> None:
    title = next(doctree().findall(nodes.title))
    assert title.astext() == "aiohttp-middlewares"


def test_every_code_block_is_one_this_module_tests() -> None:
    expected = [("Try it", "shell"), ("Install", "shell")]
    expected += [(section, "python") for section in PYTHON_SECTIONS]
    assert [(section, language) for section, language, _ in code_blocks()] == expected


def test_try_it_starts_with_the_two_commands() -> None:
    section = next(
        s for s in doctree().findall(nodes.section) if s[0].astext() == "Try it"
    )
    first = section[1]
    assert isinstance(first, nodes.literal_block)
    assert first.astext() == "make demo\nmake test"


@pytest.mark.parametrize("target", ["demo", "test"])
def test_try_it_commands_are_make_targets(target: str) -> None:
    # -n prints the recipe without running it: the target exists and parses.
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_install_command_names_this_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    name = re.search(r'^name = "([^"]+)"$', pyproject, re.MULTILINE)
    (install,) = (c for s, _, c in code_blocks() if s == "Install")
    assert name
    assert install == f"pip install {name[1]}"


def test_images_exist() -> None:
    for image in doctree().findall(nodes.image):
        assert (ROOT / image["uri"]).is_file(), image["uri"]


def test_quick_start_stacks_the_five_middlewares_cors_outermost() -> None:
    assert modules(run_block("Quick start")) == [
        "aiohttp_middlewares.cors",
        "aiohttp_middlewares.error",
        "aiohttp_middlewares.https",
        "aiohttp_middlewares.timeout",
        "aiohttp_middlewares.shield",
    ]


async def test_quick_start_error_answers_carry_cors_headers(
    aiohttp_client: Client,
) -> None:
    client = await serve_block(aiohttp_client, "Quick start", "/fail", fail)
    origin = "https://app.example.com"
    response = await client.get("/fail", headers={"Origin": origin})
    assert response.status == 500
    assert await response.json() == {"detail": "broken"}
    assert response.headers["Access-Control-Allow-Origin"] == origin


async def test_cors_example_admits_a_subdomain_but_not_a_lookalike(
    aiohttp_client: Client,
) -> None:
    client = await serve_block(aiohttp_client, "CORS", "/api/items", ok)
    admitted = await client.get(
        "/api/items", headers={"Origin": "https://shop.example.com"}
    )
    refused = await client.get(
        "/api/items", headers={"Origin": "https://shop.example.com.evil.test"}
    )
    assert admitted.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert admitted.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in refused.headers


async def test_errors_example_answers_problem_details(aiohttp_client: Client) -> None:
    client = await serve_block(aiohttp_client, "Errors", "/fail", fail)
    response = await client.get("/fail")
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    assert (await response.json())["instance"] == "/fail"


async def test_errors_example_leaves_404_to_aiohttp(aiohttp_client: Client) -> None:
    client = await aiohttp_client(run_block("Errors"))
    response = await client.get("/nowhere")
    assert response.status == 404
    assert response.content_type == "text/plain"


def test_timeout_example_puts_error_outside_timeout() -> None:
    assert modules(run_block("Timeout")) == [
        "aiohttp_middlewares.error",
        "aiohttp_middlewares.timeout",
    ]


def test_shield_example_waits_for_shielded_handlers_at_shutdown() -> None:
    app = run_block("Shield")
    assert modules(app) == ["aiohttp_middlewares.shield"]
    assert wait_shielded in app.on_shutdown


async def test_https_example_trusts_a_listed_proxy(aiohttp_client: Client) -> None:
    client = await serve_block(aiohttp_client, "HTTPS", "/", scheme)
    response = await client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert await response.text() == "https"
