"""Read the standard ``Forwarded`` header (RFC 7239) from the load balancers.

The load balancers live in 10.0.0.0/8 and send, for instance,
``Forwarded: for=192.0.2.60;proto=https;host=example.com``. The walk goes
over the ``for=`` of each element from the right; ``proto`` and ``host`` are
the nearest proxy's. ``X-Forwarded-*`` headers are ignored.
``python -m docs.examples.proxy_forwarded`` serves it on port 8080.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from aiohttp_middlewares import proxy_middleware

TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8"), "127.0.0.1", "::1"]


async def index(request: web.Request) -> web.Response:
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    middleware = proxy_middleware(trusted_proxies=TRUSTED_PROXIES, forwarded=True)
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="0.0.0.0", port=8080)
