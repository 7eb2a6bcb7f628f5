"""Every code block of README.rst is run here, so the README cannot rot.

Blocks are read with docutils (as PyPI and GitHub render the file) and named by
the title of their section. Python blocks are executed and what they build is
checked, through a real server where a behaviour is claimed; shell blocks are
checked against the Makefile and pyproject.toml.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from docutils import nodes
from docutils.core import publish_doctree

import aiohttp_middlewares
from aiohttp_middlewares import (
    ProxyAccessLogger,
    request_id_on_response_prepare,
    wait_shielded,
)
from aiohttp_middlewares.annotations import Handler

from .helpers import ROOT

Client = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
README = ROOT / "README.rst"
PYTHON_SECTIONS = (
    "Quick start",
    "CORS",
    "Errors",
    "Timeout",
    "Shield",
    "Proxy",
    "HTTPS",
    "Request id",
)


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


def run_block(section: str, name: str = "readme") -> web.Application:
    """Execute the Python block of *section* as module *name*; return its ``app``."""
    (code,) = (c for s, lang, c in code_blocks() if s == section and lang == "python")
    namespace: dict[str, Any] = {"__name__": name}
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
    expected = [("Try it", "shell")] + [("Install", "shell")] * 3
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


def install_blocks() -> list[str]:
    return [code for section, _, code in code_blocks() if section == "Install"]


def test_install_says_this_version_is_not_on_the_package_index() -> None:
    section = next(
        s for s in doctree().findall(nodes.section) if s[0].astext() == "Install"
    )
    text = " ".join(section.astext().split())
    assert f"This is version {aiohttp_middlewares.__version__}" in text
    assert "it is not on the package index yet" in text
    assert "would install 3.0.0, an older release" in text


def test_install_builds_the_wheel_of_this_version() -> None:
    _, wheel, _ = install_blocks()
    build, install = wheel.splitlines()
    assert build == "pip wheel --no-deps --wheel-dir dist ./aiohttp-middlewares"
    name = f"aiohttp_middlewares-{aiohttp_middlewares.__version__}-py3-none-any.whl"
    assert install == f"pip install dist/{name}"


def test_install_check_prints_the_installed_version() -> None:
    *_, check = install_blocks()
    command = check.removeprefix("python ").split(" ", 1)
    assert command[0] == "-c"
    code = command[1].strip('"')
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == aiohttp_middlewares.__version__


def test_long_description_has_no_links() -> None:
    # The README is the package index's long description too, where a path of
    # the repository leads nowhere, and the project has no home of its own to
    # link to yet: no link, no image (those are in the docs).
    tree = doctree()
    assert not list(tree.findall(nodes.image))
    assert [
        reference.get("refuri") for reference in tree.findall(nodes.reference)
    ] == []


def test_quick_start_stacks_six_middlewares_request_id_outermost() -> None:
    app = run_block("Quick start")
    assert request_id_on_response_prepare in app.on_response_prepare
    assert modules(app) == [
        "aiohttp_middlewares.request_id",
        "aiohttp_middlewares.proxy",
        "aiohttp_middlewares.cors",
        "aiohttp_middlewares.error",
        "aiohttp_middlewares.timeout",
        "aiohttp_middlewares.shield",
    ]


async def who(request: web.Request) -> web.Response:
    return web.Response(text=f"{request.remote} {request.url}")


async def test_quick_start_handlers_see_the_client_behind_the_proxy(
    aiohttp_client: Client,
) -> None:
    client = await serve_block(aiohttp_client, "Quick start", "/who", who)
    headers = {
        "X-Forwarded-For": "6.6.6.6, 203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "api.example.com",
    }
    response = await client.get("/who", headers=headers)
    assert await response.text() == "203.0.113.7 https://api.example.com/who"


async def test_quick_start_error_answers_carry_cors_headers(
    aiohttp_client: Client,
) -> None:
    client = await serve_block(aiohttp_client, "Quick start", "/fail", fail)
    origin = "https://app.example.com"
    response = await client.get("/fail", headers={"Origin": origin})
    assert response.status == 500
    assert await response.json() == {"detail": "broken"}
    assert response.headers["Access-Control-Allow-Origin"] == origin


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    return response


@pytest.mark.parametrize(("path", "handler"), [("/fail", fail), ("/stream", stream)])
async def test_quick_start_answers_carry_the_request_id(
    aiohttp_client: Client, path: str, handler: Handler
) -> None:
    client = await serve_block(aiohttp_client, "Quick start", path, handler)
    response = await client.get(path, headers={"X-Request-ID": "quick-1"})
    await response.read()
    assert response.headers.getall("X-Request-ID") == ["quick-1"]


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
    problem = await response.json(content_type=None)
    assert problem["instance"] == "/fail"
    assert problem["detail"] == "Internal Server Error"  # not "broken"


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


async def logs(request: web.Request) -> web.Response:
    logging.getLogger("readme").info("handled")
    return web.Response(text="ok")


async def test_request_id_example_logs_the_id_of_each_request(
    aiohttp_client: Client,
) -> None:
    # The block configures the root logger: put it back as it was.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        client = await serve_block(aiohttp_client, "Request id", "/", logs)
        [log_handler] = [h for h in root.handlers if h not in handlers]
        assert isinstance(log_handler, logging.StreamHandler)
        output = io.StringIO()
        log_handler.setStream(output)
        response = await client.get("/", headers={"X-Request-ID": "readme-1"})
        await response.read()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert response.headers["X-Request-ID"] == "readme-1"
    handled, access = output.getvalue().splitlines()
    assert handled == "[readme-1] handled"
    assert access.startswith("[readme-1] 127.0.0.1 ")
    assert '"GET / HTTP/1.1" 200' in access


async def test_proxy_example_sees_the_client_and_refuses_other_hosts(
    aiohttp_client: Client,
) -> None:
    client = await serve_block(aiohttp_client, "Proxy", "/", who)
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "Host": "shop.example.com"}
    response = await client.get("/", headers=headers)
    assert await response.text() == "203.0.113.7 http://shop.example.com/"
    response = await client.get("/", headers={"Host": "evil.test"})
    assert response.status == 400


def test_proxy_example_runs_with_the_access_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(web, "run_app", lambda app, **kwargs: calls.append(kwargs))
    run_block("Proxy", name="__main__")
    assert calls == [
        {"host": "127.0.0.1", "port": 8080, "access_log_class": ProxyAccessLogger}
    ]


async def test_https_example_trusts_a_listed_proxy(aiohttp_client: Client) -> None:
    client = await serve_block(aiohttp_client, "HTTPS", "/", scheme)
    response = await client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert await response.text() == "https"


def test_python_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    # Each block as the file a user would paste it into.
    from mypy import api

    files = []
    for index, (section, language, code) in enumerate(code_blocks()):
        if language == "python":
            path = tmp_path / f"readme_{index}_{section.lower().replace(' ', '_')}.py"
            path.write_text(code + "\n")
            files.append(str(path))
    assert len(files) == len(PYTHON_SECTIONS)
    out, err, status = api.run(
        [
            "--strict",
            "--python-version",
            "3.10",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "readme"),
            *files,
        ]
    )
    assert status == 0, out + err
