"""The application of docs/getting-started.rst does what the page says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from aiohttp_middlewares import ProxyAccessLogger, wait_shielded
from docs.examples import getting_started
from docs.examples.getting_started import ORDERS, create_app

from .helpers import run_as_script

Client = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ORIGIN = "https://app.example.com"


async def test_allowed_origin_gets_cors_headers(aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_app())
    response = await client.get("/api/hello", headers={"Origin": ORIGIN})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_unknown_path_is_a_json_404_with_cors_headers(
    aiohttp_client: Client,
) -> None:
    client = await aiohttp_client(create_app())
    response = await client.get("/api/nowhere", headers={"Origin": ORIGIN})
    assert response.status == 404
    assert await response.json() == {"detail": "Not Found"}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_trusted_proxy_header_makes_the_url_https(aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_app())
    response = await client.get("/api/hello", headers={"X-Forwarded-Proto": "https"})
    assert (await response.json())["url"].startswith("https://")


async def test_answers_carry_the_request_id_of_the_local_proxy(
    aiohttp_client: Client,
) -> None:
    client = await aiohttp_client(create_app())
    response = await client.get("/api/nowhere", headers={"X-Request-ID": "local-7"})
    assert response.status == 404
    assert response.headers["X-Request-ID"] == "local-7"


async def test_trusted_proxy_header_gives_the_client(aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_app())
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    response = await client.get("/api/hello", headers=headers)
    assert (await response.json())["client"] == "203.0.113.7"


def test_runs_as_a_script_with_the_access_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, kwargs = run_as_script(monkeypatch, getting_started.__file__)
    assert kwargs == {
        "host": "127.0.0.1",
        "port": 8080,
        "handler_cancellation": True,
        "access_log_class": ProxyAccessLogger,
    }


async def test_order_is_saved(aiohttp_client: Client) -> None:
    app = create_app()
    client = await aiohttp_client(app)
    response = await client.post("/api/orders", json={"item": "book"})
    assert response.status == 201
    assert app[ORDERS] == [{"item": "book"}]


def test_shutdown_waits_for_shielded_handlers() -> None:
    assert wait_shielded in create_app().on_shutdown
