"""Responses prepared by their handler get CORS headers from the prepare callback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares.annotations import Handler, Middleware
from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_ORIGIN,
    cors_middleware,
    cors_on_response_prepare,
)
from aiohttp_middlewares.error import error_middleware
from aiohttp_middlewares.https import https_middleware

from .helpers import (
    CORS_LOGGER,
    EVENT,
    ORIGIN,
    OTHER,
    api_app,
    cors_headers,
    event_stream,
    websocket,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


def streaming_app(*middlewares: Any, callback: bool = True) -> web.Application:
    app = api_app(*middlewares)
    app.router.add_get("/stream", event_stream)
    app.router.add_get("/socket", websocket)
    if callback:
        app.on_response_prepare.append(cors_on_response_prepare)
    return app


async def test_stream_on_a_cloned_request_gets_headers_without_warning(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    # https_middleware hands the handler request.clone(), whose dict is a copy:
    # the callback and the middleware must still share one decision.
    client = await aiohttp_client(
        streaming_app(cors_middleware(origins=[ORIGIN]), https_middleware())
    )
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        response = await client.get(
            "/stream", headers={"Origin": ORIGIN, "X-Forwarded-Proto": "https"}
        )
        assert await response.text() == EVENT.decode()
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert response.headers["Vary"] == "Origin"
    assert caplog.records == []


async def test_prepared_stream_gets_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        streaming_app(cors_middleware(origins=[ORIGIN], expose_headers=["X-Id"]))
    )
    response = await client.get("/stream", headers={"Origin": ORIGIN})
    assert await response.text() == EVENT.decode()
    assert cors_headers(response.headers) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-expose-headers": "X-Id",
    }
    assert response.headers["Vary"] == "Origin"


async def test_prepared_stream_of_refused_origin_varies_only(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(streaming_app(cors_middleware(origins=[ORIGIN])))
    response = await client.get("/stream", headers={"Origin": OTHER})
    assert cors_headers(response.headers) == {}
    assert response.headers["Vary"] == "Origin"


def stripping(*names: str) -> Middleware:
    """An outer middleware removing the headers *names* from the response."""

    @web.middleware
    async def strip(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        for name in names:
            response.headers.popall(name, None)
        return response

    return strip


async def test_callback_does_not_apply_headers_again_to_a_returned_response(
    aiohttp_client: AiohttpClient,
) -> None:
    # The middleware gave the response its headers; the callback runs later,
    # when aiohttp prepares it. Applying them again would undo the outer
    # middleware, which took them away meanwhile.
    client = await aiohttp_client(
        streaming_app(
            stripping(ACCESS_CONTROL_ALLOW_ORIGIN, "Vary"),
            cors_middleware(origins=[ORIGIN]),
        )
    )
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert await response.text() == "hello"
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    assert "Vary" not in response.headers


async def test_middleware_does_not_apply_headers_again_to_a_prepared_stream(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The callback gave the stream its headers; the middleware, which sees it
    # prepared afterwards, would otherwise warn that it came too late.
    client = await aiohttp_client(streaming_app(cors_middleware(origins=[ORIGIN])))
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        response = await client.get("/stream", headers={"Origin": ORIGIN})
        assert await response.text() == EVENT.decode()
    assert response.headers.getall(ACCESS_CONTROL_ALLOW_ORIGIN) == [ORIGIN]
    assert response.headers.getall("Vary") == ["Origin"]
    assert caplog.records == []


async def test_callback_leaves_other_paths_alone(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        streaming_app(cors_middleware(origins=[ORIGIN], urls=["/"]))
    )
    response = await client.get("/stream", headers={"Origin": ORIGIN})
    assert cors_headers(response.headers) == {}
    assert "Vary" not in response.headers


async def test_callback_alone_does_nothing(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(streaming_app())
    response = await client.get("/stream", headers={"Origin": ORIGIN})
    assert cors_headers(response.headers) == {}


async def test_callback_gives_outer_error_answer_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        streaming_app(error_middleware(), cors_middleware(origins=[ORIGIN]))
    )
    missing = await client.get("/missing", headers={"Origin": ORIGIN})
    broken = await client.get("/broken", headers={"Origin": ORIGIN})
    assert missing.status == 404
    assert missing.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert broken.status == 500
    assert broken.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_callback_gives_unhandled_error_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(streaming_app(cors_middleware(origins=[ORIGIN])))
    response = await client.get("/broken", headers={"Origin": ORIGIN})
    assert response.status == 500
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_raised_exception_headers_stay_single_with_callback(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(streaming_app(cors_middleware(origins=[ORIGIN])))
    response = await client.get("/missing", headers={"Origin": ORIGIN})
    assert response.headers.getall(ACCESS_CONTROL_ALLOW_ORIGIN) == [ORIGIN]
    assert response.headers.getall("Vary") == ["Origin"]


async def test_prepared_stream_without_callback_warns_once(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(
        streaming_app(cors_middleware(origins=[ORIGIN]), callback=False)
    )
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        first = await client.get("/stream", headers={"Origin": ORIGIN})
        await client.get("/stream", headers={"Origin": ORIGIN})
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in first.headers
    [record] = caplog.records
    assert "app.on_response_prepare.append(cors_on_response_prepare)" in (
        record.getMessage()
    )


async def test_websocket_without_callback_does_not_warn(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(
        streaming_app(cors_middleware(origins=[ORIGIN]), callback=False)
    )
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        async with client.ws_connect("/socket", origin=ORIGIN) as ws:
            await ws.receive()
    assert caplog.records == []
