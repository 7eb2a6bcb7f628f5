"""A JSON API read by a single-page application served from other origins.

The production front end lives on ``https://app.example.com``; every preview
deployment gets its own ``https://<name>.preview.example.com``. Only the
``/api/`` paths take part in CORS. ``python -m docs.examples.cors_basic``
serves the application on port 8080.
"""

from __future__ import annotations

import re

from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware
from aiohttp_middlewares.cors import Origin

ORIGINS: list[Origin] = [
    "https://app.example.com",
    # Anchored at both ends: "$" keeps https://x.preview.example.com.evil.test out.
    re.compile(r"^https://[a-z0-9-]+\.preview\.example\.com$"),
]

ITEMS = {"1": {"id": "1", "name": "first"}, "2": {"id": "2", "name": "second"}}


async def list_items(request: web.Request) -> web.Response:
    return web.json_response(
        list(ITEMS.values()), headers={"X-Total-Count": str(len(ITEMS))}
    )


async def put_item(request: web.Request) -> web.Response:
    item_id = request.match_info["id"]
    if item_id not in ITEMS:
        raise web.HTTPNotFound()
    ITEMS[item_id] = {**await request.json(), "id": item_id}
    return web.json_response(ITEMS[item_id])


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            # Outermost, so that error answers get CORS headers too.
            cors_middleware(
                origins=ORIGINS,
                urls=[re.compile(r"^/api/")],
                expose_headers=["X-Total-Count"],
                max_age=600,
            ),
            error_middleware(),
        ]
    )
    app.router.add_get("/api/items", list_items)
    app.router.add_put("/api/items/{id}", put_item)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
