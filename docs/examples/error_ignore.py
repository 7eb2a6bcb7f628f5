"""Leave some exceptions to aiohttp with ``ignore_exceptions``.

Here a 404 keeps aiohttp's own plain-text page, while other errors answer
JSON. ``python -m docs.examples.error_ignore`` serves it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import error_middleware


async def fails(request: web.Request) -> web.Response:
    raise RuntimeError("Not ready yet")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[error_middleware(ignore_exceptions=web.HTTPNotFound)]
    )
    app.router.add_get("/fails", fails)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
