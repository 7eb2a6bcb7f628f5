"""https_middleware behind Debian's nginx running the documented config.

nginx terminates TLS with a throw-away certificate and proxies to the app with
``X-Forwarded-Proto $scheme`` and ``Forwarded "for=$remote_addr;proto=$scheme"``
(docs/examples/nginx.conf, as the deployment docs show it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from aiohttp_middlewares import https_middleware
from docs.examples import https_behind_nginx

from .helpers import Nginx, StartNginx

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpServer

pytestmark = pytest.mark.nginx


async def report(request: web.Request) -> web.Response:
    return web.Response(text=request.scheme)


def reporting_app(**kwargs: Any) -> web.Application:
    app = web.Application(middlewares=[https_middleware(**kwargs)])
    app.router.add_get("/", report)
    return app


async def get(proxy: Nginx, path: str = "/") -> tuple[int, str, str | None]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            proxy.https_url + path, ssl=proxy.ssl, allow_redirects=False
        ) as response,
    ):
        return response.status, await response.text(), response.headers.get("Location")


@pytest.fixture
def behind_nginx(
    aiohttp_server: AiohttpServer, nginx: StartNginx
) -> Callable[[web.Application], Awaitable[Nginx]]:
    async def start(app: web.Application) -> Nginx:
        return nginx(await aiohttp_server(app))

    return start


async def test_documented_app_sees_https_scheme_and_url(behind_nginx: Any) -> None:
    proxy = await behind_nginx(https_behind_nginx.create_app())
    assert await get(proxy) == (200, f"https {proxy.https_url}/", None)


async def test_redirect_from_request_url_stays_on_https(behind_nginx: Any) -> None:
    proxy = await behind_nginx(https_behind_nginx.create_app())
    status, _, location = await get(proxy, "/login")
    assert (status, location) == (302, f"{proxy.https_url}/")


async def test_trusted_loopback_proxy_is_honoured(behind_nginx: Any) -> None:
    proxy = await behind_nginx(reporting_app(trusted_proxies=["127.0.0.1"]))
    assert (await get(proxy))[1] == "https"


async def test_proxy_outside_trusted_network_is_ignored(behind_nginx: Any) -> None:
    proxy = await behind_nginx(reporting_app(trusted_proxies=["10.0.0.0/8"]))
    assert (await get(proxy))[1] == "http"


async def test_forwarded_header_from_nginx_is_enough(behind_nginx: Any) -> None:
    app = reporting_app(match_headers={"Forwarded": "https"})
    proxy = await behind_nginx(app)
    assert (await get(proxy))[1] == "https"
