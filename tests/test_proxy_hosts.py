"""proxy_middleware's allowed_hosts on a real server: which hosts get a 400."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from aiohttp_middlewares import cors_middleware, proxy_middleware

from .helpers import ORIGIN, recorder, report, serving

Client = TestClient[web.Request, web.Application]
Serve = Callable[..., Awaitable[Client]]
ALLOWED = ["example.com", "*.example.com", "192.0.2.1", "[2001:db8::1]", "Shop.Test."]


@pytest.fixture
def calls() -> list[str]:
    return []


def make_app(calls: list[str], **kwargs: Any) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(request.host)
        return await report(request)

    kwargs.setdefault("trusted_proxies", ["127.0.0.1"])
    kwargs.setdefault("allowed_hosts", ALLOWED)
    app = web.Application(middlewares=[proxy_middleware(**kwargs)])
    app.router.add_get("/", handler)
    return app


@pytest.fixture
def serve(aiohttp_client: Any, calls: list[str]) -> Serve:
    async def start(**kwargs: Any) -> Client:
        client: Client = await aiohttp_client(make_app(calls, **kwargs))
        return client

    return start


async def status(client: Client, **headers: str) -> int:
    renamed = {name.replace("_", "-"): value for name, value in headers.items()}
    async with client.get("/", headers=renamed) as response:
        await response.read()
        return response.status


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "EXAMPLE.COM",
        "example.com:8080",
        "example.com.",
        "shop.example.com",
        "a.b.example.com:443",
        "192.0.2.1:80",
        "[2001:db8::1]:8443",
        "shop.test",
        "SHOP.TEST:80",
    ],
)
async def test_allowed_host_reaches_the_handler(
    serve: Serve, calls: list[str], host: str
) -> None:
    client = await serve()
    assert await status(client, Host=host) == 200
    assert calls == [host]


@pytest.mark.parametrize(
    "host",
    [
        "evil.test",
        "example.com.evil.test",
        "evilexample.com",
        "example.co",
        "192.0.2.2",
        "[2001:db8::2]",
        "shop.test.evil",
        "a b",
        "example.com:",
        "example.com:x",
        "user@example.com",
        "example.com/",
        "",
    ],
)
async def test_other_host_is_answered_400_without_the_handler(
    serve: Serve, calls: list[str], host: str
) -> None:
    client = await serve()
    async with client.get("/", headers={"Host": host}) as response:
        assert response.status == 400
        assert await response.text() == "Host not allowed"
    assert calls == []


async def test_pattern_does_not_match_the_domain_itself(serve: Serve) -> None:
    client = await serve(allowed_hosts=["*.example.com"])
    assert await status(client, Host="shop.example.com") == 200
    assert await status(client, Host="example.com") == 400


@pytest.mark.parametrize("host", [".example.com", "shop..example.com"])
async def test_pattern_matches_no_empty_label(serve: Serve, host: str) -> None:
    client = await serve(allowed_hosts=["*.example.com"])
    assert await status(client, Host=host) == 400


async def test_missing_host_header_is_not_allowed(
    calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(make_app(calls)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        with caplog.at_level(logging.INFO, logger="aiohttp_middlewares.proxy"):
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            status_line = await reader.readline()
        writer.close()
        await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.0 400")
    assert calls == []
    assert "Host None is not allowed" in caplog.text


async def test_forwarded_host_from_a_trusted_proxy_is_checked(serve: Serve) -> None:
    client = await serve()
    assert await status(client, Host="app:8080", X_Forwarded_Host="example.com") == 200
    assert await status(client, Host="example.com", X_Forwarded_Host="evil.test") == 400


async def test_invalid_forwarded_host_leaves_the_host_header(serve: Serve) -> None:
    client = await serve()
    assert await status(client, Host="example.com", X_Forwarded_Host="a b") == 200


async def test_forwarded_host_from_an_untrusted_peer_is_not(serve: Serve) -> None:
    client = await serve(trusted_proxies=["10.0.0.0/8"])
    assert await status(client, Host="evil.test", X_Forwarded_Host="example.com") == 400
    assert await status(client, Host="example.com", X_Forwarded_Host="evil.test") == 200


async def test_forwarded_mode_checks_the_forwarded_host(serve: Serve) -> None:
    client = await serve(forwarded=True)
    assert await status(client, Host="app", Forwarded="host=example.com") == 200
    assert await status(client, Host="example.com", Forwarded="host=evil.test") == 400


async def test_star_allows_every_host(serve: Serve) -> None:
    client = await serve(allowed_hosts=["example.com", "*"])
    assert await status(client, Host="evil.test") == 200


async def test_refusal_is_a_returned_response_outer_middlewares_see(
    aiohttp_client: Any,
) -> None:
    # Placed after cors_middleware, the 400 gets CORS headers like any answer.
    outcomes: list[str] = []
    app = web.Application(
        middlewares=[
            recorder(outcomes),
            cors_middleware(origins=[ORIGIN]),
            proxy_middleware(trusted_proxies=["127.0.0.1"], allowed_hosts=ALLOWED),
        ]
    )
    app.router.add_get("/", report)
    client = await aiohttp_client(app)
    headers = {"Host": "evil.test", "Origin": ORIGIN}
    async with client.get("/", headers=headers) as response:
        assert response.status == 400
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert outcomes == ["returned 400"]


# Configuration


@pytest.mark.parametrize("allowed_hosts", ["example.com", [b"example.com"], [None]])
def test_allowed_hosts_types_are_checked(allowed_hosts: Any) -> None:
    with pytest.raises(TypeError, match="allowed_hosts"):
        proxy_middleware(trusted_proxies=["127.0.0.1"], allowed_hosts=allowed_hosts)


@pytest.mark.parametrize(
    "item",
    [
        "example.com:443",
        "::1",
        "[::g]",
        "a/b",
        "*example.com",
        "a.*.com",
        "*.",
        "**.example.com",
        "",
        "b\u00fccher.example",
    ],
)
def test_invalid_allowed_host_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="allowed_hosts"):
        proxy_middleware(trusted_proxies=["127.0.0.1"], allowed_hosts=[item])


def test_empty_allowed_hosts_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed_hosts is empty"):
        proxy_middleware(trusted_proxies=["127.0.0.1"], allowed_hosts=[])
