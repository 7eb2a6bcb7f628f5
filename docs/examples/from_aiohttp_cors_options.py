"""Every field of aiohttp-cors's ``ResourceOptions``, as an argument.

With aiohttp-cors::

    aiohttp_cors.ResourceOptions(
        allow_credentials=True,
        expose_headers=("X-Custom-Server-Header",),
        allow_headers=("X-Requested-With", "Content-Type"),
        max_age=3600,
        allow_methods=("GET", "POST"),
    )

Each field has an argument of the same name and meaning. The defaults
differ: ``allow_headers`` defaults to ``DEFAULT_ALLOW_HEADERS`` rather than to
nothing, ``allow_methods`` to ``DEFAULT_ALLOW_METHODS`` rather than to the
routes' methods. ``python -m docs.examples.from_aiohttp_cors_options`` serves
it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello!", headers={"X-Custom-Server-Header": "data"})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                origins=["http://client.example.org"],
                allow_credentials=True,
                expose_headers=["X-Custom-Server-Header"],
                allow_headers=["X-Requested-With", "Content-Type"],
                max_age=3600,
                allow_methods=["GET", "POST"],
            )
        ]
    )
    app.router.add_get("/hello", hello)
    app.router.add_post("/hello", hello)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
