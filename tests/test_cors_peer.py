"""What docs/aiohttp-cors.rst says aiohttp-cors does, observed on aiohttp-cors.

aiohttp-cors is a benchmark-only peer (the ``bench`` extra, which ``make
test`` installs): without it these tests skip. Each one runs the same request
through both, configured alike, so the difference the page names is seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares import cors_middleware

from .helpers import ORIGIN, OTHER

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

aiohttp_cors: Any = pytest.importorskip("aiohttp_cors")


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def peer_app() -> web.Application:
    app = web.Application()
    options = aiohttp_cors.ResourceOptions(allow_headers=("x-token",))
    cors = aiohttp_cors.setup(app, defaults={ORIGIN: options})
    resource = cors.add(app.router.add_resource("/"))
    cors.add(resource.add_route("GET", hello))
    cors.add(resource.add_route("PUT", hello))
    return app


def our_app() -> web.Application:
    app = web.Application(
        middlewares=[cors_middleware(origins=[ORIGIN], allow_headers=["x-token"])]
    )
    app.router.add_get("/", hello)
    app.router.add_put("/", hello)
    return app


@pytest.mark.parametrize("origin", [ORIGIN, OTHER])
async def test_only_ours_varies_on_origin(
    aiohttp_client: AiohttpClient, origin: str
) -> None:
    peer = await aiohttp_client(peer_app())
    ours = await aiohttp_client(our_app())
    peer_answer = await peer.get("/", headers={"Origin": origin})
    our_answer = await ours.get("/", headers={"Origin": origin})
    assert "Vary" not in peer_answer.headers
    assert our_answer.headers["Vary"] == "Origin"


async def test_an_unlisted_header_is_a_403_there_and_a_200_here(
    aiohttp_client: AiohttpClient,
) -> None:
    asked = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "x-other",
    }
    peer = await aiohttp_client(peer_app())
    ours = await aiohttp_client(our_app())
    peer_answer = await peer.options("/", headers=asked)
    our_answer = await ours.options("/", headers=asked)
    assert peer_answer.status == 403
    assert our_answer.status == 200
    assert our_answer.headers["Access-Control-Allow-Headers"] == "x-token"


async def test_a_refused_origin_preflight_is_a_403_in_both(
    aiohttp_client: AiohttpClient,
) -> None:
    asked = {"Origin": OTHER, "Access-Control-Request-Method": "PUT"}
    peer = await aiohttp_client(peer_app())
    ours = await aiohttp_client(our_app())
    assert (await peer.options("/", headers=asked)).status == 403
    our_answer = await ours.options("/", headers=asked)
    assert our_answer.status == 403
    assert await our_answer.text() == ""
