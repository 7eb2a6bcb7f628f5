"""In place of aiohttp-remotes' ``ForwardedStrict(trusted)``.

The same as ``remotes_x_forwarded_strict.py``, reading the standard
``Forwarded`` header: the proxies form one collection, the walk steps over
the ``for=`` of their elements, and a request from elsewhere keeps its own
address rather than being refused.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import proxy_middleware

TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]


async def index(request: web.Request) -> web.Response:
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    middleware = proxy_middleware(trusted_proxies=TRUSTED_PROXIES, forwarded=True)
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app
