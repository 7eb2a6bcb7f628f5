"""Log lines name the request path still encoded: a client cannot forge a line.

``request.path`` decodes ``%0A`` into a line break; every logger of the
package writes ``request.rel_url.raw_path`` instead.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares import (
    cors_middleware,
    error_middleware,
    timeout_middleware,
)

from .helpers import logged, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

FORGED = "/%0AERROR:root:FAKE"


def _failing_check(request: web.Request, origin: str) -> bool:
    raise LookupError("tenant database is down")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(10)
    return web.Response()


CASES = {
    "error": ([error_middleware()], raising(ValueError("bad")), {}),
    "timeout": ([error_middleware(), timeout_middleware(0.01)], _slow, {}),
    "cors check": (
        [cors_middleware(origins=[_failing_check])],
        raising(web.HTTPNoContent()),
        {"Origin": "https://tenant.example"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_logged_path_stays_encoded(
    aiohttp_client: AiohttpClient, case: str
) -> None:
    middlewares, handler, headers = CASES[case]
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/{name}", handler)
    client = await aiohttp_client(app)
    with logged("aiohttp_middlewares") as lines:
        await client.get(FORGED, headers=headers)
    messages = [line.message for line in lines.lines]
    assert any(FORGED in message for message in messages), messages
    assert not any("\nERROR" in message for message in messages)
