"""current_request_id() reads the id of the request whose code runs, nowhere else.

aiohttp runs each request in a task of its own: the id set there reaches the
tasks it creates and the shielded handlers (which copy the context), and
never the next request on the same keep-alive connection.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from aiohttp_middlewares import (
    REQUEST_ID_KEY,
    current_request_id,
    request_id_middleware,
    shield_middleware,
)
from aiohttp_middlewares.annotations import Handler

from .helpers import NEW_ID, echo_id, finish_after_client_left, send

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

HEADER = "X-Request-ID"


async def test_tasks_the_handler_creates_read_the_id(
    aiohttp_client: AiohttpClient,
) -> None:
    async def child() -> str | None:
        await asyncio.sleep(0)
        return current_request_id()

    async def spawning(request: web.Request) -> web.Response:
        task = asyncio.create_task(child())
        gathered = await asyncio.gather(child(), child())
        return web.Response(text=" ".join(map(str, [await task, *gathered])))

    app = web.Application(middlewares=[request_id_middleware()])
    app.router.add_get("/", spawning)
    client = await aiohttp_client(app)
    response = await client.get("/", headers={HEADER: "parent-7"})
    assert await response.text() == "parent-7 parent-7 parent-7"


async def test_shielded_handler_reads_the_id(aiohttp_client: AiohttpClient) -> None:
    app = web.Application(
        middlewares=[request_id_middleware(), shield_middleware(methods=["POST"])]
    )
    app.router.add_post("/", echo_id)
    client = await aiohttp_client(app)
    response = await client.post("/", headers={HEADER: "saved-1"})
    assert await response.text() == "saved-1"


async def test_shielded_handler_still_reads_the_id_after_its_client_left() -> None:
    read: list[tuple[str, str | None]] = []

    async def save(request: web.Request) -> web.Response:
        read.append((request[REQUEST_ID_KEY], current_request_id()))
        return web.Response(text="saved")

    await finish_after_client_left(save)
    [(given, current)] = read
    assert NEW_ID.fullmatch(given)
    assert current == given


async def test_the_id_never_leaks_into_the_next_request_on_the_connection(
    aiohttp_client: AiohttpClient,
) -> None:
    before: list[str | None] = []
    peers: set[object] = set()

    @web.middleware
    async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Runs before request_id_middleware: nothing may be set yet.
        before.append(current_request_id())
        peers.add(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return await handler(request)

    app = web.Application(middlewares=[outer, request_id_middleware()])
    app.router.add_get("/", echo_id)
    client = await aiohttp_client(app)
    first = await client.get("/", headers={HEADER: "first"})
    assert await first.text() == "first"
    second = await client.get("/")
    seen = await second.text()
    assert NEW_ID.fullmatch(seen)
    assert second.headers[HEADER] == seen
    assert before == [None, None]
    assert len(peers) == 1, "both requests came on one keep-alive connection"


async def test_pipelined_requests_each_get_their_own_id(
    aiohttp_client: AiohttpClient,
) -> None:
    # Two requests sent at once on one socket, the second before the first
    # is answered.
    app = web.Application(middlewares=[request_id_middleware()])
    app.router.add_get("/", echo_id)
    client = await aiohttp_client(app)
    assert client.port is not None
    reader, writer = await send(client.port, "GET", "/")
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: second\r\n"
        b"Connection: close\r\n\r\n"
    )
    replies = await reader.read()
    writer.close()
    first, second = replies.split(b"HTTP/1.1 200 OK")[1:]
    first_id = first.rpartition(b"\r\n\r\n")[2].decode()
    assert NEW_ID.fullmatch(first_id)
    assert second.endswith(b"\r\n\r\nsecond")


def test_outside_a_request_there_is_no_id() -> None:
    assert current_request_id() is None
