"""A public, read-only API that any website may call.

No cookies, no custom headers: any origin gets ``Access-Control-Allow-Origin:
*``. ``python -m docs.examples.cors_public`` serves it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware


async def rates(request: web.Request) -> web.Response:
    return web.json_response({"EUR": 1.0, "USD": 1.08})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[cors_middleware(allow_all=True, allow_methods=["GET"])]
    )
    app.router.add_get("/rates", rates)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
