"""The proxy examples that the docs include run and do what the docs say.

Each is served on 127.0.0.1 and called either from 127.0.0.1 (the proxy of the
examples) or from 127.0.0.2 (another peer, trusted only by ``"*"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aiohttp_middlewares import ProxyAccessLogger
from docs.examples import (
    proxy_allowed_hosts,
    proxy_behind_nginx,
    proxy_forwarded,
    remotes_allowed_hosts,
    remotes_forwarded_relaxed,
    remotes_forwarded_strict,
    remotes_x_forwarded_relaxed,
    remotes_x_forwarded_strict,
)

from .helpers import CLIENT, bound_to, run_as_script, serving

EXAMPLES = Path(proxy_behind_nginx.__file__).parent
SPOOFED = "6.6.6.6, 203.0.113.7"


async def fetch(
    app: web.Application, source: str = "127.0.0.1", **headers: str
) -> tuple[int, Any]:
    """GET / of *app* from the loopback address *source*: status, body."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    async with (
        serving(app) as port,
        aiohttp.ClientSession(connector=bound_to(source)) as session,
        session.get(f"http://127.0.0.1:{port}/", headers=named) as response,
    ):
        text = await response.text()
        is_json = response.content_type == "application/json"
        return response.status, json.loads(text) if is_json else text


async def test_behind_nginx_app_sees_the_client_from_local_nginx() -> None:
    app = proxy_behind_nginx.create_app()
    headers = {"X_Forwarded_For": SPOOFED, "X_Forwarded_Proto": "https"}
    assert await fetch(app, Host="example.com", **headers) == (
        200,
        {"client": "203.0.113.7", "url": "https://example.com/"},
    )


async def test_allowed_hosts_app_serves_its_hosts_only() -> None:
    app = proxy_allowed_hosts.create_app()
    assert await fetch(app, Host="example.com") == (200, "Welcome to example.com")
    assert (await fetch(app, Host="shop.example.com:8080"))[0] == 200
    assert await fetch(app, Host="evil.test") == (400, "Host not allowed")


async def test_forwarded_app_walks_the_elements() -> None:
    app = proxy_forwarded.create_app()
    value = "for=6.6.6.6, for=203.0.113.7, for=10.0.0.5;proto=https;host=example.com"
    status, body = await fetch(app, Forwarded=value, X_Forwarded_For="198.51.100.1")
    assert (status, body) == (
        200,
        {"client": "203.0.113.7", "url": "https://example.com/"},
    )


@pytest.mark.parametrize(
    ("example", "header", "value"),
    [
        (remotes_x_forwarded_relaxed, "X_Forwarded_For", SPOOFED),
        (remotes_forwarded_relaxed, "Forwarded", "for=6.6.6.6, for=203.0.113.7"),
    ],
)
async def test_relaxed_trusts_any_peer_but_only_the_nearest_hop(
    example: Any, header: str, value: str
) -> None:
    status, body = await fetch(example.create_app(), CLIENT, **{header: value})
    assert (status, body["client"]) == (200, "203.0.113.7")


@pytest.mark.parametrize(
    ("example", "header", "value"),
    [
        (remotes_x_forwarded_strict, "X_Forwarded_For", f"{SPOOFED}, 10.1.2.3"),
        (
            remotes_forwarded_strict,
            "Forwarded",
            "for=6.6.6.6, for=203.0.113.7, for=10.1.2.3",
        ),
    ],
)
async def test_strict_walks_over_the_listed_proxies_only(
    example: Any, header: str, value: str
) -> None:
    app = example.create_app()
    assert (await fetch(app, **{header: value}))[1]["client"] == "203.0.113.7"
    # From a peer that is not listed: served, with its own address.
    status, body = await fetch(example.create_app(), CLIENT, **{header: value})
    assert (status, body["client"]) == (200, CLIENT)


async def test_remotes_allowed_hosts_app_refuses_other_hosts() -> None:
    app = remotes_allowed_hosts.create_app()
    assert await fetch(app, Host="www.example.com") == (
        200,
        "Welcome to www.example.com",
    )
    assert (await fetch(app, Host="shop.example.com"))[0] == 400
    # A health check calling 127.0.0.1:<port> directly.
    assert (await fetch(remotes_allowed_hosts.create_app()))[0] == 200


@pytest.mark.parametrize(
    ("name", "host", "access_log_class"),
    [
        ("proxy_behind_nginx", "127.0.0.1", ProxyAccessLogger),
        ("proxy_allowed_hosts", "127.0.0.1", ProxyAccessLogger),
        ("proxy_forwarded", "0.0.0.0", None),
    ],
)
def test_example_runs_as_a_script(
    monkeypatch: pytest.MonkeyPatch, name: str, host: str, access_log_class: Any
) -> None:
    _, kwargs = run_as_script(monkeypatch, EXAMPLES / f"{name}.py")
    expected = {"host": host, "port": 8080}
    if access_log_class is not None:
        expected["access_log_class"] = access_log_class
    assert kwargs == expected
