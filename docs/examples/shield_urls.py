"""Shield by URL: downloads keep going, and so do all writes.

The keys of ``urls`` are tried in order and the first that matches the path
decides: a ``GET`` of a download is shielded, and so is any non-idempotent
request elsewhere. Note that a ``POST`` to ``/downloads/...`` is *not*
shielded, since the first key matched and does not list it.
``python -m docs.examples.shield_urls`` serves the application on port 8080.
"""

from __future__ import annotations

import re

from aiohttp import web

from aiohttp_middlewares import NON_IDEMPOTENT_METHODS, shield_middleware, wait_shielded

SHIELDED = {
    re.compile(r"^/downloads/.*$"): "GET",
    re.compile(r".*"): NON_IDEMPOTENT_METHODS,
}


async def download(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return web.Response(text=f"contents of {name}")


async def upload(request: web.Request) -> web.Response:
    return web.Response(status=201, text=await request.text())


def create_app() -> web.Application:
    app = web.Application(middlewares=[shield_middleware(urls=SHIELDED)])
    app.router.add_get("/downloads/{name}", download)
    app.router.add_post("/uploads", upload)
    app.on_shutdown.append(wait_shielded)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080, handler_cancellation=True)
