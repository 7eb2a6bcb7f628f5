"""Behind nginx (docs/examples/nginx.conf), a slow handler ends in the app's JSON 504.

nginx's ``proxy_read_timeout`` there is 30 s; the application's limit is far
below it, so the client gets the application's answer, not nginx's HTML page.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from aiohttp_middlewares import error_middleware, timeout_middleware

from .helpers import StartNginx

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpServer

LIMIT = 0.2


async def never_answers(request: web.Request) -> web.Response:
    await asyncio.Event().wait()
    raise AssertionError("the event never fires")  # pragma: no cover


@pytest.mark.nginx
async def test_slow_handler_behind_nginx_answers_the_apps_json_504(
    aiohttp_server: AiohttpServer, nginx: StartNginx
) -> None:
    app = web.Application(middlewares=[error_middleware(), timeout_middleware(LIMIT)])
    app.router.add_get("/report", never_answers)
    server = await aiohttp_server(app)
    proxy = nginx(server)
    # Well below nginx's 30 s: a hang here fails the test instead.
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        url = f"{proxy.https_url}/report"
        async with session.get(url, ssl=proxy.ssl) as response:
            assert response.status == 504
            assert response.content_type == "application/json"
            assert await response.json() == {
                "detail": f"Request handling exceeded {LIMIT} seconds"
            }
