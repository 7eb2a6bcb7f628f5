"""error_middleware(hide_unexpected_messages=True): no internals in the answer.

An unexpected exception (no HTTPException, no status or data of its own) is
answered with its status phrase only, by both shipped error handlers; the log
keeps its message and traceback. What the application meant to say (an
HTTPException's reason, an exception's own status or data) is still said.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_context, get_error_response, problem_error_handler

from .helpers import app_with, error_records, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

SECRET = "SELECT * FROM users WHERE token = 's3cr3t'"


class Conflict(Exception):
    status = 409


class WithData(Exception):
    data: ClassVar = {"detail": "kept", "field": "email"}


async def body(aiohttp_client: AiohttpClient, err: Exception, **options: Any) -> Any:
    """The JSON body that *err* is answered with, hiding unexpected messages."""
    app = app_with(raising(err), hide_unexpected_messages=True, **options)
    client = await aiohttp_client(app)
    response = await client.get("/")
    return await response.json(content_type=None)


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (ValueError(SECRET), {"detail": "Internal Server Error"}),
        (asyncio.TimeoutError(SECRET), {"detail": "Gateway Timeout"}),
        (web.HTTPNotFound(reason="No item 9"), {"detail": "No item 9"}),
        (Conflict(SECRET), {"detail": SECRET}),
        (WithData(SECRET), {"detail": "kept", "field": "email"}),
    ],
    ids=["unexpected", "own-timeout", "http-exception", "own-status", "own-data"],
)
async def test_default_handler_says_only_the_phrase_of_unexpected_errors(
    aiohttp_client: AiohttpClient, err: Exception, expected: dict[str, Any]
) -> None:
    assert await body(aiohttp_client, err) == expected


async def test_problem_handler_says_only_the_phrase_of_unexpected_errors(
    aiohttp_client: AiohttpClient,
) -> None:
    problem = await body(
        aiohttp_client, ValueError(SECRET), default_handler=problem_error_handler
    )
    assert problem["title"] == problem["detail"] == "Internal Server Error"
    assert SECRET not in str(problem)


async def test_problem_handler_keeps_an_http_exception_reason(
    aiohttp_client: AiohttpClient,
) -> None:
    problem = await body(
        aiohttp_client,
        web.HTTPForbidden(reason="Sign in first"),
        default_handler=problem_error_handler,
    )
    assert problem["detail"] == "Sign in first"


async def test_the_log_keeps_the_message_and_traceback(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    await body(aiohttp_client, ValueError(SECRET))
    [record] = error_records(caplog)
    assert record.levelno == logging.ERROR
    assert SECRET in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert str(record.exc_info[1]) == SECRET


async def test_messages_reach_the_client_by_default(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(ValueError(SECRET))))
    response = await client.get("/")
    assert await response.json() == {"detail": SECRET}


@pytest.mark.parametrize(
    ("hide", "err", "hidden"),
    [
        (True, ValueError(SECRET), True),
        (False, ValueError(SECRET), False),
        (True, web.HTTPNotFound(reason=SECRET), False),
        (True, WithData(SECRET), False),
    ],
    ids=["hidden", "not-hiding", "http-exception", "own-data"],
)
async def test_error_context_says_whether_the_message_is_hidden(
    aiohttp_client: AiohttpClient, hide: bool, err: Exception, hidden: bool
) -> None:
    seen: list[tuple[bool, str]] = []

    async def custom(request: web.Request) -> web.Response:
        with error_context(request) as context:
            seen.append((context.hidden, context.message))
            return web.Response(status=context.status)

    app = app_with(raising(err), default_handler=custom, hide_unexpected_messages=hide)
    client = await aiohttp_client(app)
    await client.get("/")
    # The message is there to log; whether to show it is the handler's call.
    assert seen == [(hidden, SECRET)]


async def test_get_error_response_hides_too() -> None:
    request = make_mocked_request("GET", "/")
    response = await get_error_response(
        request, ValueError(SECRET), hide_unexpected_messages=True
    )
    assert isinstance(response, web.Response)
    assert response.text == '{"detail": "Internal Server Error"}'
