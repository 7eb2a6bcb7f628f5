"""The application of docs/getting-started.rst does what the page says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from aiohttp_middlewares import wait_shielded
from docs.examples.getting_started import ORDERS, create_app

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


async def test_order_is_saved(aiohttp_client: Client) -> None:
    app = create_app()
    client = await aiohttp_client(app)
    response = await client.post("/api/orders", json={"item": "book"})
    assert response.status == 201
    assert app[ORDERS] == [{"item": "book"}]


def test_shutdown_waits_for_shielded_handlers() -> None:
    assert wait_shielded in create_app().on_shutdown
