"""Error handlers chosen by what failed, then by path, then the default.

``exception_handlers`` picks by the error: a rate limit gets a JSON answer
with ``Retry-After``, whatever the path. ``config`` picks by path for the
errors no key fits: problem details under ``/api/``. ``default_handler``
answers the rest with an HTML page. ``python -m
docs.examples.error_exception_handlers`` serves it on port 8080.
"""

from __future__ import annotations

import html
import re

from aiohttp import web

from aiohttp_middlewares import error_context, error_middleware, problem_error_handler


class RateLimited(Exception):
    """Too many requests from one client; its ``status`` makes it a 429."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests, retry in {retry_after} seconds")
        self.retry_after = retry_after


async def too_many_requests(request: web.Request) -> web.Response:
    with error_context(request) as context:
        assert isinstance(context.err, RateLimited)  # the only key it serves
        return web.json_response(
            {"detail": context.message},
            status=context.status,
            headers={"Retry-After": str(context.err.retry_after)},
        )


async def html_error_page(request: web.Request) -> web.Response:
    with error_context(request) as context:
        page = f"<!doctype html><h1>{html.escape(context.message)}</h1>"
        return web.Response(text=page, status=context.status, content_type="text/html")


async def search(request: web.Request) -> web.Response:
    raise RateLimited(retry_after=30)


async def item(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(reason=f"No item {request.match_info['id']}")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(
                # What failed comes first: a rate limit under /api/ too.
                exception_handlers={RateLimited: too_many_requests},
                config={re.compile(r"^/api/"): problem_error_handler},
                default_handler=html_error_page,
            )
        ]
    )
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/items/{id}", item)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
