"""The CORS decision reaches every answer, whatever the order and the clones.

``https_middleware`` hands the inner middlewares ``request.clone()``; aiohttp
prepares its own 500, and the answer of a middleware outside
``cors_middleware``, with the original request. With
``cors_on_response_prepare`` registered, each of those answers carries the
same CORS headers as a plain one, in every order of cors, error and https.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware, https_middleware
from aiohttp_middlewares.annotations import Middleware
from aiohttp_middlewares.cors import cors_on_response_prepare

from .helpers import ORIGIN, OTHER

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

FACTORIES = {
    "cors": lambda: cors_middleware(origins=[ORIGIN], allow_credentials=True),
    "error": error_middleware,
    "https": https_middleware,
}
ORDERS = list(itertools.permutations(FACTORIES))
PROXIED = {"Origin": ORIGIN, "X-Forwarded-Proto": "https"}


async def ok(request: web.Request) -> web.Response:
    return web.Response(text=request.scheme)


async def broken(request: web.Request) -> web.Response:
    raise ValueError("broken")


async def missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"chunk")
    return response


def app_in(order: tuple[str, ...]) -> web.Application:
    middlewares: list[Middleware] = [FACTORIES[name]() for name in order]
    app = web.Application(middlewares=middlewares)
    app.on_response_prepare.append(cors_on_response_prepare)
    app.router.add_get("/ok", ok)
    app.router.add_get("/broken", broken)
    app.router.add_get("/missing", missing)
    app.router.add_get("/streamed", streamed)
    return app


def ids(order: tuple[str, ...]) -> str:
    return ">".join(order)


@pytest.mark.parametrize("order", ORDERS, ids=ids)
@pytest.mark.parametrize("path", ["/ok", "/broken", "/missing", "/streamed"])
async def test_allowed_origin_gets_its_headers_on_every_answer(
    aiohttp_client: AiohttpClient, order: tuple[str, ...], path: str
) -> None:
    client = await aiohttp_client(app_in(order))
    response = await client.get(path, headers=PROXIED)
    await response.read()
    assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert response.headers.get("Access-Control-Allow-Credentials") == "true"
    assert "Origin" in response.headers.getall("Vary", [])


@pytest.mark.parametrize("order", ORDERS, ids=ids)
@pytest.mark.parametrize("path", ["/ok", "/broken", "/missing", "/streamed"])
async def test_refused_origin_gets_only_vary_on_every_answer(
    aiohttp_client: AiohttpClient, order: tuple[str, ...], path: str
) -> None:
    client = await aiohttp_client(app_in(order))
    response = await client.get(path, headers={**PROXIED, "Origin": OTHER})
    await response.read()
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers.getall("Vary", []) == ["Origin"]


@pytest.mark.parametrize("order", ORDERS, ids=ids)
async def test_headers_are_sent_once(
    aiohttp_client: AiohttpClient, order: tuple[str, ...]
) -> None:
    client = await aiohttp_client(app_in(order))
    response = await client.get("/broken", headers=PROXIED)
    assert response.headers.getall("Access-Control-Allow-Origin") == [ORIGIN]
    assert response.headers.getall("Vary") == ["Origin"]
