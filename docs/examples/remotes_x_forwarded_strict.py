"""In place of aiohttp-remotes' ``XForwardedStrict(trusted)``.

``XForwardedStrict([["127.0.0.1"], ["10.1.0.0/16"]])`` listed the proxies in
order, nearest first, and answered 400 when a request did not come through
them. Here the same proxies form one collection, in any order: the walk steps
over any of them. A request that did not come through them is not refused; it
keeps its own address, scheme and host.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import proxy_middleware

# nginx on this machine, and the load balancers in front of it.
TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]


async def index(request: web.Request) -> web.Response:
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    middleware = proxy_middleware(trusted_proxies=TRUSTED_PROXIES)
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app
