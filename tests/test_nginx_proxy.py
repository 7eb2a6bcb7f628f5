"""proxy_middleware behind Debian's nginx running the documented config.

The client connects from 127.0.0.2, nginx (docs/examples/nginx.conf) from
127.0.0.1: the application must tell its client from its proxy. nginx
terminates TLS and sends ``X-Forwarded-For $proxy_add_x_forwarded_for``,
``X-Forwarded-Proto $scheme``, ``X-Forwarded-Host $host`` and
``Forwarded "for=$remote_addr;proto=$scheme;host=$host"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from aiohttp_middlewares import ProxyAccessLogger, proxy_middleware
from docs.examples import proxy_behind_nginx

from .helpers import (
    CLIENT,
    AccessLog,
    Nginx,
    StartFrontNginx,
    StartNginx,
    bound_to,
    report_app,
    reported,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpServer

pytestmark = pytest.mark.nginx

#: The host the client asks for; nginx accepts any (server_name _).
HOST = "shop.example.com"
#: Where the front nginx of the chained tests connects from.
FRONT = "127.0.0.3"
Behind = Callable[..., Awaitable[Nginx]]


async def fetch(url: str, proxy: Nginx, **headers: str) -> dict[str, Any]:
    """GET *url* from 127.0.0.2, asking for HOST; what the application answered."""
    named = {"Host": HOST, **{k.replace("_", "-"): v for k, v in headers.items()}}
    async with (
        aiohttp.ClientSession(connector=bound_to(CLIENT, ssl=proxy.ssl)) as session,
        session.get(url, headers=named) as response,
    ):
        return await reported(response)


@pytest.fixture
def behind_nginx(aiohttp_server: AiohttpServer, nginx: StartNginx) -> Behind:
    async def start(app: web.Application, **kwargs: Any) -> Nginx:
        return nginx(await aiohttp_server(app, **kwargs))

    return start


async def test_documented_app_sees_client_scheme_and_host(behind_nginx: Behind) -> None:
    proxy = await behind_nginx(proxy_behind_nginx.create_app())
    assert await fetch(proxy.https_url, proxy) == {
        "client": CLIENT,
        "url": f"https://{HOST}/",
    }


async def test_client_cannot_choose_its_address_scheme_or_host(
    behind_nginx: Behind,
) -> None:
    proxy = await behind_nginx(proxy_behind_nginx.create_app())
    spoofed = await fetch(
        proxy.https_url,
        proxy,
        X_Forwarded_For="6.6.6.6",
        X_Forwarded_Proto="http",
        X_Forwarded_Host="evil.test",
        Forwarded="for=6.6.6.6",
    )
    assert spoofed == {"client": CLIENT, "url": f"https://{HOST}/"}


async def test_nginx_host_variable_drops_the_port(behind_nginx: Behind) -> None:
    # X-Forwarded-Host $host: the docs' pitfall for ports other than 443.
    proxy = await behind_nginx(proxy_behind_nginx.create_app())
    result = await fetch(proxy.https_url, proxy, Host=f"{HOST}:8443")
    assert result["url"] == f"https://{HOST}/"


async def test_forwarded_header_from_nginx_is_read_too(behind_nginx: Behind) -> None:
    app = report_app(proxy_middleware(trusted_proxies=["127.0.0.1"], forwarded=True))
    proxy = await behind_nginx(app)
    result = await fetch(proxy.https_url, proxy, X_Forwarded_For="6.6.6.6")
    assert (result["remote"], result["url"]) == (CLIENT, f"https://{HOST}/")


async def test_trusting_the_whole_loopback_network_trusts_the_client(
    behind_nginx: Behind,
) -> None:
    # The pitfall the docs warn of: 127.0.0.2 is trusted too, so its own
    # X-Forwarded-For is believed.
    app = report_app(proxy_middleware(trusted_proxies=["127.0.0.0/8"]))
    proxy = await behind_nginx(app)
    result = await fetch(proxy.https_url, proxy, X_Forwarded_For="6.6.6.6")
    assert result["remote"] == "6.6.6.6"


async def test_access_log_shows_the_client_behind_nginx(behind_nginx: Behind) -> None:
    with AccessLog.capture() as log:
        proxy = await behind_nginx(
            proxy_behind_nginx.create_app(),
            access_log_class=ProxyAccessLogger,
            access_log_format="%a %s",
        )
        await fetch(proxy.https_url, proxy, X_Forwarded_For="6.6.6.6")
        assert await log.next_line() == f"{CLIENT} 200"


@pytest.mark.parametrize(
    ("trusted_proxies", "remote"),
    [(["127.0.0.1", FRONT], CLIENT), (["127.0.0.1"], FRONT)],
)
async def test_two_chained_nginx_give_the_client(
    behind_nginx: Behind,
    front_nginx: StartFrontNginx,
    trusted_proxies: list[str],
    remote: str,
) -> None:
    # client -> front nginx (connects from 127.0.0.3) -> documented nginx -> app
    app = report_app(proxy_middleware(trusted_proxies=trusted_proxies))
    proxy = await behind_nginx(app)
    front = front_nginx(proxy, FRONT)
    result = await fetch(front, proxy, X_Forwarded_For="6.6.6.6")
    assert (result["remote"], result["url"]) == (remote, f"https://{HOST}/")
