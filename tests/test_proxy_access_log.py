"""ProxyAccessLogger: aiohttp's access log shows the client proxy_middleware found.

Each test serves a real application with aiohttp's runner, as ``web.run_app``
does, and reads the line that aiohttp's access logger wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_log import AccessLogger

from aiohttp_middlewares import ProxyAccessLogger, https_middleware, proxy_middleware
from aiohttp_middlewares.annotations import Middleware

from .helpers import AccessLog, report_app, serving

FORMAT = '%a "%r" %s %{Host}i'
Get = Callable[..., Awaitable[str]]
TRUSTING = proxy_middleware(trusted_proxies=["127.0.0.1"])


@asynccontextmanager
async def logged(*middlewares: Middleware, **kwargs: Any) -> AsyncIterator[Get]:
    """Serve report_app(*middlewares); yield get(path, **headers) -> log line."""
    kwargs.setdefault("access_log_class", ProxyAccessLogger)
    kwargs.setdefault("access_log_format", FORMAT)
    with AccessLog.capture() as log:
        async with (
            serving(report_app(*middlewares), **kwargs) as port,
            aiohttp.ClientSession() as session,
        ):

            async def get(path: str = "/", **headers: str) -> str:
                named = {k.replace("_", "-"): v for k, v in headers.items()}
                url = f"http://127.0.0.1:{port}{path}"
                async with session.get(url, headers=named) as response:
                    await response.read()
                return await log.next_line()

            yield get


async def test_access_log_shows_the_client() -> None:
    async with logged(TRUSTING) as get:
        line = await get(X_Forwarded_For="203.0.113.7", Host="shop.example")
    assert line == '203.0.113.7 "GET / HTTP/1.1" 200 shop.example'


async def test_default_format_starts_with_the_client() -> None:
    async with logged(TRUSTING, access_log_format=AccessLogger.LOG_FORMAT) as get:
        line = await get("/items?page=2", X_Forwarded_For="203.0.113.7")
    assert line.startswith("203.0.113.7 [")
    assert '"GET /items?page=2 HTTP/1.1" 200' in line


async def test_aiohttp_s_own_logger_shows_the_proxy() -> None:
    # What ProxyAccessLogger is for (aiohttp#4580, closed as won't-fix).
    async with logged(TRUSTING, access_log_class=AccessLogger) as get:
        line = await get(X_Forwarded_For="203.0.113.7")
    assert line.startswith("127.0.0.1 ")


async def test_request_without_proxy_headers_logs_the_peer() -> None:
    async with logged(TRUSTING) as get:
        assert (await get()).startswith("127.0.0.1 ")


async def test_untrusted_peer_logs_the_peer() -> None:
    async with logged(proxy_middleware(trusted_proxies=["10.0.0.0/8"])) as get:
        assert (await get(X_Forwarded_For="203.0.113.7")).startswith("127.0.0.1 ")


async def test_inner_clones_keep_the_client_in_the_log() -> None:
    # https_middleware after proxy_middleware clones the clone again.
    middlewares = (TRUSTING, https_middleware({"X-Scheme": "https"}))
    async with logged(*middlewares) as get:
        line = await get(X_Forwarded_For="203.0.113.7", X_Scheme="https")
    assert line.startswith("203.0.113.7 ")


async def test_refused_host_logs_the_client() -> None:
    middleware = proxy_middleware(
        trusted_proxies=["127.0.0.1"], allowed_hosts=["example.com"]
    )
    async with logged(middleware) as get:
        line = await get(X_Forwarded_For="203.0.113.7", Host="evil.test")
    assert line == '203.0.113.7 "GET / HTTP/1.1" 400 evil.test'


def test_logger_is_a_drop_in_access_log_class() -> None:
    assert issubclass(ProxyAccessLogger, AbstractAccessLogger)
    assert issubclass(ProxyAccessLogger, AccessLogger)
