"""In place of aiohttp-remotes' ``XForwardedRelaxed()``.

``await aiohttp_remotes.setup(app, XForwardedRelaxed())`` believed the last
``X-Forwarded-*`` values from whoever connected. ``trusted_proxies="*"`` trusts
every peer too, and takes the address the nearest proxy wrote, never one
further left: a client that sends its own ``X-Forwarded-For`` cannot pick its
address. Safe, as with aiohttp-remotes, only when nothing but the proxy can
reach the application (a container network, a Unix socket).
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import proxy_middleware


async def index(request: web.Request) -> web.Response:
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    app = web.Application(middlewares=[proxy_middleware(trusted_proxies="*")])
    app.router.add_get("/", index)
    return app
