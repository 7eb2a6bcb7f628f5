"""Helpers for tests where a request's task gets cancelled.

aiohttp cancels a handler whose client disconnects only when the server runs
with ``handler_cancellation=True``, which the test client fixtures do not set:
:func:`serving` starts such a server, :func:`send` opens a raw connection the
test can drop at the moment it chooses, and :class:`Outcome` is an outermost
middleware recording what came out of the rest of the chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from aiohttp_middlewares.annotations import Handler


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[int]:
    """Serve *app* on a free loopback port with handler cancellation on."""
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def send(
    port: int, method: str, path: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send a request on a raw connection; close the writer to disconnect."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def disconnect(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


class Outcome:
    """An outer middleware that records how the inner chain ended."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.error: BaseException | None = None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.done.set()
