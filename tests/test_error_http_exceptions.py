"""error_middleware and aiohttp's HTTP exceptions.

Exceptions that are no errors (redirects, 204) pass through as aiohttp sends
them; the JSON answer to an HTTP error keeps the headers and cookies set on
the exception (Allow, WWW-Authenticate, Retry-After, ...), and an error
handler's own headers and cookies win over the exception's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares import error_middleware

from .helpers import ERROR_LOGGER, app_with, error_records, ok, raising

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
