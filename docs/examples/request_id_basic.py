"""Every answer and every log line of a request tied to one id.

The middleware comes first, so that the answers of the others carry the id,
and the callback covers the answers that no middleware sees (here, a stream).
Code far from the request reads the id with ``current_request_id()``, for
instance to pass it on to the next service.
``python -m docs.examples.request_id_basic`` serves the application on port
8080 (``docs/examples/request_id_logging.py`` adds the logging set-up).
"""

from __future__ import annotations

import logging

from aiohttp import web

from aiohttp_middlewares import (
    REQUEST_ID_KEY,
    current_request_id,
    error_middleware,
    request_id_middleware,
    request_id_on_response_prepare,
)

logger = logging.getLogger("shop")


def upstream_headers() -> dict[str, str]:
    # No request at hand here: the id comes from the request's context.
    request_id = current_request_id()
    return {} if request_id is None else {"X-Request-ID": request_id}


async def order(request: web.Request) -> web.Response:
    logger.info("order %s received", request.match_info["number"])
    return web.json_response(
        {"request_id": request[REQUEST_ID_KEY], "upstream": upstream_headers()}
    )


async def broken(request: web.Request) -> web.Response:
    raise ValueError("the database is gone")


async def events(request: web.Request) -> web.StreamResponse:
    # Prepared here, so its headers leave before any middleware sees them.
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: shipped\n\n")
    return response


def create_app() -> web.Application:
    app = web.Application(middlewares=[request_id_middleware(), error_middleware()])
    app.on_response_prepare.append(request_id_on_response_prepare)
    app.router.add_get("/orders/{number}", order)
    app.router.add_get("/broken", broken)
    app.router.add_get("/events", events)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
