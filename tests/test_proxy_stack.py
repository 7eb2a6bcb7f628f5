"""proxy_middleware first, the other middlewares after it: they all see the client.

The stack is the README's recommended order, with an error handler and a
shielded handler that report what they see of the request.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    cors_middleware,
    error_middleware,
    proxy_middleware,
    shield_middleware,
    timeout_middleware,
)

from .helpers import ORIGIN, cors_headers, report

Client = TestClient[web.Request, web.Application]
FROM_PROXY = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.com",
    "Origin": ORIGIN,
}


async def fail(request: web.Request) -> web.Response:
    raise ValueError("broken")


async def error_report(request: web.Request) -> web.StreamResponse:
    response = await report(request)
    response.set_status(500)
    return response


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
async def client(aiohttp_client: Any, calls: list[str]) -> Client:
    async def counted(request: web.Request) -> web.StreamResponse:
        calls.append(request.method)
        return await report(request)

    app = web.Application(
        middlewares=[
            proxy_middleware(
                trusted_proxies=["127.0.0.1"], allowed_hosts=["api.example.com"]
            ),
            cors_middleware(origins=[ORIGIN]),
            error_middleware(default_handler=error_report),
            timeout_middleware(29.5),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    app.router.add_get("/", counted)
    app.router.add_post("/", counted)
    app.router.add_get("/fail", fail)
    result: Client = await aiohttp_client(app)
    return result


CLIENT_SEEN = {
    "remote": "203.0.113.7",
    "scheme": "https",
    "secure": True,
    "host": "api.example.com",
    "url": "https://api.example.com/",
}


async def test_handler_sees_the_client_and_cors_answers(client: Client) -> None:
    async with client.get("/", headers=FROM_PROXY) as response:
        assert await response.json() == CLIENT_SEEN
        assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_shielded_handler_sees_the_client(client: Client) -> None:
    async with client.post("/", headers=FROM_PROXY) as response:
        assert await response.json() == CLIENT_SEEN


async def test_error_handler_sees_the_client(client: Client) -> None:
    async with client.get("/fail", headers=FROM_PROXY) as response:
        assert response.status == 500
        result = await response.json()
        assert (result["remote"], result["url"]) == (
            "203.0.113.7",
            "https://api.example.com/fail",
        )
        assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_preflight_passes_through(client: Client) -> None:
    headers = {**FROM_PROXY, "Access-Control-Request-Method": "POST"}
    async with client.options("/", headers=headers) as response:
        assert response.status == 200
        assert cors_headers(response.headers)["access-control-allow-origin"] == ORIGIN


async def test_refused_host_gets_a_plain_400_first(
    client: Client, calls: list[str]
) -> None:
    # proxy_middleware is outermost: nothing after it runs, so the 400 carries
    # no CORS header and the handler never runs.
    headers = {**FROM_PROXY, "X-Forwarded-Host": "evil.test"}
    async with client.get("/", headers=headers) as response:
        assert response.status == 400
        assert response.content_type == "text/plain"
        assert cors_headers(response.headers) == {}
    assert calls == []
