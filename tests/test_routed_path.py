"""Every URL decision concerns the handler that aiohttp's router runs.

The router keeps an encoded ``/`` (``%2F``) inside its path segment, while
``request.path`` decodes it: ``/api%2Fpublic%2Fx/private`` runs the handler of
``/{user}/private``. A middleware deciding on ``request.path`` would take it for
``/api/public/x/private``; each middleware here decides on the routed path.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_middlewares import (
    cors_middleware,
    error_context,
    error_middleware,
    shield_middleware,
    timeout_middleware,
)
from aiohttp_middlewares.annotations import Handler, Middleware
from aiohttp_middlewares.utils import request_key

from .helpers import ORIGIN

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

ENCODED = "/api%2Fpublic%2Fx/private"
PUBLIC = re.compile(r"^/api/public/")


def named(name: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=name)

    return handler


def routed_app(*middlewares: Middleware) -> web.Application:
    """``/api/public/{x}/private`` is public; ``/{user}/private`` is not."""
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/api/public/{x}/private", named("public"))
    app.router.add_get("/{user}/private", named("private"))
    app.router.add_get("/{tail:.*}", named("elsewhere"))
    return app


async def test_cors_gives_no_credentials_to_the_private_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    cors = cors_middleware(origins=[ORIGIN], urls=[PUBLIC], allow_credentials=True)
    client = await aiohttp_client(routed_app(cors))
    response = await client.get(ENCODED, headers={"Origin": ORIGIN})
    assert await response.text() == "private"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_cors_still_answers_the_plain_public_path(
    aiohttp_client: AiohttpClient,
) -> None:
    cors = cors_middleware(origins=[ORIGIN], urls=[PUBLIC], allow_credentials=True)
    client = await aiohttp_client(routed_app(cors))
    response = await client.get("/api/public/x/private", headers={"Origin": ORIGIN})
    assert await response.text() == "public"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_timeout_limits_the_handler_an_encoded_path_reaches(
    aiohttp_client: AiohttpClient,
) -> None:
    never = asyncio.Event()

    async def report(request: web.Request) -> web.Response:
        await never.wait()
        raise AssertionError("never set")  # pragma: no cover

    app = web.Application(
        middlewares=[
            error_middleware(),
            timeout_middleware(0.05, ignore=[re.compile(r"^/stream/")]),
        ]
    )
    app.router.add_get("/{tenant}/report", report)
    client = await aiohttp_client(app)
    # Bounded, so that an unlimited handler fails the test instead of hanging it.
    response = await asyncio.wait_for(client.get("/stream%2Fx/report"), 5)
    assert response.status == 504


async def test_shield_leaves_an_encoded_path_unshielded(
    aiohttp_client: AiohttpClient,
) -> None:
    tasks: dict[str, asyncio.Task[object] | None] = {}

    @web.middleware
    async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
        tasks["request"] = asyncio.current_task()
        return await handler(request)

    async def save(request: web.Request) -> web.Response:
        tasks["handler"] = asyncio.current_task()
        return web.Response(text="saved")

    app = web.Application(
        middlewares=[outer, shield_middleware(urls=[re.compile(r"^/save/")])]
    )
    app.router.add_get("/{name}/x", save)
    app.router.add_get("/save/{name}", save)
    client = await aiohttp_client(app)
    await client.get("/save%2Fy/x")
    assert tasks["handler"] is tasks["request"]  # awaited directly: not shielded
    await client.get("/save/y")
    assert tasks["handler"] is not tasks["request"]  # its own task: shielded


async def test_error_config_picks_the_handler_of_the_routed_path(
    aiohttp_client: AiohttpClient,
) -> None:
    async def public_errors(request: web.Request) -> web.Response:
        with error_context(request) as context:
            return web.Response(text="public error page", status=context.status)

    async def broken(request: web.Request) -> web.Response:
        raise ValueError("broken")

    app = web.Application(
        middlewares=[error_middleware(config={PUBLIC: public_errors})]
    )
    app.router.add_get("/{user}/private", broken)
    app.router.add_get("/api/public/{x}/private", broken)
    client = await aiohttp_client(app)
    encoded = await client.get(ENCODED)
    assert await encoded.json() == {"detail": "broken"}
    plain = await client.get("/api/public/x/private")
    assert await plain.text() == "public error page"


# Paths made of segments holding encoded reserved characters and the words the
# routes use, so that a decoded path often looks like the public one.
SEGMENTS = st.sampled_from(
    [
        "api",
        "public",
        "x",
        "private",
        "api%2Fpublic",
        "x%2F",
        "%2Fapi",
        "a%3Fb",
        "a%23b",
        "%25",
        "%2F",
        "a%20b",
    ]
)
PATHS = st.lists(SEGMENTS, min_size=1, max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)


def prefix_app(*middlewares: Middleware) -> web.Application:
    """Routes that mirror the PUBLIC regex: what it matches, they route public."""
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/api/public/{tail:.*}", named("public"))
    app.router.add_get("/{tail:.*}", named("other"))
    return app


@settings(max_examples=60, deadline=None)
@given(path=PATHS)
def test_cors_decision_agrees_with_the_dispatched_route(path: str) -> None:
    async def check() -> None:
        cors = cors_middleware(origins=[ORIGIN], urls=[PUBLIC], allow_credentials=True)
        async with TestClient(TestServer(prefix_app(cors))) as client:
            response = await client.get(path, headers={"Origin": ORIGIN})
            route = await response.text()
            granted = "Access-Control-Allow-Origin" in response.headers
            assert response.status == 200
            assert granted == (route == "public"), (path, route)

    asyncio.run(check())


def probe_app() -> web.Application:
    """Each middleware decides for PUBLIC; ``?probe=`` shows what it decided.

    ``shield``: whether the handler ran in a task of its own (shielded);
    ``timeout``: whether a handler slower than the limit was let finish
    (ignored); ``error``: which error handler answered (configured).
    """
    key = request_key("test.request_task", object)

    @web.middleware
    async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[key] = asyncio.current_task()
        return await handler(request)

    async def public_errors(request: web.Request) -> web.Response:
        return web.Response(text="configured")

    def probe(route: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            kind = request.query["probe"]
            if kind == "error":
                raise ValueError(route)
            if kind == "timeout":
                await asyncio.sleep(0.03)
                return web.Response(text=f"{route} ignored")
            shielded = asyncio.current_task() is not request[key]
            return web.Response(text=f"{route} {'shielded' if shielded else 'direct'}")

        return handler

    app = web.Application(
        middlewares=[
            outer,
            error_middleware(config={PUBLIC: public_errors}),
            timeout_middleware(0.005, ignore=[PUBLIC]),
            shield_middleware(urls=[PUBLIC]),
        ]
    )
    app.router.add_get("/api/public/{tail:.*}", probe("public"))
    app.router.add_get("/{tail:.*}", probe("other"))
    return app


@settings(max_examples=40, deadline=None)
@given(path=PATHS)
def test_shield_timeout_and_error_decisions_agree_with_the_route(path: str) -> None:
    async def check() -> None:
        async with TestClient(TestServer(probe_app())) as client:
            shield = await client.get(path, params={"probe": "shield"})
            route, shielded = (await shield.text()).split()
            public = route == "public"
            assert (shielded == "shielded") == public, (path, route)
            timeout = await client.get(path, params={"probe": "timeout"})
            assert (timeout.status == 200) == public, (path, route)
            error = await client.get(path, params={"probe": "error"})
            assert (await error.text() == "configured") == public, (path, route)

    asyncio.run(check())
