"""The shield examples that the docs include run and do what the docs say."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import wait_shielded
from docs.examples import shield_orders, shield_shutdown, shield_urls

from .helpers import Outcome, disconnect, send, serving


async def test_orders_are_created_and_listed(aiohttp_client: Any) -> None:
    client = await aiohttp_client(shield_orders.create_app())
    async with client.post("/orders", json={"item": "book"}) as response:
        assert response.status == 201
    async with client.get("/orders") as response:
        assert await response.json() == [{"item": "book"}]


async def test_order_is_saved_after_client_disconnects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    save = shield_orders.save

    async def slow_save(app: web.Application, order: dict[str, Any]) -> None:
        started.set()
        await release.wait()
        await save(app, order)

    monkeypatch.setattr(shield_orders, "save", slow_save)
    app = shield_orders.create_app()
    outcome = Outcome()
    app.middlewares.insert(0, outcome.middleware)
    async with serving(app) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"item": "book"}'
        writer.write(
            b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await started.wait()
        await disconnect(writer)
        await outcome.done.wait()
        release.set()
        # What the example's on_shutdown does when the server stops.
        await asyncio.wait_for(wait_shielded(app), 5)
        assert app[shield_orders.ORDERS] == [{"item": "book"}]


@pytest.mark.parametrize(
    ("method", "path", "shielded"),
    [
        ("GET", "/downloads/report.pdf", True),
        ("POST", "/downloads/report.pdf", False),
        ("POST", "/uploads", True),
        ("GET", "/uploads", False),
    ],
)
async def test_urls_example_shields_what_it_says(
    method: str, path: str, shielded: bool
) -> None:
    [middleware] = shield_urls.create_app().middlewares
    request_task = asyncio.current_task()

    async def where(request: web.BaseRequest) -> web.Response:
        return web.Response(text=str(asyncio.current_task() is not request_task))

    response = await middleware(make_mocked_request(method, path), where)
    assert isinstance(response, web.Response)
    assert response.text == str(shielded)


async def test_download_and_upload_answer(aiohttp_client: Any) -> None:
    client = await aiohttp_client(shield_urls.create_app())
    async with client.get("/downloads/report.pdf") as response:
        assert await response.text() == "contents of report.pdf"
    async with client.post("/uploads", data="hello") as response:
        assert response.status == 201
        assert await response.text() == "hello"


@pytest.mark.parametrize("module", [shield_orders, shield_urls])
def test_example_runs_as_a_script(monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        web, "run_app", lambda app, **kwargs: calls.append((app, kwargs))
    )
    runpy.run_path(str(Path(module.__file__)), run_name="__main__")
    [(app, kwargs)] = calls
    assert wait_shielded in app.on_shutdown
    assert kwargs == {"host": "127.0.0.1", "port": 8080, "handler_cancellation": True}


async def test_bounded_shutdown_leaves_a_stuck_handler_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = asyncio.Event()

    async def stuck(request: web.Request) -> web.Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("never set")  # pragma: no cover

    monkeypatch.setattr(shield_shutdown, "SHUTDOWN_SECONDS", 0.05)
    app = shield_shutdown.create_app()
    app.router.add_post("/save", stuck)
    async with serving(app) as port:
        _, writer = await send(port, "POST", "/save")
        await started.wait()
        await disconnect(writer)
        await shield_shutdown.finish_shielded(app)
        assert "shielded handlers left running" in caplog.text
    # The server's own shutdown ran the bounded wait_shielded of create_app.
    assert "abandoning 1 shielded handler(s) still running: POST /save" in caplog.text
