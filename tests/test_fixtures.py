"""The shared fixtures work against the real binaries they drive."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from .helpers import StartNginx, in_ci, require

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpServer


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=f"hello over {request.headers.get('X-Forwarded-Proto')}")


def test_require_skips_locally_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="apt-get install nope-pkg"):
        require("no-such-binary-here", "nope-pkg")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install nope-pkg"):
        require("no-such-binary-here", "nope-pkg")


@pytest.mark.nginx
async def test_nginx_proxies_https_with_the_documented_config(
    aiohttp_server: AiohttpServer, nginx: StartNginx
) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    server = await aiohttp_server(app)
    proxy = nginx(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(proxy.https_url, ssl=proxy.ssl) as response:
            assert response.status == 200
            assert await response.text() == "hello over https"
        async with session.get(proxy.http_url, allow_redirects=False) as response:
            assert response.status == 301
            assert response.headers["Location"].startswith("https://")


@pytest.mark.browser
async def test_browser_renders_a_local_page(
    aiohttp_server: AiohttpServer, browser: object
) -> None:
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    app = web.Application()
    app.router.add_get("/", hello)
    server = await aiohttp_server(app)
    page = await browser.new_page()
    await page.goto(str(server.make_url("/")))
    assert await page.text_content("body") == "hello over None"
