"""CORS preflight requests: answered by the middleware itself, listing what is
configured (the ``"*"`` with credentials is in test_cors_wildcards.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK,
    ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD,
    ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK,
    cors_middleware,
)
from aiohttp_middlewares.error import error_middleware

from .helpers import (
    CORS_LOGGER,
    ORIGIN,
    OTHER,
    api_app,
    cors_headers,
    recorder,
    serve,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

PUT = {"Origin": ORIGIN, ACCESS_CONTROL_REQUEST_METHOD: "PUT"}
PRIVATE = {**PUT, ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: "true"}
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


async def test_accepted_preflight_is_the_exact_answer(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[ORIGIN],
        allow_methods=["PUT", "GET"],
        allow_headers=["content-type", "x-token"],
        expose_headers=["X-Total"],
        allow_credentials=True,
    )
    response = await client.options(
        "/",
        headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "content-type,x-token"},
    )
    assert response.status == 200
    assert await response.read() == b""
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert cors_headers(response.headers) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "PUT, GET",
        "access-control-allow-headers": "content-type, x-token",
        "access-control-expose-headers": "X-Total",
        "access-control-allow-credentials": "true",
    }


async def test_preflight_does_not_call_the_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.method)
        return web.Response(text="handler")

    app = web.Application(middlewares=[cors_middleware(origins=[ORIGIN])])
    app.router.add_route("*", "/", handler)
    client = await aiohttp_client(app)
    response = await client.options("/", headers=PUT)
    assert response.status == 200
    assert await response.text() == ""
    assert calls == []


async def test_preflight_answered_without_an_options_route(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    routed_get_only = await client.options("/varies", headers=PUT)
    unrouted = await client.options("/nowhere", headers=PUT)
    assert routed_get_only.status == 200
    assert unrouted.status == 200


async def test_preflight_answer_is_returned_not_raised(
    aiohttp_client: AiohttpClient,
) -> None:
    outcomes: list[str] = []
    client = await aiohttp_client(
        api_app(recorder(outcomes), cors_middleware(origins=[ORIGIN]))
    )
    await client.options("/nowhere", headers=PUT)
    await client.options("/nowhere", headers={**PUT, "Origin": OTHER})
    assert outcomes == ["returned 200", "returned 403"]


async def test_preflight_with_error_middleware_outside_is_accepted(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        api_app(error_middleware(), cors_middleware(origins=[ORIGIN]))
    )
    response = await client.options("/nowhere", headers=PUT)
    assert response.status == 200
    assert await response.text() == ""
    assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_preflight_sends_max_age_when_set(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], max_age=0)
    response = await client.options("/", headers=PUT)
    assert response.headers["Access-Control-Max-Age"] == "0"


async def test_preflight_without_max_age_omits_it(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.options("/", headers=PUT)
    assert "Access-Control-Max-Age" not in response.headers


async def test_preflight_default_lists(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.options("/", headers=PUT)
    assert response.headers[ACCESS_CONTROL_ALLOW_METHODS] == (
        "DELETE, GET, OPTIONS, PATCH, POST, PUT"
    )
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == (
        "accept, accept-encoding, authorization, content-type, dnt, origin, "
        "user-agent, x-csrftoken, x-requested-with"
    )


async def test_preflight_with_empty_lists_omits_them(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN], allow_methods=[], allow_headers=()
    )
    response = await client.options("/", headers=PUT)
    assert response.status == 200
    assert cors_headers(response.headers) == {"access-control-allow-origin": ORIGIN}


async def test_preflight_never_reflects_unconfigured_method_or_header(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN], allow_methods=["GET"], allow_headers=["a"]
    )
    response = await client.options(
        "/",
        headers={
            "Origin": ORIGIN,
            ACCESS_CONTROL_REQUEST_METHOD: "PROPFIND",
            ACCESS_CONTROL_REQUEST_HEADERS: "x-unknown",
        },
    )
    assert response.status == 200
    assert response.headers[ACCESS_CONTROL_ALLOW_METHODS] == "GET"
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == "a"


async def test_missing_method_is_logged_at_info(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_methods=["GET"])
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options("/", headers=PUT)
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert "method 'PUT' is not in allow_methods" in record.getMessage()


async def test_missing_headers_are_logged_at_info(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_headers=["X-Token"])
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options(
            "/",
            headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "x-token,x-a, , X-B"},
        )
    [record] = caplog.records
    assert "header(s) x-a, x-b not in allow_headers" in record.getMessage()


async def test_an_item_listing_several_headers_counts_as_those_names(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_headers=["X-A, X-B"])
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options(
            "/", headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "x-b"}
        )
    assert caplog.records == []


async def test_configured_request_logs_nothing(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options(
            "/",
            headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "content-type,x-csrftoken"},
        )
        # A browser may preflight a safelisted method because of a header.
        await client.options(
            "/", headers={**PUT, ACCESS_CONTROL_REQUEST_METHOD: "HEAD"}
        )
    assert caplog.records == []


async def test_wildcards_without_credentials_log_nothing(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN], allow_methods=["*"], allow_headers=["*"]
    )
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options(
            "/", headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "x-anything"}
        )
    assert caplog.records == []


async def test_header_wildcard_never_covers_authorization(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_headers=["*"])
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options(
            "/", headers={**PUT, ACCESS_CONTROL_REQUEST_HEADERS: "authorization"}
        )
    assert "header(s) authorization not in allow_headers" in caplog.text


async def test_refused_preflight_is_403_without_cors_headers(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN], allow_credentials=True, max_age=60
    )
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        response = await client.options("/", headers={**PUT, "Origin": OTHER})
    assert response.status == 403
    assert await response.text() == ""
    assert cors_headers(response.headers) == {}
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert "origin 'https://evil.example' is not allowed" in caplog.text


async def test_preflight_outside_urls_goes_to_the_router(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], urls=["/varies"])
    response = await client.options("/missing", headers=PUT)
    assert response.status == 405
    assert cors_headers(response.headers) == {}


async def test_preflight_matches_urls_dict_by_the_requested_method(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], urls={"/varies": "PUT"})
    response = await client.options("/varies", headers=PUT)
    assert response.status == 200
    assert response.headers[ACCESS_CONTROL_ALLOW_METHODS]
    assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_preflight_for_a_method_outside_urls_dict_goes_to_the_router(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], urls={"/varies": "POST"})
    response = await client.options("/varies", headers=PUT)
    assert response.status == 405
    assert cors_headers(response.headers) == {}


@pytest.mark.parametrize("urls", [["/"], {"/": "OPTIONS"}], ids=["list", "dict"])
async def test_an_empty_request_method_makes_an_actual_options_request(
    aiohttp_client: AiohttpClient, urls: Any
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], urls=urls)
    response = await client.options(
        "/", headers={"Origin": ORIGIN, ACCESS_CONTROL_REQUEST_METHOD: ""}
    )
    assert await response.text() == "options handler"
    assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_private_network_allowed_when_enabled_and_asked(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_private_network=True)
    response = await client.options("/", headers=PRIVATE)
    assert response.headers[ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK] == "true"
    assert response.headers["Vary"] == (
        f"{PREFLIGHT_VARY}, Access-Control-Request-Private-Network"
    )


async def test_private_network_not_allowed_unless_asked(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_private_network=True)
    response = await client.options("/", headers=PUT)
    assert ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK not in response.headers


async def test_private_network_not_allowed_when_disabled(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.options("/", headers=PRIVATE)
    assert ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK not in response.headers
    assert response.headers["Vary"] == PREFLIGHT_VARY


async def test_private_network_not_allowed_for_refused_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_private_network=True)
    response = await client.options("/", headers={**PRIVATE, "Origin": OTHER})
    assert response.status == 403
    assert ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK not in response.headers
