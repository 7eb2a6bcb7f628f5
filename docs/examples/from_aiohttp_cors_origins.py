"""aiohttp-cors's per-origin options, as origins lists and paths.

With aiohttp-cors::

    cors.add(route, {
        "https://app.example.com": aiohttp_cors.ResourceOptions(
            allow_credentials=True
        ),
        "https://admin.example.com": aiohttp_cors.ResourceOptions(
            allow_credentials=True
        ),
        "*": aiohttp_cors.ResourceOptions(allow_credentials=False),
    })

Origins that share options share one ``origins`` list. A path has one policy
whatever the origin: the credentialed front ends get theirs on ``/api/``, and
what any website may read without cookies lives under ``/public/``.
``python -m docs.examples.from_aiohttp_cors_origins`` serves it on port 8080.
"""

from __future__ import annotations

import re

from aiohttp import web

from aiohttp_middlewares import cors_middleware


async def profile(request: web.Request) -> web.Response:
    return web.json_response({"user": request.cookies.get("session")})


async def catalogue(request: web.Request) -> web.Response:
    return web.json_response({"products": ["tea", "coffee"]})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                origins=["https://app.example.com", "https://admin.example.com"],
                urls=[re.compile(r"^/api/")],
                allow_credentials=True,
            ),
            cors_middleware(allow_all=True, urls=[re.compile(r"^/public/")]),
        ]
    )
    app.router.add_get("/api/profile", profile)
    app.router.add_get("/public/catalogue", catalogue)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
