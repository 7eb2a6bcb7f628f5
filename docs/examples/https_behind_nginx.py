"""An application behind nginx that terminates HTTPS (docs/examples/nginx.conf).

nginx listens on 443, proxies to 127.0.0.1:8080 and says the client's scheme in
``X-Forwarded-Proto``; only nginx, on this machine, is trusted to say it.
``python -m docs.examples.https_behind_nginx`` serves the application.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import https_middleware


async def index(request: web.Request) -> web.Response:
    # Behind nginx over HTTPS: "https https://example.com/".
    return web.Response(text=f"{request.scheme} {request.url}")


async def login(request: web.Request) -> web.Response:
    # request.url is https://..., so the redirect keeps the client on HTTPS.
    raise web.HTTPFound(request.url.with_path("/"))


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[https_middleware(trusted_proxies=["127.0.0.1", "::1"])]
    )
    app.router.add_get("/", index)
    app.router.add_get("/login", login)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
