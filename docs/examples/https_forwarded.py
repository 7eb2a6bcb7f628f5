"""Read the standard ``Forwarded`` header (RFC 7239) from the load balancers.

The load balancers live in 10.0.0.0/8 and send, for instance,
``Forwarded: for=192.0.2.60;proto=https;by=10.0.0.5``; the ``proto`` of the
last element, written by the nearest proxy, decides. A proxy on this machine
(loopback) is trusted too. ``python -m docs.examples.https_forwarded`` serves
the application on port 8080.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from aiohttp_middlewares import https_middleware

TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8"), "127.0.0.1", "::1"]


async def index(request: web.Request) -> web.Response:
    return web.Response(text=request.scheme)


def create_app() -> web.Application:
    middleware = https_middleware(
        {"Forwarded": "https"}, trusted_proxies=TRUSTED_PROXIES
    )
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="0.0.0.0", port=8080)
