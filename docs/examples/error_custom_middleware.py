"""A middleware of your own that reuses the error middleware's logic.

Here every JSON response gets an ``X-Items`` header with its length, which
may fail; :func:`get_error_response` answers that failure exactly as
``error_middleware`` would. ``python -m docs.examples.error_custom_middleware``
serves it on port 8080.
"""

from __future__ import annotations

import json

from aiohttp import web

from aiohttp_middlewares import get_error_response
from aiohttp_middlewares.annotations import Handler


def post_process_response(response: web.StreamResponse) -> None:
    if isinstance(response, web.Response) and response.text is not None:
        response.headers["X-Items"] = str(len(json.loads(response.text)))


@web.middleware
async def custom_error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    try:
        response = await handler(request)
        post_process_response(response)
    except Exception as err:
        return await get_error_response(request, err)
    return response


async def items(request: web.Request) -> web.Response:
    return web.json_response([1, 2, 3])


async def not_json(request: web.Request) -> web.Response:
    return web.Response(text="plain text")


def create_app() -> web.Application:
    app = web.Application(middlewares=[custom_error_middleware])
    app.router.add_get("/items", items)
    app.router.add_get("/not-json", not_json)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
