"""A request body that aiohttp cannot read is the client's fault: 400, at INFO.

aiohttp raises ``web.RequestPayloadError`` into a handler that reads a body it
cannot decompress, under either of its HTTP parsers, and into one that reads a
broken chunked body under its pure-Python parser from aiohttp 3.13.4 on
(before, and with its C parser, the handler is never told: see
:func:`helpers.pure_python_server`). Each test sends its bytes over a raw
connection to a real server.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import pytest
from aiohttp import web
from aiohttp.http import HttpProcessingError

from aiohttp_middlewares import problem_error_handler

from .helpers import (
    ERROR_LOGGER,
    app_with,
    error_records,
    package_errors,
    pure_python_server,
    reading_app,
    serving,
)


def post(body: bytes, *headers: str) -> bytes:
    """The bytes of ``POST /`` with *headers* and *body*."""
    head = "".join(f"{header}\r\n" for header in ("Host: x", *headers))
    return f"POST / HTTP/1.1\r\n{head}\r\n".encode() + body


def compressed(encoding: str, body: bytes) -> bytes:
    """``POST /`` claiming *encoding* for a *body* that is not so encoded."""
    return post(body, f"Content-Encoding: {encoding}", f"Content-Length: {len(body)}")


# The server answers 100 Continue once it dispatched the request to its handler:
# a body sent after that fails in the handler's hands, not in aiohttp's parser.
CONTINUE = "Expect: 100-continue"


def chunked() -> bytes:
    """The head of ``POST /`` with a chunked body, waiting for 100 Continue."""
    return post(b"", "Transfer-Encoding: chunked", CONTINUE)


async def answer(port: int, data: bytes, body: bytes = b"") -> tuple[int, str, bytes]:
    """Send *data*, and *body* once the server says 100 Continue.

    :return: The status, content type and body answered.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        if body:
            assert (
                await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            )
            writer.write(body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = re.search(r"\r\nContent-Length: (\d+)", head, re.IGNORECASE)
        kind = re.search(r"\r\nContent-Type: ([^;\r]+)", head, re.IGNORECASE)
        assert length is not None
        assert kind is not None
        body = await reader.readexactly(int(length.group(1)))
    finally:
        writer.close()
        await writer.wait_closed()
    return int(head.split(" ", 2)[1]), kind.group(1), body


def aiohttp_version() -> tuple[int, ...]:
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", aiohttp.__version__)
    assert found is not None
    return tuple(map(int, found.groups()))


BROKEN_ENCODINGS = [
    compressed("gzip", b"these bytes are no gzip"),
    compressed("deflate", b"nor are these deflate"),
]


@pytest.mark.parametrize("data", BROKEN_ENCODINGS, ids=["gzip", "deflate"])
async def test_failed_decompression_answers_400_logged_at_info(
    caplog: pytest.LogCaptureFixture, data: bytes
) -> None:
    caplog.set_level(logging.INFO, logger=ERROR_LOGGER)
    async with serving(reading_app()) as port:
        status, kind, _ = await answer(port, data)
    assert (status, kind) == (400, "application/json")
    [record] = error_records(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert record.getMessage().startswith("POST / -> 400: RequestPayloadError(")
    assert package_errors(caplog) == []


async def test_failed_decompression_is_a_problem_of_status_400() -> None:
    app = reading_app(default_handler=problem_error_handler)
    async with serving(app) as port:
        status, kind, _ = await answer(port, BROKEN_ENCODINGS[0])
    assert (status, kind) == (400, "application/problem+json")


@pytest.mark.parametrize(
    "body",
    [b"2\r\nok\r\nzz\r\nhello\r\n0\r\n\r\n", b"2\r\nok\r\n3\r\nhello\r\n0\r\n\r\n"],
    ids=["chunk-size-no-hex", "chunk-longer-than-its-size"],
)
@pytest.mark.skipif(
    aiohttp_version() < (3, 13, 4),
    reason="aiohttp's pure-Python parser tells the handler from 3.13.4 on",
)
async def test_broken_chunked_body_answers_400_logged_at_info(body: bytes) -> None:
    with pure_python_server() as (port, lines):
        status, kind, _ = await answer(port, chunked(), body)
    assert (status, kind) == (400, "application/json")
    logged = [line for line in lines if f" {ERROR_LOGGER}: " in line]
    assert len(logged) == 1
    assert logged[0].startswith(f"INFO {ERROR_LOGGER}: POST / -> 400: ")
    # aiohttp's own logger reports the broken message too; the package's, only
    # the line above.
    assert [line for line in lines if " aiohttp_middlewares." in line] == logged


async def test_parser_error_raised_for_a_failed_body_answers_400() -> None:
    # What aiohttp's pure-Python parser does for a malformed chunk-size line:
    # it fails the body, and the handler sees the parser's own error.
    async def rethrowing(request: web.Request) -> web.Response:
        try:
            await request.read()
        except web.RequestPayloadError:
            raise HttpProcessingError(code=400, message="zz") from None
        raise AssertionError("the body is broken")  # pragma: no cover

    async with serving(app_with(rethrowing)) as port:
        status, _, _ = await answer(port, BROKEN_ENCODINGS[0])
    assert status == 400


async def test_parser_error_with_an_intact_body_stays_a_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The same error from an upstream response the handler read: not the
    # client's fault.
    async def upstream_failed(request: web.Request) -> web.Response:
        await request.read()
        raise HttpProcessingError(code=400, message="upstream sent garbage")

    async with serving(app_with(upstream_failed)) as port:
        status, _, _ = await answer(port, post(b"{}", "Content-Length: 2"))
    assert status == 500
    [record] = package_errors(caplog)
    assert record.exc_info is not None
