"""An API behind nginx whose handlers answer within 29.5 seconds.

nginx gives up on the application after ``proxy_read_timeout 30s``
(docs/examples/nginx.conf) and would then send its own HTML error page. The
timeout middleware ends a slow search half a second earlier, and the error
middleware before it turns that into a JSON 504 that the API's clients can
read. The CSV export streams for as long as it takes, so it is ignored.
``python -m docs.examples.timeout_app`` serves the application on port 8080.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from aiohttp import web

from aiohttp_middlewares import error_middleware, timeout_middleware
from aiohttp_middlewares.annotations import UrlDict

SECONDS = 29.5  # just below nginx's proxy_read_timeout of 30 s

IGNORE: UrlDict = {
    "/export": ["POST"],  # POST /export streams; GET /export is still limited
    re.compile(r"^/events/"): "GET",  # long polling
}


async def run_search(query: str) -> list[str]:
    # Stands for a database query that can be slow.
    await asyncio.sleep(0)
    return [f"{query} {number}" for number in range(3)]


async def export_rows() -> AsyncIterator[str]:
    # Stands for a large table read row by row.
    for number in range(3):
        await asyncio.sleep(0)
        yield f"{number},row {number}\n"


async def search(request: web.Request) -> web.Response:
    return web.json_response(await run_search(request.query.get("q", "")))


async def export(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/csv"})
    await response.prepare(request)
    async for row in export_rows():
        await response.write(row.encode())
    await response.write_eof()
    return response


def create_app(seconds: float = SECONDS) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware(), timeout_middleware(seconds, ignore=IGNORE)]
    )
    app.router.add_get("/search", search)
    app.router.add_post("/export", export)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
