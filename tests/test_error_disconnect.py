"""Errors at the connection level.

A client that goes away is no application error: 499 at INFO, no error
handler. A handler that fails after its response started streaming cannot get
an error response: the connection is cut instead.

Each test talks to a real server over a raw socket, so that it can drop the
connection at the moment it chooses: in the middle of the request body, or
while the handler streams its answer. The server runs as ``web.run_app`` runs
it, without handler cancellation (the test client fixtures turn it on), so the
handler sees the error that aiohttp raises for the lost connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_middleware, get_error_response
from aiohttp_middlewares.annotations import Handler

from .helpers import ERROR_LOGGER, disconnect, error_records, serving


async def settled(event: asyncio.Event) -> None:
    """Wait for *event*, failing the test instead of hanging it."""
    await asyncio.wait_for(event.wait(), 5)


async def reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP reset, as a killed client does."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    await disconnect(writer)


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


class Scene:
    """A server whose handler says when it runs, and what came out of it."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.done = asyncio.Event()
        self.statuses: list[int] = []
        self.handled: list[web.Request] = []

    def app(self, endpoint: Handler) -> web.Application:
        @web.middleware
        async def outcome(request: web.Request, handler: Handler) -> web.StreamResponse:
            try:
                response = await handler(request)
                self.statuses.append(response.status)
                return response
            finally:
                self.done.set()

        async def error_handler(request: web.Request) -> web.Response:
            self.handled.append(request)
            return web.Response(status=500)

        app = web.Application(
            middlewares=[outcome, error_middleware(default_handler=error_handler)]
        )
        app.router.add_route("*", "/", endpoint)
        return app

    async def leave(
        self,
        endpoint: Handler,
        sent: bytes,
        drop: Callable[[asyncio.StreamWriter], Awaitable[None]],
        then: Callable[[], object] = lambda: None,
    ) -> None:
        """Send *sent*, *drop* the connection once the handler runs, *then* wait."""
        async with serving(self.app(endpoint), handler_cancellation=False) as port:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(sent)
            await settled(self.running)
            await drop(writer)
            then()
            await settled(self.done)

    async def exchange(self, endpoint: Handler, sent: bytes) -> bytes:
        """Send *sent* and read until the server closes the connection."""
        async with serving(self.app(endpoint), handler_cancellation=False) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(sent)
            answer = await asyncio.wait_for(reader.read(), 5)
            await disconnect(writer)
        return answer

    def assert_client_gone(self, caplog: pytest.LogCaptureFixture, text: str) -> None:
        """No error handler ran, and one INFO line without traceback has *text*."""
        assert self.statuses == [499]
        assert self.handled == []
        [record] = error_records(caplog)
        assert record.levelno == logging.INFO
        assert record.exc_info is None
        assert text in record.getMessage()


@pytest.fixture
def scene(caplog: pytest.LogCaptureFixture) -> Scene:
    caplog.set_level(logging.INFO, logger=ERROR_LOGGER)
    return Scene()


async def test_client_gone_mid_body_is_logged_as_499(
    caplog: pytest.LogCaptureFixture, scene: Scene
) -> None:
    async def reads_body(request: web.Request) -> web.Response:
        scene.running.set()
        await request.read()
        return web.Response()  # pragma: no cover - the body never completes

    half = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nhalf"
    await scene.leave(reads_body, half, disconnect)
    scene.assert_client_gone(caplog, "POST / -> 499")


async def test_client_gone_while_streaming_is_logged_as_499(
    caplog: pytest.LogCaptureFixture, scene: Scene
) -> None:
    async def streams(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        scene.running.set()
        # The client reads nothing: the writes soon wait for the buffer to
        # drain (before the test runs again), and the reset fails that wait
        # with a plain ConnectionError. Bounded all the same.
        for _ in range(10_000):
            await response.write(b"x" * 65_536)
        return response  # pragma: no cover

    await scene.leave(streams, GET, reset)
    scene.assert_client_gone(caplog, "GET / -> 499: client closed the connection")
    assert "(ConnectionError(" in caplog.text


async def test_write_after_client_reset_is_logged_as_499(
    caplog: pytest.LogCaptureFixture, scene: Scene
) -> None:
    go = asyncio.Event()

    async def writes_late(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        scene.running.set()
        await go.wait()
        for _ in range(100):
            await response.write(b"late")
        return response  # pragma: no cover

    await scene.leave(writes_late, GET, reset, then=go.set)
    scene.assert_client_gone(caplog, "ClientConnectionResetError")


async def test_connection_reset_from_elsewhere_is_an_application_error(
    caplog: pytest.LogCaptureFixture, scene: Scene
) -> None:
    async def upstream_reset(request: web.Request) -> web.Response:
        raise ConnectionResetError("upstream reset the connection")

    close_after = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = await scene.exchange(upstream_reset, close_after)
    assert answer.startswith(b"HTTP/1.1 500 ")
    assert len(scene.handled) == 1
    [record] = error_records(caplog)
    assert record.levelno == logging.ERROR


async def test_error_after_streaming_started_cuts_the_connection(
    caplog: pytest.LogCaptureFixture, scene: Scene
) -> None:
    async def fails_mid_stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"partial")
        raise ValueError("mid-stream")

    # Keep-alive: only a cut connection ends the exchange.
    answer = await scene.exchange(fails_mid_stream, GET)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.count(b"HTTP/1.1") == 1
    assert answer.endswith(b"7\r\npartial\r\n")
    assert scene.handled == []
    [record] = error_records(caplog)
    assert record.levelno == logging.ERROR
    assert "GET / -> 500" in record.getMessage()


async def test_error_after_streaming_to_a_gone_client_needs_no_cut() -> None:
    request = make_mocked_request("GET", "/", writer=mock.Mock(output_size=100))
    request.protocol.transport = None  # the connection is lost already
    response = await get_error_response(request, ValueError("late"))
    assert request.transport is None
    assert response.status == 500
