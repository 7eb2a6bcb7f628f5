"""Serve only this site's hosts; answer a request for any other host 400.

A request whose ``Host`` (or, from the trusted proxy, ``X-Forwarded-Host``)
is not ``example.com`` or one of its sub-domains never reaches a handler, so
nothing can build links or password-reset mails for a host an attacker chose.
``python -m docs.examples.proxy_allowed_hosts`` serves it on 127.0.0.1:8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import ProxyAccessLogger, proxy_middleware

# "*.example.com" is every sub-domain, not example.com itself: list both.
ALLOWED_HOSTS = ["example.com", "*.example.com"]


async def index(request: web.Request) -> web.Response:
    return web.Response(text=f"Welcome to {request.host}")


def create_app() -> web.Application:
    middleware = proxy_middleware(
        trusted_proxies=["127.0.0.1", "::1"], allowed_hosts=ALLOWED_HOSTS
    )
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app


if __name__ == "__main__":
    web.run_app(
        create_app(), host="127.0.0.1", port=8080, access_log_class=ProxyAccessLogger
    )
