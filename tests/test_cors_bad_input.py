"""Bad configuration fails at factory time; bad request headers never crash."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD,
    ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK,
    cors_middleware,
)

from .helpers import ORIGIN, api_app, call, hello, serve

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


def suffix_check(request: web.Request, origin: str) -> bool:
    return origin.endswith(".example")


async def failing_check(request: web.Request, origin: str) -> bool:
    raise RuntimeError("tenant store is down")


# Every way of allowing an origin, so that each request path is exercised.
CONFIGS: list[dict[str, Any]] = [
    {"origins": [ORIGIN, "null"]},
    {"origins": [re.compile(".*")]},
    {"allow_all": True},
    {"allow_all": True, "allow_credentials": True, "allow_private_network": True},
    {"origins": [failing_check, suffix_check], "allow_credentials": True},
    {
        "origins": [suffix_check],
        "allow_credentials": True,
        "allow_headers": ["*"],
        "allow_methods": ["*"],
        "expose_headers": ["*"],
    },
]


def test_bare_string_origins_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^origins must be a collection"):
        cors_middleware(origins="https://a.example")


@pytest.mark.parametrize("item", [42, re.compile(rb"^https://")])
def test_origin_of_wrong_type_is_a_type_error(item: object) -> None:
    with pytest.raises(TypeError, match=r"^origins holds"):
        cors_middleware(origins=[item])  # type: ignore[list-item]


@pytest.mark.parametrize("max_age", [-1, 1.5, "600", True])
def test_max_age_must_be_a_non_negative_int(max_age: object) -> None:
    with pytest.raises(ValueError, match=r"^max_age must be a non-negative int"):
        cors_middleware(max_age=max_age)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argument", ["allow_methods", "allow_headers", "expose_headers"]
)
def test_non_string_header_item_is_a_type_error(argument: str) -> None:
    with pytest.raises(TypeError, match=f"^{argument} must hold strings only"):
        cors_middleware(**{argument: ["GET", b"PUT"]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argument", ["allow_methods", "allow_headers", "expose_headers"]
)
def test_bare_string_header_list_is_a_type_error(argument: str) -> None:
    # A str is a Collection[str] to the type checker: only the factory can tell.
    options: dict[str, Any] = {argument: "GET"}
    with pytest.raises(TypeError, match=f"^{argument} must be a collection"):
        cors_middleware(**options)


@pytest.mark.parametrize(
    "argument", ["allow_all", "allow_credentials", "allow_private_network"]
)
@pytest.mark.parametrize("value", ["false", "0", 0, 1, None])
def test_boolean_argument_refuses_a_non_bool(argument: str, value: object) -> None:
    # "false" from an environment variable is truthy: it would mean True.
    options: dict[str, Any] = {argument: value}
    with pytest.raises(TypeError, match=f"^{argument} must be True or False"):
        cors_middleware(**options)


@pytest.mark.parametrize(
    "argument", ["origins", "allow_methods", "allow_headers", "expose_headers"]
)
@pytest.mark.parametrize("value", ["X-A\r\nSet-Cookie: a=b", "X-A\n", "X\x00", "X\x7f"])
def test_control_character_in_a_header_value_is_a_value_error(
    argument: str, value: str
) -> None:
    options: dict[str, Any] = {argument: ["X-Fine", value]}
    with pytest.raises(ValueError, match=f"^{argument} holds"):
        cors_middleware(**options)


async def test_an_item_listing_several_headers_keeps_working(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[ORIGIN],
        allow_headers=["X-A, X-B", "X-C"],
        expose_headers=["X-D,\tX-E"],
    )
    preflight = await client.options(
        "/", headers={"Origin": ORIGIN, ACCESS_CONTROL_REQUEST_METHOD: "PUT"}
    )
    assert preflight.headers["Access-Control-Allow-Headers"] == "X-A, X-B, X-C"
    actual = await client.get("/", headers={"Origin": ORIGIN})
    assert actual.headers["Access-Control-Expose-Headers"] == "X-D,\tX-E"


def test_bad_urls_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^urls must be a collection"):
        cors_middleware(urls="/api")


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    "origin",
    ["", "null", "://", "https://app.example, https://b.example", "é" * 3, "x" * 8000],
)
async def test_odd_origin_never_yields_5xx(
    aiohttp_client: AiohttpClient, config: dict[str, Any], origin: str
) -> None:
    client = await serve(aiohttp_client, **config)
    actual = await client.get("/", headers={"Origin": origin})
    preflight = await client.options(
        "/", headers={"Origin": origin, ACCESS_CONTROL_REQUEST_METHOD: origin}
    )
    assert actual.status == 200
    assert preflight.status in {200, 403}


@pytest.mark.parametrize("config", CONFIGS)
async def test_non_ascii_origin_is_never_reflected(
    aiohttp_client: AiohttpClient, config: dict[str, Any]
) -> None:
    client = await serve(aiohttp_client, **config)
    response = await client.get("/", headers={"Origin": "https://é.example"})
    assert response.headers.get(ACCESS_CONTROL_ALLOW_ORIGIN, "*") == "*"


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nOrigin: \xc3\x28",
        b"OPTIONS / HTTP/1.1\r\nOrigin: https://\xff.example\r\n"
        b"Access-Control-Request-Method: \xff\r\n"
        b"Access-Control-Request-Headers: \xfe",
    ],
    ids=["actual", "preflight"],
)
async def test_undecodable_header_bytes_never_yield_5xx(
    aiohttp_client: AiohttpClient, config: dict[str, Any], head: bytes
) -> None:
    # Bytes that are not UTF-8 reach the middleware as surrogates, which cannot
    # be sent back in a header (the pure-Python writer fails, the C one drops
    # them). A raw socket sends what a client library won't.
    client = await aiohttp_client(api_app(cors_middleware(**config)))
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(head + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    status, *lines = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert status in {b"HTTP/1.1 200 OK", b"HTTP/1.1 403 Forbidden"}
    allow_origin = [
        line for line in lines if line.startswith(b"Access-Control-Allow-O")
    ]
    assert allow_origin in ([], [b"Access-Control-Allow-Origin: *"])


# make_mocked_request encodes headers as UTF-8: no surrogates here (see above).
header_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"), max_size=60
)


@settings(max_examples=200, deadline=None)
@given(
    config=st.sampled_from(CONFIGS),
    method=st.sampled_from(["GET", "OPTIONS", "PUT"]),
    origin=st.one_of(st.none(), header_text, st.just("null")),
    request_method=st.one_of(st.none(), header_text),
    request_headers=st.one_of(st.none(), header_text),
    private_network=st.one_of(st.none(), header_text, st.just("true")),
)
def test_random_request_headers_never_raise_nor_5xx(
    config: dict[str, Any],
    method: str,
    origin: str | None,
    request_method: str | None,
    request_headers: str | None,
    private_network: str | None,
) -> None:
    sent = {
        "Origin": origin,
        ACCESS_CONTROL_REQUEST_METHOD: request_method,
        ACCESS_CONTROL_REQUEST_HEADERS: request_headers,
        ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: private_network,
    }
    request = make_mocked_request(
        method, "/", headers={k: v for k, v in sent.items() if v is not None}
    )
    middleware = cors_middleware(**config)
    response = asyncio.run(call(middleware, request, hello))
    assert response.status < 500
    for name, value in response.headers.items():
        # What aiohttp will do when sending the headers: it must not fail.
        f"{name}: {value}\r\n".encode()
        assert "\r" not in value
        assert "\n" not in value


def test_empty_origin_counts_as_no_origin() -> None:
    request = make_mocked_request("GET", "/", headers={"Origin": ""})
    middleware = cors_middleware(allow_all=True)
    response = asyncio.run(call(middleware, request, hello))
    assert isinstance(response, web.Response)
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    assert response.headers["Vary"] == "Origin"
