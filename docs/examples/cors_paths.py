"""One application, a CORS policy per group of paths.

* ``/api/``: the front end on ``https://app.example.com`` only, with cookies
  and a custom header;
* ``/api/status`` and ``/public/``: readable by any website, without cookies.

``/api/status`` lies under ``/api/`` too: the first (outermost)
``cors_middleware`` whose ``urls`` cover a request decides for it, preflight
and actual request alike, so the public policy comes first.
``python -m docs.examples.cors_paths`` serves it on port 8080.
"""

from __future__ import annotations

import re

from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware

APP_ORIGIN = "https://app.example.com"


async def status(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def rates(request: web.Request) -> web.Response:
    return web.json_response({"EUR": 1.0, "USD": 1.08})


async def orders(request: web.Request) -> web.Response:
    return web.json_response({"user": request.cookies.get("session"), "orders": []})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                allow_all=True,
                urls=["/api/status", re.compile(r"^/public/")],
                allow_methods=["GET"],
            ),
            cors_middleware(
                origins=[APP_ORIGIN],
                urls=[re.compile(r"^/api/")],
                allow_headers=["content-type", "x-csrf-token"],
                allow_credentials=True,
            ),
            error_middleware(),
        ]
    )
    app.router.add_get("/api/status", status)
    app.router.add_get("/public/rates", rates)
    app.router.add_route("*", "/api/orders", orders)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
