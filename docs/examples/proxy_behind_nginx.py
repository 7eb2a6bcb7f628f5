"""An application behind nginx (docs/examples/nginx.conf) that sees its clients.

nginx terminates TLS on 443 and proxies to 127.0.0.1:8080, saying who the
client is in ``X-Forwarded-For``, ``X-Forwarded-Proto`` and
``X-Forwarded-Host``; only nginx, on this machine, is trusted to say it.
``python -m docs.examples.proxy_behind_nginx`` serves the application, with
the client's address in the access log.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import ProxyAccessLogger, proxy_middleware


async def index(request: web.Request) -> web.Response:
    # Behind nginx: {"client": "203.0.113.7", "url": "https://example.com/"}.
    return web.json_response({"client": request.remote, "url": str(request.url)})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[proxy_middleware(trusted_proxies=["127.0.0.1", "::1"])]
    )
    app.router.add_get("/", index)
    return app


if __name__ == "__main__":
    web.run_app(
        create_app(), host="127.0.0.1", port=8080, access_log_class=ProxyAccessLogger
    )
