"""aiohttp-cors's per-route options (``cors.add(route, {...})``), as ``urls``.

With aiohttp-cors::

    cors = aiohttp_cors.setup(app)
    resource = cors.add(app.router.add_resource("/hello"))
    cors.add(resource.add_route("GET", hello), {
        "http://client.example.org": aiohttp_cors.ResourceOptions(max_age=3600),
    })
    app.router.add_route("GET", "/private", private)  # not CORS-enabled

``urls`` names the routes that take part in CORS, with their methods if only
some take part; every other path, ``/private`` here, is left alone.
``python -m docs.examples.from_aiohttp_cors_routes`` serves it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello!")


async def private(request: web.Request) -> web.Response:
    return web.Response(text="same origin only")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                origins=["http://client.example.org"],
                urls={"/hello": "GET"},
                max_age=3600,
            )
        ]
    )
    app.router.add_get("/hello", hello)
    app.router.add_get("/private", private)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
