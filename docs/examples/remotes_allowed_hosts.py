"""In place of aiohttp-remotes' ``AllowedHosts(allowed_hosts)``.

``AllowedHosts(["example.com", "www.example.com"])`` answered 400 for any
other host. ``allowed_hosts`` does the same, with ``*.example.com`` for every
sub-domain and ports ignored, and checks the host the trusted proxy forwarded.
A health check that calls the application directly must send a listed host:
there are no ``white_paths``.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import proxy_middleware

ALLOWED_HOSTS = ["example.com", "www.example.com", "127.0.0.1"]


async def index(request: web.Request) -> web.Response:
    return web.Response(text=f"Welcome to {request.host}")


def create_app() -> web.Application:
    middleware = proxy_middleware(
        trusted_proxies=["127.0.0.1", "::1"], allowed_hosts=ALLOWED_HOSTS
    )
    app = web.Application(middlewares=[middleware])
    app.router.add_get("/", index)
    return app
