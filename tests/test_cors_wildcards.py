"""``"*"`` in allow_headers, allow_methods and expose_headers, with and without
credentials (Fetch: with credentials, a ``*`` is a literal name).

test_cors_browser.py proves each case in Chromium.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_EXPOSE_HEADERS,
    ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD,
    cors_middleware,
    cors_on_response_prepare,
)

from .helpers import CORS_LOGGER, ORIGIN, OTHER, api_app, serve

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

PUT = {"Origin": ORIGIN, ACCESS_CONTROL_REQUEST_METHOD: "PUT"}
STARS: dict[str, Any] = {
    "origins": [ORIGIN],
    "allow_headers": ["*"],
    "allow_methods": ["*"],
    "expose_headers": ["*"],
}


def asking(headers: str) -> dict[str, str]:
    return {**PUT, ACCESS_CONTROL_REQUEST_HEADERS: headers}


def names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",")]


@pytest.mark.parametrize("credentials", [False, True])
async def test_star_headers_answer_the_asked_headers_only_with_credentials(
    aiohttp_client: AiohttpClient, credentials: bool
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=credentials)
    response = await client.options("/", headers=asking("content-type,x-token"))
    expected = "content-type, x-token" if credentials else "*"
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == expected


@pytest.mark.parametrize(
    ("asked", "answered"),
    [("X-Token, x-Trace", "X-Token, x-Trace"), ("x-a, X-A,x-b, x-a", "x-a, x-b")],
    ids=["asked-spelling", "each-name-once"],
)
async def test_star_headers_send_back_each_asked_name_once_as_spelled(
    aiohttp_client: AiohttpClient, asked: str, answered: str
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.options("/", headers=asking(asked))
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == answered


async def test_star_headers_never_grant_authorization(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    with_others = await client.options("/", headers=asking("authorization,x-token"))
    alone = await client.options("/", headers=asking("Authorization"))
    assert with_others.headers[ACCESS_CONTROL_ALLOW_HEADERS] == "x-token"
    assert ACCESS_CONTROL_ALLOW_HEADERS not in alone.headers


@pytest.mark.parametrize("listed", ["Authorization", "x-a, authorization"])
async def test_star_headers_grant_authorization_listed_by_name(
    aiohttp_client: AiohttpClient, listed: str
) -> None:
    client = await serve(
        aiohttp_client,
        **{**STARS, "allow_headers": ["*", listed]},
        allow_credentials=True,
    )
    response = await client.options("/", headers=asking("authorization,x-token"))
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == "authorization, x-token"


async def test_star_headers_without_asked_headers_send_none(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.options("/", headers=PUT)
    assert response.status == 200
    assert ACCESS_CONTROL_ALLOW_HEADERS not in response.headers


async def test_star_headers_never_send_back_what_is_no_header_name(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.options("/", headers=asking("x-a, b@d, ,x c,x-d"))
    assert response.headers[ACCESS_CONTROL_ALLOW_HEADERS] == "x-a, x-d"


@pytest.mark.parametrize("method", ["PATCH", "patch", "PURGE"])
async def test_star_methods_answer_the_asked_method_with_credentials(
    aiohttp_client: AiohttpClient, method: str
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.options(
        "/", headers={**PUT, ACCESS_CONTROL_REQUEST_METHOD: method}
    )
    assert response.headers[ACCESS_CONTROL_ALLOW_METHODS] == method


async def test_star_methods_never_send_back_what_is_no_method(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.options(
        "/", headers={**PUT, ACCESS_CONTROL_REQUEST_METHOD: "P UT"}
    )
    assert response.status == 200
    assert ACCESS_CONTROL_ALLOW_METHODS not in response.headers


async def test_stars_without_credentials_go_out_literally(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS)
    preflight = await client.options("/", headers=asking("x-token"))
    actual = await client.get("/", headers={"Origin": ORIGIN})
    assert preflight.headers[ACCESS_CONTROL_ALLOW_METHODS] == "*"
    assert preflight.headers[ACCESS_CONTROL_ALLOW_HEADERS] == "*"
    assert actual.headers[ACCESS_CONTROL_EXPOSE_HEADERS] == "*"


async def test_star_expose_lists_the_answer_own_names_with_credentials(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.get("/", headers={"Origin": ORIGIN})
    # hello sends X-Total and X-Secret; Content-Type and Content-Length are
    # always readable, the Access-Control-* headers are the protocol's own.
    assert names(response.headers[ACCESS_CONTROL_EXPOSE_HEADERS]) == [
        "X-Total",
        "X-Secret",
        "Vary",
    ]


async def test_star_expose_never_lists_set_cookie(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.get(
        "/moved", headers={"Origin": ORIGIN}, allow_redirects=False
    )
    assert "Set-Cookie" in response.headers
    exposed = names(response.headers[ACCESS_CONTROL_EXPOSE_HEADERS])
    assert sorted(exposed) == ["Location", "Vary", "X-Reason"]


async def test_star_expose_keeps_the_names_listed_beside_it(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client,
        **{**STARS, "expose_headers": ["X-Later", "*", "x-total"]},
        allow_credentials=True,
    )
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert names(response.headers[ACCESS_CONTROL_EXPOSE_HEADERS]) == [
        "X-Later",
        "x-total",
        "X-Secret",
        "Vary",
    ]


async def test_star_expose_is_sent_only_to_allowed_origins(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    response = await client.get("/", headers={"Origin": OTHER})
    assert ACCESS_CONTROL_EXPOSE_HEADERS not in response.headers


async def test_star_expose_lists_the_same_names_streamed_or_not(
    aiohttp_client: AiohttpClient,
) -> None:
    # aiohttp adds Date, Server and Transfer-Encoding when it prepares the
    # stream, before the callback runs: they are not the answer's own names.
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"X-Total": "3", "X-Secret": "s"})
        await response.prepare(request)
        await response.write(b"data")
        return response

    app = api_app(cors_middleware(**STARS, allow_credentials=True))
    app.router.add_get("/stream", stream)
    app.on_response_prepare.append(cors_on_response_prepare)
    client = await aiohttp_client(app)
    plain = await client.get("/", headers={"Origin": ORIGIN})
    streamed = await client.get("/stream", headers={"Origin": ORIGIN})
    assert await streamed.text() == "data"
    assert "Transfer-Encoding" in streamed.headers
    exposed = names(streamed.headers[ACCESS_CONTROL_EXPOSE_HEADERS])
    assert {"X-Total", "X-Secret"} <= set(exposed)
    assert exposed == names(plain.headers[ACCESS_CONTROL_EXPOSE_HEADERS])


async def test_stars_with_credentials_log_nothing_but_authorization(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(aiohttp_client, **STARS, allow_credentials=True)
    with caplog.at_level(logging.INFO, logger=CORS_LOGGER):
        await client.options("/", headers=asking("x-token"))
        assert caplog.records == []
        await client.options("/", headers=asking("x-token,authorization"))
    [record] = caplog.records
    assert "header(s) authorization not in allow_headers" in record.getMessage()
