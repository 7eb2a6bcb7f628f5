"""aiohttp-cors's application-wide defaults, as one cors_middleware.

With aiohttp-cors::

    cors = aiohttp_cors.setup(app, defaults={
        "https://app.example.com": aiohttp_cors.ResourceOptions(
            allow_credentials=True, expose_headers="*", allow_headers="*"
        ),
    })
    for route in list(app.router.routes()):
        cors.add(route)

The middleware covers every route without being told about each one, routes
added later and unrouted paths (their 404) included. ``"*"`` with
``allow_credentials`` answers with names, as a browser needs (see the CORS
page). ``python -m docs.examples.from_aiohttp_cors_defaults`` serves it on
port 8080.
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
                origins=["https://app.example.com"],
                allow_credentials=True,
                expose_headers=["*"],
                allow_headers=["*"],
                # aiohttp-cors allows the methods of the routes it was given.
                allow_methods=["GET", "POST", "PUT", "DELETE"],
            )
        ]
    )
    app.router.add_route("GET", "/hello", hello)
    app.router.add_route("PUT", "/hello", hello)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
