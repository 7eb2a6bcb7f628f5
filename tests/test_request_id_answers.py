"""The request id reaches every answer of the recommended stack.

The stack is the README's quick start: request_id, cors, error, https,
timeout and shield, outermost first, with request_id_on_response_prepare
registered. Every kind of answer it makes carries the request's id exactly
once: the one the request brought, or a new one. Requests claim
``X-Forwarded-Proto: https``, so every handler gets the clone that
https_middleware makes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    cors_middleware,
    error_middleware,
    https_middleware,
    request_id_middleware,
    request_id_on_response_prepare,
    shield_middleware,
    timeout_middleware,
)
from aiohttp_middlewares.annotations import Handler, Middleware

from .helpers import NEW_ID, REQUEST_ID_LOGGER, event_stream, logged, websocket

if TYPE_CHECKING:
    from aiohttp import ClientResponse
    from aiohttp.test_utils import TestClient
    from pytest_aiohttp import AiohttpClient

HEADER = "X-Request-ID"
ORIGIN = "https://app.example.com"
ALLOWED_HOST = "api.example.com"
LIMIT = 0.05
# A response for a worker task to prepare, and the event it sets when done.
Job = tuple[web.Request, web.StreamResponse, asyncio.Event]


@web.middleware
async def host_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Stands for proxy_middleware: a returned 400 for a host not allowed."""
    if request.host != ALLOWED_HOST:
        return web.Response(status=400, text="host not allowed")
    return await handler(request)


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def moved(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ok")


async def broken(request: web.Request) -> web.Response:
    raise ValueError("broken")


async def uncaught(request: web.Request) -> web.Response:
    raise LookupError("not for error_middleware")


async def slow(request: web.Request) -> web.Response:
    await asyncio.Event().wait()  # until the timeout cancels it
    raise AssertionError("never set")


def recommended(*, inner: int | None = None, callback: bool = True) -> web.Application:
    """The quick start's stack, with ``host_check`` at position *inner*."""
    middlewares: list[Middleware] = [
        request_id_middleware(),
        cors_middleware(origins=[ORIGIN]),
        # aiohttp's own 500 needs an exception that error_middleware lets by.
        error_middleware(ignore_exceptions=LookupError),
        https_middleware(),
        timeout_middleware(LIMIT),
        shield_middleware(methods=NON_IDEMPOTENT_METHODS),
    ]
    if inner is not None:
        middlewares.insert(inner, host_check)
    app = web.Application(middlewares=middlewares)
    if callback:
        app.on_response_prepare.append(request_id_on_response_prepare)
    for path, handler in {
        "/ok": ok,
        "/missing": missing,
        "/moved": moved,
        "/broken": broken,
        "/uncaught": uncaught,
        "/slow": slow,
        "/stream": event_stream,
        "/socket": websocket,
    }.items():
        app.router.add_get(path, handler)
    app.router.add_post("/ok", ok)
    return app


PROXIED = {"Host": ALLOWED_HOST, "X-Forwarded-Proto": "https", "Origin": ORIGIN}
WEBSOCKET = {"Connection": "Upgrade", "Upgrade": "websocket"}
WEBSOCKET_KEY = {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "x" * 22 + "=="}
# Each kind of answer: method, path, extra headers, and its status.
ANSWERS = {
    "returned": ("GET", "/ok", {}, 200),
    "shielded": ("POST", "/ok", {}, 200),
    "aiohttp's 404, as JSON": ("GET", "/nowhere", {}, 404),
    "raised 404, as JSON": ("GET", "/missing", {}, 404),
    "raised redirect": ("GET", "/moved", {}, 302),
    "error_middleware's 500": ("GET", "/broken", {}, 500),
    "timeout, JSON 504": ("GET", "/slow", {}, 504),
    "aiohttp's own 500": ("GET", "/uncaught", {}, 500),
    "streamed": ("GET", "/stream", {}, 200),
    "WebSocket handshake": ("GET", "/socket", {**WEBSOCKET, **WEBSOCKET_KEY}, 101),
    "cors preflight": (
        "OPTIONS",
        "/ok",
        {"Access-Control-Request-Method": "PUT"},
        200,
    ),
    "refused preflight": (
        "OPTIONS",
        "/ok",
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
        403,
    ),
}


async def send(
    client: TestClient[web.Request, web.Application], kind: str, **headers: str
) -> ClientResponse:
    method, path, extra, status = ANSWERS[kind]
    response = await client.request(
        method, path, headers={**PROXIED, **extra, **headers}, allow_redirects=False
    )
    await response.read()
    assert response.status == status
    return response


@pytest.mark.parametrize("kind", ANSWERS)
async def test_every_answer_carries_the_incoming_id_once(
    aiohttp_client: AiohttpClient, kind: str
) -> None:
    client = await aiohttp_client(recommended())
    response = await send(client, kind, **{HEADER: f"id-of-{kind}".replace(" ", "-")})
    assert response.headers.getall(HEADER) == [f"id-of-{kind}".replace(" ", "-")]


@pytest.mark.parametrize("kind", ANSWERS)
async def test_every_answer_carries_a_new_id_once(
    aiohttp_client: AiohttpClient, kind: str
) -> None:
    client = await aiohttp_client(recommended())
    response = await send(client, kind)
    [sent] = response.headers.getall(HEADER)
    assert NEW_ID.fullmatch(sent)


@pytest.mark.parametrize("position", [1, 2, 3, 4, 5, 6])
async def test_an_inner_middlewares_returned_answer_carries_the_id(
    aiohttp_client: AiohttpClient, position: int
) -> None:
    client = await aiohttp_client(recommended(inner=position))
    refused = await client.get("/ok", headers={**PROXIED, "Host": "evil.example"})
    allowed = await client.get("/ok", headers={**PROXIED, HEADER: "kept"})
    assert refused.status == 400
    assert NEW_ID.fullmatch(refused.headers[HEADER])
    assert allowed.headers.getall(HEADER) == ["kept"]


async def test_aiohttp_504_of_an_uncaught_timeout_carries_the_id(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application(
        middlewares=[request_id_middleware(), timeout_middleware(LIMIT)]
    )
    app.on_response_prepare.append(request_id_on_response_prepare)
    app.router.add_get("/slow", slow)
    client = await aiohttp_client(app)
    response = await client.get("/slow", headers={HEADER: "slow-1"})
    assert response.status == 504
    assert response.headers.getall(HEADER) == ["slow-1"]


async def test_an_outer_middlewares_new_answer_gets_the_id_from_the_callback(
    aiohttp_client: AiohttpClient,
) -> None:
    @web.middleware
    async def replace(request: web.Request, handler: Handler) -> web.StreamResponse:
        await handler(request)
        return web.Response(text="replaced")

    app = web.Application(middlewares=[replace, request_id_middleware()])
    app.on_response_prepare.append(request_id_on_response_prepare)
    app.router.add_get("/ok", ok)
    client = await aiohttp_client(app)
    response = await client.get("/ok", headers={HEADER: "outer-1"})
    assert await response.text() == "replaced"
    assert response.headers.getall(HEADER) == ["outer-1"]


async def test_the_handlers_own_header_is_replaced(
    aiohttp_client: AiohttpClient,
) -> None:
    async def own(request: web.Request) -> web.Response:
        return web.Response(text="own", headers={HEADER: "the-handler's"})

    app = web.Application(middlewares=[request_id_middleware()])
    app.router.add_get("/own", own)
    client = await aiohttp_client(app)
    response = await client.get("/own", headers={HEADER: "the-request's"})
    assert response.headers.getall(HEADER) == ["the-request's"]


# What the docs list as out of reach.


async def test_without_the_callback_a_streamed_answer_lacks_the_id_and_warns_once(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(recommended(callback=False))
    with logged(REQUEST_ID_LOGGER, level=logging.WARNING) as lines:
        first = await send(client, "streamed")
        second = await send(client, "streamed")
        plain = await send(client, "returned")
    assert HEADER not in first.headers
    assert HEADER not in second.headers
    assert NEW_ID.fullmatch(plain.headers[HEADER])
    [line] = lines.lines
    assert line.message == (
        "GET /stream: the handler prepared its response before "
        "request_id_middleware could add X-Request-ID; add "
        "app.on_response_prepare.append(request_id_on_response_prepare)"
    )


async def test_without_the_callback_aiohttps_own_500_lacks_the_id(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(recommended(callback=False))
    response = await send(client, "aiohttp's own 500")
    assert HEADER not in response.headers


async def test_an_answer_made_before_the_middleware_runs_has_no_id(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application(middlewares=[host_check, request_id_middleware()])
    app.on_response_prepare.append(request_id_on_response_prepare)
    app.router.add_get("/ok", ok)
    client = await aiohttp_client(app)
    refused = await client.get("/ok", headers={"Host": "evil.example"})
    assert refused.status == 400
    assert HEADER not in refused.headers


@pytest.mark.parametrize("started_by", ["start-up", "another request"])
async def test_a_response_prepared_in_a_task_of_no_request_or_another_one(
    aiohttp_client: AiohttpClient, started_by: str
) -> None:
    # A worker task prepares the responses that handlers hand it: the
    # callback gives them the id of the context the worker was created in.
    jobs: asyncio.Queue[Job] = asyncio.Queue()
    workers: list[asyncio.Task[None]] = []

    async def work() -> None:
        while True:
            request, response, done = await jobs.get()
            await response.prepare(request)
            done.set()

    async def start(app: web.Application) -> None:
        workers.append(asyncio.create_task(work()))

    async def cleanup(app: web.Application) -> None:
        workers[0].cancel()

    async def handed_over(request: web.Request) -> web.StreamResponse:
        if not workers:
            workers.append(asyncio.create_task(work()))
        response, done = web.StreamResponse(), asyncio.Event()
        await jobs.put((request, response, done))
        await done.wait()
        return response

    app = web.Application(middlewares=[request_id_middleware()])
    app.on_response_prepare.append(request_id_on_response_prepare)
    app.router.add_get("/", handed_over)
    if started_by == "start-up":
        app.on_startup.append(start)
    app.on_cleanup.append(cleanup)
    client = await aiohttp_client(app)
    first = await client.get("/", headers={HEADER: "first"})
    second = await client.get("/", headers={HEADER: "second"})
    if started_by == "start-up":
        assert HEADER not in first.headers
        assert HEADER not in second.headers
    else:
        assert first.headers[HEADER] == "first"
        assert second.headers[HEADER] == "first"


async def test_aiohttps_400_for_an_unparsable_request_has_no_id(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(recommended())
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
    reply = await reader.read()
    writer.close()
    head = reply.partition(b"\r\n\r\n")[0]
    assert head.split(b" ", 2)[1] == b"400"
    assert b"x-request-id" not in head.lower()
