"""CORS middleware on actual (non-preflight) requests, through a real server."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest
from yarl import URL

from aiohttp_middlewares import cors
from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_CREDENTIALS,
    ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS,
    DEFAULT_ALLOW_HEADERS,
    DEFAULT_ALLOW_METHODS,
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


def test_defaults_are_the_documented_ones() -> None:
    assert DEFAULT_ALLOW_HEADERS == (
        "accept",
        "accept-encoding",
        "authorization",
        "content-type",
        "dnt",
        "origin",
        "user-agent",
        "x-csrftoken",
        "x-requested-with",
    )
    assert DEFAULT_ALLOW_METHODS == ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")


def test_header_name_constants_name_the_headers() -> None:
    names = {
        name: getattr(cors, name)
        for name in dir(cors)
        if name.startswith("ACCESS_CONTROL")
    }
    assert names == {
        "ACCESS_CONTROL": "Access-Control",
        "ACCESS_CONTROL_ALLOW_CREDENTIALS": "Access-Control-Allow-Credentials",
        "ACCESS_CONTROL_ALLOW_HEADERS": "Access-Control-Allow-Headers",
        "ACCESS_CONTROL_ALLOW_METHODS": "Access-Control-Allow-Methods",
        "ACCESS_CONTROL_ALLOW_ORIGIN": "Access-Control-Allow-Origin",
        "ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK": "Access-Control-Allow-Private-Network",
        "ACCESS_CONTROL_EXPOSE_HEADERS": "Access-Control-Expose-Headers",
        "ACCESS_CONTROL_MAX_AGE": "Access-Control-Max-Age",
        "ACCESS_CONTROL_REQUEST_HEADERS": "Access-Control-Request-Headers",
        "ACCESS_CONTROL_REQUEST_METHOD": "Access-Control-Request-Method",
        "ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": (
            "Access-Control-Request-Private-Network"
        ),
    }


async def test_no_origin_is_allowed_by_default(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client)
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert response.status == 200
    assert cors_headers(response.headers) == {}


async def test_listed_origin_gets_itself_back(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert await response.text() == "hello"
    assert cors_headers(response.headers) == {"access-control-allow-origin": ORIGIN}


async def test_yarl_url_origin_is_allowed(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, origins=[URL(ORIGIN)])
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_regex_origin_allows_what_it_matches(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client, origins=[re.compile(r"^https://[a-z]+\.example$")]
    )
    allowed = await client.get("/", headers={"Origin": ORIGIN})
    refused = await client.get("/", headers={"Origin": "https://app.example.org"})
    assert allowed.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in refused.headers


async def test_regex_origin_keeps_start_anchored_match(
    aiohttp_client: AiohttpClient,
) -> None:
    # Documented pattern.match semantics: existing configurations keep working,
    # a pattern without "$" admits longer origins (and a warning says so).
    client = await serve(aiohttp_client, origins=[re.compile(r"https://app\.example")])
    response = await client.get("/", headers={"Origin": f"{ORIGIN}.evil.test"})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == f"{ORIGIN}.evil.test"


async def test_allow_all_answers_star(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, allow_all=True)
    response = await client.get("/", headers={"Origin": OTHER})
    assert cors_headers(response.headers) == {"access-control-allow-origin": "*"}


async def test_allow_all_with_credentials_reflects_the_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, allow_all=True, allow_credentials=True)
    response = await client.get("/", headers={"Origin": OTHER})
    assert cors_headers(response.headers) == {
        "access-control-allow-origin": OTHER,
        "access-control-allow-credentials": "true",
    }


def test_allow_all_with_credentials_warns_at_factory_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(allow_all=True, allow_credentials=True)
    assert "every website can read responses made with the user's cookies" in (
        caplog.text
    )


def test_allow_all_without_credentials_does_not_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(allow_all=True)
    assert caplog.records == []


async def test_credentials_header_sent_when_enabled(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_credentials=True)
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert response.headers[ACCESS_CONTROL_ALLOW_CREDENTIALS] == "true"


async def test_expose_headers_sent_in_configured_order(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN], expose_headers=["X-Total", "X-Page"]
    )
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert response.headers[ACCESS_CONTROL_EXPOSE_HEADERS] == "X-Total, X-Page"


async def test_refused_origin_gets_no_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[ORIGIN],
        allow_credentials=True,
        expose_headers=["X-Total"],
        max_age=600,
    )
    response = await client.get("/", headers={"Origin": OTHER})
    assert await response.text() == "hello"
    assert cors_headers(response.headers) == {}


@pytest.mark.parametrize(
    "headers",
    [{"Origin": ORIGIN}, {"Origin": OTHER}, {}],
    ids=["allowed", "refused", "no-origin"],
)
async def test_vary_origin_on_every_response(
    aiohttp_client: AiohttpClient, headers: dict[str, str]
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get("/", headers=headers)
    assert response.headers.getall("Vary") == ["Origin"]


async def test_vary_origin_also_with_allow_all(aiohttp_client: AiohttpClient) -> None:
    # A cache must not give the Origin-less answer (no header) to a page.
    client = await serve(aiohttp_client, allow_all=True)
    response = await client.get("/")
    assert response.headers["Vary"] == "Origin"


async def test_vary_merges_with_the_handler_vary(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get(
        "/varies",
        params={"vary": "Accept-Encoding, Cookie"},
        headers={"Origin": ORIGIN},
    )
    assert response.headers.getall("Vary") == ["Accept-Encoding, Cookie, Origin"]


@pytest.mark.parametrize("vary", ["origin", "Cookie,Origin", "*"])
async def test_vary_never_duplicates_a_token(
    aiohttp_client: AiohttpClient, vary: str
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get(
        "/varies", params={"vary": vary}, headers={"Origin": ORIGIN}
    )
    assert response.headers.getall("Vary") == [vary]


async def test_urls_limit_cors_handling_to_matching_paths(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], urls=["/varies"])
    outside = await client.get("/", headers={"Origin": ORIGIN})
    inside = await client.get(
        "/varies", params={"vary": "Cookie"}, headers={"Origin": ORIGIN}
    )
    assert cors_headers(outside.headers) == {}
    assert "Vary" not in outside.headers
    assert inside.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_raised_http_error_gets_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get("/missing", headers={"Origin": ORIGIN})
    assert response.status == 404
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert response.headers["X-Trace"] == "t1"
    assert response.headers["Vary"] == "Origin"


async def test_unrouted_path_404_gets_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.get("/nowhere", headers={"Origin": ORIGIN})
    assert response.status == 404
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_raised_redirect_keeps_everything_it_carries(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN], allow_credentials=True)
    response = await client.get(
        "/moved", headers={"Origin": ORIGIN}, allow_redirects=False
    )
    assert response.status == 302
    assert response.headers["Location"] == "/next"
    assert response.headers["X-Reason"] == "moved"
    assert "session=abc" in response.headers["Set-Cookie"]
    assert cors_headers(response.headers) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }


async def test_raised_http_exception_reaches_outer_middlewares(
    aiohttp_client: AiohttpClient,
) -> None:
    outcomes: list[str] = []
    client = await aiohttp_client(
        api_app(recorder(outcomes), cors_middleware(origins=[ORIGIN]))
    )
    response = await client.get("/missing", headers={"Origin": ORIGIN})
    assert response.status == 404
    assert outcomes == ["raised 404"]


async def test_inner_error_middleware_answers_get_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        api_app(cors_middleware(origins=[ORIGIN]), error_middleware())
    )
    missing_response = await client.get("/missing", headers={"Origin": ORIGIN})
    broken_response = await client.get("/broken", headers={"Origin": ORIGIN})
    assert missing_response.status == 404
    assert await missing_response.json() == {"detail": "Not Found"}
    assert missing_response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert broken_response.status == 500
    assert await broken_response.json() == {"detail": "broken handler"}
    assert broken_response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_options_without_request_method_reaches_the_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, origins=[ORIGIN])
    response = await client.options("/", headers={"Origin": ORIGIN})
    assert await response.text() == "options handler"
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN


async def test_head_of_a_get_url_gets_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    # aiohttp runs the GET handler for HEAD: the answer is the same.
    client = await serve(aiohttp_client, origins=[ORIGIN], urls={"/": "GET"})
    response = await client.head("/", headers={"Origin": ORIGIN})
    assert response.status == 200
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == ORIGIN
    assert response.headers["Vary"] == "Origin"
