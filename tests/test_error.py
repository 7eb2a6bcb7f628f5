"""error_middleware: JSON answers, error handlers, config, what is caught, logs.

Its answers to HTTP exceptions and to timeouts, and the checks of its
arguments, have modules of their own (test_error_http_exceptions,
test_error_timeouts, test_error_config).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import warnings
from typing import TYPE_CHECKING, ClassVar

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from aiohttp_middlewares import (
    default_error_handler,
    error_context,
    error_middleware,
    get_error_response,
)
from aiohttp_middlewares.annotations import Handler
from aiohttp_middlewares.error import ERROR_KEY, ErrorContext

from .helpers import (
    ERROR_LOGGER,
    answering,
    answering_with,
    app_with,
    error_records,
    ok,
    raising,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


class Conflict(Exception):
    status = 409
    data: ClassVar = {"detail": "taken", "field": "email"}


async def test_response_passes_through_unchanged(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(ok))
    response = await client.get("/")
    assert response.status == 200
    assert await response.text() == "fine"
    assert response.headers["X-Kept"] == "1"


async def test_value_error_answers_500_with_its_message(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(ValueError("wrong value"))))
    response = await client.get("/")
    assert response.status == 500
    assert response.content_type == "application/json"
    assert await response.json() == {"detail": "wrong value"}


async def test_unknown_path_answers_404_not_found(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(ValueError())))
    response = await client.get("/nowhere")
    assert response.status == 404
    assert await response.json() == {"detail": "Not Found"}


async def test_http_error_answers_its_status_and_reason(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPBadRequest(reason="Missing name")
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 400
    assert await response.json() == {"detail": "Missing name"}


async def test_exception_status_and_data_make_the_answer(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(Conflict("taken"))))
    response = await client.get("/")
    assert response.status == 409
    assert await response.json() == {"detail": "taken", "field": "email"}


async def test_empty_message_becomes_the_status_phrase(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(ValueError())))
    response = await client.get("/")
    assert await response.json() == {"detail": "Internal Server Error"}


@pytest.mark.parametrize("status", [200, 302, 600, "404", True])
async def test_status_attribute_that_is_no_error_status_gives_500(
    aiohttp_client: AiohttpClient, status: object
) -> None:
    err = ValueError("odd")
    err.status = status  # type: ignore[attr-defined]
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 500


async def test_error_context_describes_the_error(
    aiohttp_client: AiohttpClient,
) -> None:
    seen: list[ErrorContext] = []
    err = web.HTTPNotFound()

    async def handler(request: web.Request) -> web.StreamResponse:
        with error_context(request) as context:
            seen.append(context)
            return web.Response(status=context.status)

    client = await aiohttp_client(app_with(raising(err), default_handler=handler))
    await client.get("/")
    assert seen == [ErrorContext(err, "Not Found", 404, {"detail": "Not Found"})]


def test_error_context_outside_an_error_handler_raises() -> None:
    request = make_mocked_request("GET", "/")
    with (
        pytest.raises(RuntimeError, match="no error on the request"),
        error_context(request),
    ):
        pass  # pragma: no cover - the context manager raises on entry


async def test_default_handler_replaces_the_json_answer(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(raising(Conflict()), default_handler=answering("custom"))
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 409
    assert await response.text() == "custom"


async def test_error_is_stored_under_a_request_key_without_warning(
    aiohttp_client: AiohttpClient,
) -> None:
    stored: list[Exception] = []
    err = ValueError("kept")

    async def handler(request: web.Request) -> web.Response:
        stored.append(request[ERROR_KEY])
        return web.Response(status=500)

    client = await aiohttp_client(app_with(raising(err), default_handler=handler))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await client.get("/")
    # web.RequestKey exists from aiohttp 3.14; older aiohttp gets a str key.
    key_type = getattr(web, "RequestKey", str)
    assert isinstance(ERROR_KEY, key_type)
    assert stored == [err]
    assert caught == []


async def test_failing_error_handler_answers_plain_500(
    aiohttp_client: AiohttpClient,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("handler bug")

    client = await aiohttp_client(
        app_with(raising(web.HTTPNotFound()), default_handler=broken)
    )
    response = await client.get("/")
    assert response.status == 500
    assert await response.json() == {"detail": "Internal Server Error"}


async def test_failing_error_handler_logs_both_exceptions(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("handler bug")

    caplog.set_level(logging.INFO, logger=ERROR_LOGGER)
    app = app_with(raising(ValueError("first")), default_handler=broken)
    client = await aiohttp_client(app)
    await client.get("/")
    first, second = error_records(caplog)
    assert first.exc_info is not None
    assert first.exc_info[0] is ValueError
    assert second.levelno == logging.ERROR
    assert second.exc_info is not None
    assert second.exc_info[0] is RuntimeError


async def test_config_picks_the_handler_of_an_exact_path(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(
        raising(ValueError()), "/", "/page", config={"/page": answering("page")}
    )
    client = await aiohttp_client(app)
    assert await (await client.get("/page")).text() == "page"
    assert await (await client.get("/")).json() == {"detail": "Internal Server Error"}


async def test_config_picks_the_handler_of_a_matching_regex(
    aiohttp_client: AiohttpClient,
) -> None:
    config = {re.compile(r"^/api/"): answering("api")}
    app = app_with(raising(ValueError()), "/api/items", "/items", config=config)
    client = await aiohttp_client(app)
    assert await (await client.get("/api/items")).text() == "api"
    assert (await client.get("/items")).content_type == "application/json"


async def test_config_picks_the_handler_of_a_yarl_url(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(raising(ValueError()), config={URL("/"): answering("url")})
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "url"


async def test_config_first_matching_key_wins(aiohttp_client: AiohttpClient) -> None:
    config = {
        re.compile(r"^/api/"): answering("regex first"),
        "/api/items": answering("exact second"),
    }
    app = app_with(raising(ValueError()), "/api/items", config=config)
    client = await aiohttp_client(app)
    assert await (await client.get("/api/items")).text() == "regex first"


async def test_config_applies_to_unknown_paths(aiohttp_client: AiohttpClient) -> None:
    app = app_with(raising(ValueError()), config={re.compile(r"^/"): answering("all")})
    client = await aiohttp_client(app)
    response = await client.get("/nowhere")
    assert response.status == 404
    assert await response.text() == "all"


async def test_ignored_exception_gets_aiohttp_own_answer(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(raising(ValueError()), ignore_exceptions=web.HTTPNotFound)
    client = await aiohttp_client(app)
    response = await client.get("/nowhere")
    assert response.status == 404
    assert response.content_type == "text/plain"
    assert await response.text() == "404: Not Found"


async def test_ignored_exceptions_tuple_are_raised_again_untouched() -> None:
    err = KeyError("raw")
    middleware = error_middleware(ignore_exceptions=(ValueError, KeyError))
    with pytest.raises(KeyError) as raised:
        await middleware(make_mocked_request("GET", "/"), raising(err))
    assert raised.value is err


async def test_ignored_exceptions_may_be_a_list() -> None:
    middleware = error_middleware(ignore_exceptions=[KeyError])  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        await middleware(make_mocked_request("GET", "/"), raising(KeyError()))


@pytest.mark.parametrize(
    "err",
    [asyncio.CancelledError(), KeyboardInterrupt(), SystemExit(1)],
    ids=lambda err: type(err).__name__,
)
async def test_process_level_exceptions_are_never_caught(err: BaseException) -> None:
    async def handler(request: web.Request) -> web.Response:
        raise err

    middleware = error_middleware(default_handler=answering("never"))
    with pytest.raises(type(err)) as raised:
        await middleware(make_mocked_request("GET", "/"), handler)
    assert raised.value is err


async def test_get_error_response_answers_a_mocked_request() -> None:
    request = make_mocked_request("GET", "/")
    response = await get_error_response(request, ValueError("unit test"))
    assert isinstance(response, web.Response)
    assert response.status == 500
    assert response.text == '{"detail": "unit test"}'


async def test_get_error_response_takes_config(aiohttp_client: AiohttpClient) -> None:
    custom = answering_with(config={"/": answering("configured")})
    app = web.Application(middlewares=[custom])
    app.router.add_get("/", raising(ValueError()))
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "configured"


async def test_outer_middleware_receives_the_error_response(
    aiohttp_client: AiohttpClient,
) -> None:
    statuses: list[int] = []

    @web.middleware
    async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        statuses.append(response.status)
        return response

    app = web.Application(middlewares=[outer, error_middleware()])
    app.router.add_get("/", raising(ValueError()))
    client = await aiohttp_client(app)
    await client.get("/")
    assert statuses == [500]


async def test_server_error_is_logged_at_error_with_traceback(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ERROR_LOGGER)
    client = await aiohttp_client(app_with(raising(ValueError("wrong value"))))
    await client.get("/")
    [record] = error_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    assert "GET / -> 500" in record.getMessage()


async def test_client_error_is_logged_at_info_without_traceback(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ERROR_LOGGER)
    client = await aiohttp_client(app_with(raising(ValueError())))
    await client.get("/nowhere")
    [record] = error_records(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert "GET /nowhere -> 404" in record.getMessage()


async def test_log_arguments_are_not_formatted_when_the_level_is_off(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    formatted: list[str] = []

    class Watched(Exception):
        status = 400

        def __repr__(self) -> str:
            formatted.append("repr")
            return "Watched()"

        __str__ = __repr__

    async def quiet(request: web.Request) -> web.Response:
        return web.Response(status=400)

    caplog.set_level(logging.WARNING, logger=ERROR_LOGGER)
    app = app_with(raising(Watched()), default_handler=quiet)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 400
    assert formatted == []
    assert error_records(caplog) == []


def test_default_error_handler_is_the_default() -> None:
    parameter = inspect.signature(error_middleware).parameters["default_handler"]
    assert parameter.default is default_error_handler
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
