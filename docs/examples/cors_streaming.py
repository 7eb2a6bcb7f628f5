"""Server-sent events read by a page on another origin.

The handler prepares its own ``StreamResponse``, so its headers leave before
``cors_middleware`` sees the response: the ``on_response_prepare`` callback
gives them the CORS headers. ``python -m docs.examples.cors_streaming`` serves
the stream on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares.cors import cors_middleware, cors_on_response_prepare

APP_ORIGIN = "https://app.example.com"


async def ticks(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for tick in range(3):
        await response.write(f"data: tick {tick}\n\n".encode())
    return response


def create_app() -> web.Application:
    app = web.Application(middlewares=[cors_middleware(origins=[APP_ORIGIN])])
    # The one line of set-up streaming handlers need.
    app.on_response_prepare.append(cors_on_response_prepare)
    app.router.add_get("/ticks", ticks)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
