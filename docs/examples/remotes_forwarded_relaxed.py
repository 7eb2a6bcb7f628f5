"""In place of aiohttp-remotes' ``ForwardedRelaxed()``.

The same as ``remotes_x_forwarded_relaxed.py``, reading the standard
``Forwarded`` header: every peer is trusted, and the ``for=`` of the last
element is the client.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import proxy_middleware


async def index(request: web.Request) -> web.Response:
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    middleware = proxy_middleware(trusted_proxies="*", forwarded=True)
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app
