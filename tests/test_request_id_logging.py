"""RequestIdFilter puts the request's id on every log record, access log included.

The records are those of a real server, caught by a handler that carries the
filter (:class:`helpers.Lines`), as the docs set it up: the application's own
logger, the package's, and aiohttp's access log, whose line aiohttp writes
after the middleware returned.
"""

from __future__ import annotations

import asyncio
import logging
from logging.handlers import QueueHandler, QueueListener
from queue import Queue
from typing import TYPE_CHECKING

from aiohttp import web

from aiohttp_middlewares import (
    RequestIdFilter,
    cors_middleware,
    error_middleware,
    request_id_middleware,
)

from .helpers import (
    CORS_LOGGER,
    ERROR_LOGGER,
    NEW_ID,
    ORIGIN,
    OTHER,
    Lines,
    finish_after_client_left,
    logged,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

HEADER = "X-Request-ID"
ACCESS = "aiohttp.access"
APP = "tests.app"
SHIELD = "aiohttp_middlewares.shield"


async def hello(request: web.Request) -> web.Response:
    logging.getLogger(APP).info("saying hello")
    return web.Response(text="hello")


async def broken(request: web.Request) -> web.Response:
    raise ValueError("broken")


def logging_app() -> web.Application:
    app = web.Application(middlewares=[request_id_middleware(), error_middleware()])
    app.router.add_get("/hello", hello)
    app.router.add_get("/broken", broken)
    return app


async def test_every_line_of_a_request_carries_its_id(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(logging_app())
    with logged(ACCESS, APP, ERROR_LOGGER) as lines:
        kept = await client.get("/hello", headers={HEADER: "kept-1"})
        new = await client.get("/broken")
        await kept.read()
        await new.read()
    new_id = new.headers[HEADER]
    assert NEW_ID.fullmatch(new_id)
    assert [(line.logger, line.request_id) for line in lines.lines] == [
        (APP, "kept-1"),
        (ACCESS, "kept-1"),
        (ERROR_LOGGER, new_id),
        (ACCESS, new_id),
    ]
    assert '"GET /hello HTTP/1.1" 200' in lines.of(ACCESS)[0].message
    assert '"GET /broken HTTP/1.1" 500' in lines.of(ACCESS)[1].message


async def test_cors_preflight_notes_carry_the_id(aiohttp_client: AiohttpClient) -> None:
    app = web.Application(
        middlewares=[request_id_middleware(), cors_middleware(origins=[ORIGIN])]
    )
    app.router.add_get("/hello", hello)
    client = await aiohttp_client(app)
    preflight = {"Origin": OTHER, "Access-Control-Request-Method": "GET"}
    with logged(CORS_LOGGER) as lines:
        response = await client.options("/hello", headers={**preflight, HEADER: "p-1"})
    assert response.status == 403
    [line] = lines.lines
    assert line.message == f"CORS preflight refused: origin {OTHER!r} is not allowed"
    assert line.request_id == "p-1"


async def test_access_log_with_its_own_format_and_logger() -> None:
    # web.AppRunner(access_log=..., access_log_format=...), as run_app takes
    # them: the line is written after the middleware returned.
    logger = logging.getLogger("tests.access")
    lines = Lines()
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    app = logging_app()
    runner = web.AppRunner(app, access_log=logger, access_log_format='"%r" %s')
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Request-ID: access-1\r\n"
            b"Connection: close\r\n\r\n"
        )
        await reader.read()
        writer.close()
    finally:
        await runner.cleanup()
        logger.removeHandler(lines)
    [line] = lines.lines
    assert line.message == '"GET /hello HTTP/1.1" 200'
    assert line.request_id == "access-1"


async def test_shields_report_after_the_client_left_carries_the_id() -> None:
    async def save(request: web.Request) -> web.Response:
        raise RuntimeError("the save failed")

    with logged(SHIELD) as lines:
        await finish_after_client_left(save)
    # The shutdown runs outside any request; the report, in a callback of the
    # request's, carries its id.
    shutdown, report = lines.of(SHIELD)
    assert shutdown.message == "Shutdown waits for 1 shielded handler(s): POST /"
    assert shutdown.request_id == "-"
    assert report.message == (
        "Shielded handler of POST / failed after its request was cancelled"
    )
    assert NEW_ID.fullmatch(report.request_id)


async def test_with_a_queue_the_filter_goes_on_the_queue_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    # The listener's thread runs no request: the id must be read before.
    queue: Queue[logging.LogRecord] = Queue()
    sender = QueueHandler(queue)
    sender.addFilter(RequestIdFilter())
    lines = Lines()
    listener = QueueListener(queue, lines)
    logger = logging.getLogger(APP)
    logger.addHandler(sender)
    logger.setLevel(logging.INFO)
    listener.start()
    try:
        client = await aiohttp_client(logging_app())
        response = await client.get("/hello", headers={HEADER: "queued-1"})
        assert response.status == 200
    finally:
        listener.stop()
        logger.removeHandler(sender)
        logger.setLevel(logging.NOTSET)
    [line] = lines.lines
    assert (line.message, line.request_id) == ("saying hello", "queued-1")


def test_outside_a_request_the_filter_puts_a_dash() -> None:
    with logged(APP) as lines:
        logging.getLogger(APP).warning("starting")
    [line] = lines.lines
    assert line.request_id == "-"


def test_an_id_given_with_extra_is_kept() -> None:
    with logged(APP) as lines:
        logging.getLogger(APP).info("job", extra={"request_id": "job-7"})
    [line] = lines.lines
    assert line.request_id == "job-7"


def test_the_filter_keeps_every_record() -> None:
    record = logging.LogRecord(APP, logging.DEBUG, __file__, 1, "x", None, None)
    assert RequestIdFilter().filter(record) is True
    assert record.__dict__["request_id"] == "-"


def test_percent_request_id_formats_the_id() -> None:
    record = logging.LogRecord(APP, logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    formatter = logging.Formatter("[%(request_id)s] %(message)s")
    assert formatter.format(record) == "[-] hello"
