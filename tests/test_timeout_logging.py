"""A timeout is logged once, at ERROR, saying where the handler was waiting.

One record across every logger of the package, error_middleware's included,
without traceback: the method, the path, the limit, and the file, line and
function of the innermost frame of the handler's coroutine when the limit
struck, for a handler shielded in a task of its own too. The place is in the
record only: the 504 answer says the limit. The traceback is logged at DEBUG.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares import (
    error_middleware,
    shield_middleware,
    timeout_middleware,
)
from aiohttp_middlewares.annotations import Handler, Middleware

from .helpers import app_with, error_records, package_errors, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

LIMIT = 0.05
TIMEOUT_LOGGER = "aiohttp_middlewares.timeout"


class Waiting:
    """A handler that waits at a line of its own until the test releases it."""

    def __init__(self) -> None:
        self.release: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.finished = asyncio.Event()

    async def handler(self, request: web.Request) -> web.Response:
        await self.release  # the place the log names
        self.finished.set()
        return web.Response(text="saved")

    @property
    def place(self) -> str:
        """``file:line in handler`` of the await above."""
        return place_of(Waiting.handler)


def place_of(function: Callable[..., object]) -> str:
    """``file:line in name`` of the line of *function* marked as the place."""
    lines, first = inspect.getsourcelines(function)
    [offset] = [n for n, line in enumerate(lines) if "the place the log names" in line]
    return f"{__file__}:{first + offset} in {function.__name__}"


async def timed_out(
    aiohttp_client: AiohttpClient,
    handler: Handler,
    *middlewares: Middleware,
    method: str = "GET",
) -> Any:
    """Run *handler* for ``/report`` behind *middlewares* until its 504."""
    app = web.Application(middlewares=middlewares)
    app.router.add_route(method, "/report", handler)
    client = await aiohttp_client(app)
    response = await client.request(method, "/report")
    assert response.status == 504
    return await response.text()


def expected(method: str, waiting: Waiting) -> str:
    return (
        f"{method} /report -> 504: Request handling exceeded {LIMIT} seconds; "
        f"the handler was waiting at {waiting.place}"
    )


async def test_timeout_is_one_error_record_saying_where_it_waited(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp_middlewares")
    waiting = Waiting()
    body = await timed_out(
        aiohttp_client, waiting.handler, error_middleware(), timeout_middleware(LIMIT)
    )
    [record] = package_errors(caplog)
    assert record.name == TIMEOUT_LOGGER
    assert record.exc_info is None
    assert record.getMessage() == expected("GET", waiting)
    assert error_records(caplog) == []
    # The answer names the limit, never the place.
    assert body == f'{{"detail": "Request handling exceeded {LIMIT} seconds"}}'


async def test_timeout_without_error_middleware_is_one_error_record(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    waiting = Waiting()
    await timed_out(aiohttp_client, waiting.handler, timeout_middleware(LIMIT))
    [record] = package_errors(caplog)
    assert record.getMessage() == expected("GET", waiting)
    assert record.exc_info is None


async def _sleeping(request: web.Request) -> web.Response:
    await asyncio.sleep(10)  # the place the log names
    return web.Response()


async def _event_waiting(request: web.Request) -> web.Response:
    await asyncio.Event().wait()  # the place the log names
    return web.Response()


@pytest.mark.parametrize("handler", [_sleeping, _event_waiting])
async def test_the_place_is_the_handler_line_not_inside_asyncio(
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    handler: Handler,
) -> None:
    await timed_out(
        aiohttp_client, handler, error_middleware(), timeout_middleware(LIMIT)
    )
    [record] = package_errors(caplog)
    assert record.getMessage().endswith(f"waiting at {place_of(handler)}")


async def test_shielded_handler_is_found_where_it_waits_not_in_the_shield(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp_middlewares")
    waiting = Waiting()
    body = await timed_out(
        aiohttp_client,
        waiting.handler,
        error_middleware(),
        timeout_middleware(LIMIT),
        shield_middleware(methods=["POST"]),
        method="POST",
    )
    assert "Request handling exceeded" in body
    waiting.release.set_result(None)
    await waiting.finished.wait()  # the shielded handler went on to its end
    [record] = package_errors(caplog)
    assert record.getMessage() == expected("POST", waiting)
    assert "shield.py" not in record.getMessage()
    assert record.exc_info is None


async def test_traceback_and_stack_are_logged_at_debug(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_middlewares")
    waiting = Waiting()
    await timed_out(
        aiohttp_client, waiting.handler, error_middleware(), timeout_middleware(LIMIT)
    )
    [debug] = [
        record
        for record in caplog.records
        if record.name == TIMEOUT_LOGGER and record.levelno == logging.DEBUG
    ]
    assert debug.exc_info is not None
    assert debug.exc_info[0] is asyncio.CancelledError
    line = waiting.place.split(":")[1].split(" ")[0]
    assert f'File "{__file__}", line {line}, in handler' in debug.getMessage()
    assert "await self.release  # the place the log names" in debug.getMessage()
    assert len(package_errors(caplog)) == 1


async def test_handlers_own_timeout_is_logged_by_error_middleware(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(app_with(raising(asyncio.TimeoutError("db"))))
    response = await client.get("/")
    assert response.status == 504
    [record] = package_errors(caplog)
    assert record.name == "aiohttp_middlewares.error"
    assert record.exc_info is not None


async def test_timeout_keeps_its_message_when_unexpected_ones_are_hidden(
    aiohttp_client: AiohttpClient,
) -> None:
    body = await timed_out(
        aiohttp_client,
        Waiting().handler,
        error_middleware(hide_unexpected_messages=True),
        timeout_middleware(LIMIT),
    )
    assert body == f'{{"detail": "Request handling exceeded {LIMIT} seconds"}}'
