"""A page on another origin reads the request id of every answer.

A browser hides from scripts every response header that is not
CORS-safelisted, unless the answer names it in
``Access-Control-Expose-Headers``: ``expose_headers`` does. The request id
middleware is outermost, so the preflights and the error answers carry the
id too. ``python -m docs.examples.request_id_cors`` serves the API on port
8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import (
    cors_middleware,
    error_middleware,
    request_id_middleware,
)

PAGE_ORIGIN = "https://app.example.com"


async def items(request: web.Request) -> web.Response:
    return web.json_response([{"id": 1}])


def create_app(page_origin: str = PAGE_ORIGIN) -> web.Application:
    app = web.Application(
        middlewares=[
            request_id_middleware(),
            cors_middleware(origins=[page_origin], expose_headers=["X-Request-ID"]),
            error_middleware(),
        ]
    )
    app.router.add_get("/api/items", items)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
