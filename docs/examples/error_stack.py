"""error_middleware in a full stack: below CORS, above the timeout.

* ``cors_middleware`` comes first, so that the browser may read error
  responses too;
* ``error_middleware`` comes next, so that it catches what every middleware
  below it and the handlers raise;
* ``timeout_middleware`` comes below, so that its timeout becomes a 504.

``python -m docs.examples.error_stack`` serves it on port 8080.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware, timeout_middleware


async def report(request: web.Request) -> web.Response:
    await asyncio.sleep(60)  # stands for a report that takes too long
    return web.json_response({"rows": []})


def create_app(seconds: float = 29.5) -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(origins=["https://app.example.com"]),
            error_middleware(),
            timeout_middleware(seconds),
        ]
    )
    app.router.add_get("/api/report", report)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
