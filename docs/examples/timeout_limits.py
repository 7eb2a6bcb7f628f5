"""Per-URL limits: every handler gets 29.5 seconds, the reports more.

The first ``limits`` key that matches the path gives the request its limit,
and the 504 says which limit it was. Behind nginx, these paths need a
``proxy_read_timeout`` above their limit too. ``python -m
docs.examples.timeout_limits`` serves it on port 8080.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from aiohttp_middlewares import error_middleware, timeout_middleware
from aiohttp_middlewares.annotations import UrlLimits

SECONDS = 29.5
LIMITS: UrlLimits = {
    "/reports/yearly": 300,  # an exact path first: it wins over the regex below
    re.compile(r"^/reports/"): 120,
}


async def build_report(name: str) -> dict[str, str]:
    # Stands for a long aggregation.
    await asyncio.sleep(0)
    return {"report": name, "rows": "42"}


async def report(request: web.Request) -> web.Response:
    return web.json_response(await build_report(request.match_info["name"]))


def create_app(seconds: float = SECONDS, limits: UrlLimits = LIMITS) -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(),
            timeout_middleware(seconds, limits=limits),
        ]
    )
    app.router.add_get("/reports/{name}", report)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
