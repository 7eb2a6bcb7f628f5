"""error_middleware(exception_handlers=...): error handlers by class and status.

The most specific key wins: the error's classes from its own up its MRO, a
status key standing where the class that gives the error its status stands,
a status the middleware gives after every class. exception_handlers come
before config (URL), which comes before default_handler.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares.annotations import Handler

from .helpers import answering, answering_with, app_with, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


class Conflict(Exception):
    status = 409


class MissingItem(web.HTTPNotFound):
    pass


def with_status(err: Exception, status: int) -> Exception:
    """*err* with a ``status`` set on the instance."""
    err.status = status  # type: ignore[attr-defined]
    return err


async def answered(
    aiohttp_client: AiohttpClient,
    err: Exception,
    handlers: dict[Any, Handler],
) -> tuple[int, str]:
    """The status and text that *err* is answered with."""
    app = app_with(raising(err), exception_handlers=handlers)
    client = await aiohttp_client(app)
    response = await client.get("/")
    return response.status, await response.text()


DEFAULT_500 = '{"detail": "Internal Server Error"}'


@pytest.mark.parametrize(
    ("err", "handlers", "expected"),
    [
        # Class keys: the nearest class of the MRO wins.
        (KeyError(), {LookupError: answering("lookup")}, (500, "lookup")),
        (ValueError(), {LookupError: answering("lookup")}, (500, DEFAULT_500)),
        (
            KeyError(),
            {LookupError: answering("lookup"), KeyError: answering("key")},
            (500, "key"),
        ),
        (
            IndexError(),
            {Exception: answering("any"), LookupError: answering("lookup")},
            (500, "lookup"),
        ),
        # Status keys: an HTTPException's, a status attribute's, or the status
        # the middleware gives.
        (web.HTTPForbidden(), {403: answering("forbidden")}, (403, "forbidden")),
        (Conflict(), {409: answering("conflict")}, (409, "conflict")),
        (ValueError(), {500: answering("server")}, (500, "server")),
        (asyncio.TimeoutError(), {504: answering("slow")}, (504, "slow")),
        (ValueError(), {404: answering("missing")}, (500, DEFAULT_500)),
        # A status key stands where the class giving the status stands.
        (
            web.HTTPNotFound(),
            {Exception: answering("any"), 404: answering("missing")},
            (404, "missing"),
        ),
        (
            web.HTTPForbidden(),
            {web.HTTPClientError: answering("client"), 404: answering("missing")},
            (403, "client"),
        ),
        (
            web.HTTPNotFound(),
            {web.HTTPClientError: answering("client"), 404: answering("missing")},
            (404, "missing"),
        ),
        (
            Conflict(),
            {Exception: answering("any"), 409: answering("conflict")},
            (409, "conflict"),
        ),
        # ... and loses to a key of that very class, or of a nearer one.
        (
            web.HTTPNotFound(),
            {web.HTTPNotFound: answering("class"), 404: answering("status")},
            (404, "class"),
        ),
        (
            MissingItem(),
            {MissingItem: answering("mine"), 404: answering("status")},
            (404, "mine"),
        ),
        # A status set on the instance stands at the error's own class.
        (
            with_status(ValueError(), 409),
            {ValueError: answering("class"), 409: answering("status")},
            (409, "class"),
        ),
        (
            with_status(ValueError(), 409),
            {Exception: answering("any"), 409: answering("status")},
            (409, "status"),
        ),
        # A status the middleware gives comes after every class.
        (
            ValueError(),
            {ValueError: answering("value"), 500: answering("server")},
            (500, "value"),
        ),
        (
            RuntimeError(),
            {ValueError: answering("value"), 500: answering("server")},
            (500, "server"),
        ),
        (
            ValueError(),
            {Exception: answering("any"), 500: answering("server")},
            (500, "any"),
        ),
    ],
    ids=[
        "base-class",
        "unrelated-class",
        "own-class-first",
        "nearest-base",
        "http-exception-status",
        "status-attribute",
        "given-500",
        "given-504",
        "other-status",
        "status-beats-exception",
        "client-error-class",
        "status-beats-client-error-class",
        "class-status-beats-exception",
        "same-class-beats-status",
        "subclass-beats-status",
        "instance-status-loses-to-own-class",
        "instance-status-beats-base",
        "class-beats-given-status",
        "given-status-without-class",
        "exception-beats-given-status",
    ],
)
async def test_the_most_specific_key_answers(
    aiohttp_client: AiohttpClient,
    err: Exception,
    handlers: dict[Any, Handler],
    expected: tuple[int, str],
) -> None:
    assert await answered(aiohttp_client, err, handlers) == expected


@pytest.mark.parametrize(
    ("path", "err", "expected"),
    [
        ("/api/items", KeyError(), "exception handler"),
        ("/items", KeyError(), "exception handler"),
        ("/api/items", web.HTTPConflict(), "status handler"),
        ("/items", web.HTTPConflict(), "status handler"),
        ("/api/items", ValueError(), "config"),
        ("/items", ValueError(), "default"),
    ],
    ids=[
        "both-match",
        "exception-only",
        "status-and-config",
        "status-only",
        "config-only",
        "neither",
    ],
)
async def test_exception_handlers_come_before_config_then_default(
    aiohttp_client: AiohttpClient, path: str, err: Exception, expected: str
) -> None:
    app = app_with(
        raising(err),
        "/api/items",
        "/items",
        exception_handlers={
            KeyError: answering("exception handler"),
            409: answering("status handler"),
        },
        config={re.compile(r"^/api/"): answering("config")},
        default_handler=answering("default"),
    )
    client = await aiohttp_client(app)
    response = await client.get(path)
    assert await response.text() == expected


async def test_unknown_path_gets_the_handler_of_404(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(raising(ValueError()), exception_handlers={404: answering("gone")})
    client = await aiohttp_client(app)
    response = await client.get("/nowhere")
    assert (response.status, await response.text()) == (404, "gone")


async def test_ignored_exception_never_reaches_its_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(
        raising(ValueError()),
        exception_handlers={404: answering("missing")},
        ignore_exceptions=web.HTTPNotFound,
    )
    client = await aiohttp_client(app)
    response = await client.get("/nowhere")
    assert (response.status, await response.text()) == (404, "404: Not Found")


async def test_handler_of_a_class_keeps_the_exception_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPServiceUnavailable(headers={"Retry-After": "30"})
    app = app_with(raising(err), exception_handlers={503: answering("paused")})
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert (response.status, await response.text()) == (503, "paused")
    assert response.headers["Retry-After"] == "30"


async def test_get_error_response_takes_exception_handlers(
    aiohttp_client: AiohttpClient,
) -> None:
    custom = answering_with(exception_handlers={KeyError: answering("key")})
    app = web.Application(middlewares=[custom])
    app.router.add_get("/", raising(KeyError()))
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "key"
