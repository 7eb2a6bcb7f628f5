"""error_middleware answers a timeout with 504 Gateway Timeout.

Whether the handler raised :class:`asyncio.TimeoutError` itself or
timeout_middleware did, the JSON answer says the message, or the status
phrase for a bare one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from aiohttp_middlewares import error_middleware, timeout_middleware

from .helpers import app_with, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


async def test_timeout_answers_504_with_its_message(
    aiohttp_client: AiohttpClient,
) -> None:
    err = asyncio.TimeoutError("Request handling exceeded 29.5 seconds")
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Request handling exceeded 29.5 seconds"}


async def test_bare_timeout_answers_504_gateway_timeout(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(asyncio.TimeoutError())))
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Gateway Timeout"}


async def test_timeout_middleware_timeout_answers_504(
    aiohttp_client: AiohttpClient,
) -> None:
    never = asyncio.Event()

    async def hangs(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()  # pragma: no cover - never released

    app = web.Application(middlewares=[error_middleware(), timeout_middleware(0.01)])
    app.router.add_get("/", hangs)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Request handling exceeded 0.01 seconds"}
