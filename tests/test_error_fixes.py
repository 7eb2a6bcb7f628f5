"""What error_middleware does better than the documented library.

Redirects pass, headers and cookies of HTTP exceptions survive, timeouts are
504, the error is stored without an aiohttp warning, a failing error handler
still gets a JSON 500, process-level exceptions are never caught, and bad
configuration fails at factory time naming the argument.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_middleware, timeout_middleware
from aiohttp_middlewares.error import ERROR_KEY

from .helpers import ERROR_LOGGER, answering, app_with, error_records, ok, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


@pytest.mark.parametrize(
    "redirect",
    [web.HTTPFound, web.HTTPMovedPermanently, web.HTTPSeeOther],
    ids=lambda kind: kind.__name__,
)
async def test_redirect_passes_through_with_its_location(
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    redirect: type[web.HTTPMove],
) -> None:
    caplog.set_level(logging.DEBUG, logger=ERROR_LOGGER)
    client = await aiohttp_client(app_with(raising(redirect("/elsewhere"))))
    response = await client.get("/", allow_redirects=False)
    assert response.status == redirect.status_code
    assert response.headers["Location"] == "/elsewhere"
    assert error_records(caplog) == []


async def test_no_content_passes_through(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(app_with(raising(web.HTTPNoContent())))
    response = await client.get("/")
    assert response.status == 204
    assert await response.read() == b""


async def test_method_not_allowed_keeps_allow(aiohttp_client: AiohttpClient) -> None:
    app = web.Application(middlewares=[error_middleware()])
    app.router.add_post("/", ok)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert await response.json() == {"detail": "Method Not Allowed"}


async def test_unauthorized_keeps_www_authenticate(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="api"'})
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


async def test_every_value_of_a_repeated_header_is_kept(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPUnauthorized(
        headers=[("WWW-Authenticate", "Basic"), ("WWW-Authenticate", "Bearer")]
    )
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.headers.getall("WWW-Authenticate") == ["Basic", "Bearer"]


@pytest.mark.parametrize(
    "kind",
    [web.HTTPTooManyRequests, web.HTTPServiceUnavailable],
    ids=lambda kind: kind.__name__,
)
async def test_retry_after_is_kept(
    aiohttp_client: AiohttpClient, kind: type[web.HTTPError]
) -> None:
    client = await aiohttp_client(
        app_with(raising(kind(headers={"Retry-After": "30"})))
    )
    response = await client.get("/")
    assert response.status == kind.status_code
    assert response.headers["Retry-After"] == "30"


async def test_cookie_set_on_the_exception_is_kept(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPForbidden()
    err.set_cookie("session", "", max_age=0, path="/")
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 403
    assert "session=" in response.headers["Set-Cookie"]
    assert "Max-Age=0" in response.headers["Set-Cookie"]


async def test_custom_header_on_the_exception_is_kept(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPConflict(headers={"X-Request-Id": "abc"})
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.headers["X-Request-Id"] == "abc"


async def test_error_handler_header_wins_over_the_exception_header(
    aiohttp_client: AiohttpClient,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=409, headers={"x-request-id": "handler"})

    err = web.HTTPConflict(headers={"X-Request-Id": "exception"})
    client = await aiohttp_client(app_with(raising(err), default_handler=handler))
    response = await client.get("/")
    assert response.headers.getall("X-Request-Id") == ["handler"]


async def test_error_handler_cookie_wins_over_the_exception_cookie(
    aiohttp_client: AiohttpClient,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        response = web.Response(status=403)
        response.set_cookie("session", "handler")
        return response

    err = web.HTTPForbidden()
    err.set_cookie("session", "exception")
    client = await aiohttp_client(app_with(raising(err), default_handler=handler))
    response = await client.get("/")
    assert response.headers.getall("Set-Cookie") == ["session=handler; Path=/"]


async def test_exception_body_headers_do_not_replace_the_json_ones(
    aiohttp_client: AiohttpClient,
) -> None:
    err = web.HTTPNotFound(text="<p>missing</p>", content_type="text/html")
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.content_type == "application/json"
    assert await response.json() == {"detail": "Not Found"}


async def test_timeout_answers_504_with_its_message(
    aiohttp_client: AiohttpClient,
) -> None:
    err = asyncio.TimeoutError("Request handling exceeded 29.5 seconds")
    client = await aiohttp_client(app_with(raising(err)))
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Request handling exceeded 29.5 seconds"}


async def test_bare_timeout_answers_504_gateway_timeout(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(raising(asyncio.TimeoutError())))
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Gateway Timeout"}


async def test_timeout_middleware_timeout_answers_504(
    aiohttp_client: AiohttpClient,
) -> None:
    never = asyncio.Event()

    async def hangs(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()  # pragma: no cover - never released

    app = web.Application(middlewares=[error_middleware(), timeout_middleware(0.01)])
    app.router.add_get("/", hangs)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 504
    assert await response.json() == {"detail": "Request handling exceeded 0.01 seconds"}


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


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"default_handler": "handler"}, "default_handler"),
        ({"config": [("/", answering("x"))]}, "config"),
        ({"config": {b"/": answering("x")}}, "config"),
        ({"config": {"/": None}}, r"config\['/'\]"),
        ({"ignore_exceptions": ValueError("x")}, "ignore_exceptions"),
        ({"ignore_exceptions": (ValueError, 1)}, "ignore_exceptions"),
        ({"ignore_exceptions": "ValueError"}, "ignore_exceptions"),
        ({"ignore_exceptions": int}, "ignore_exceptions"),
    ],
    ids=repr,
)
def test_bad_configuration_fails_naming_the_argument(
    options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError, match=f"^{argument}"):
        error_middleware(**options)
