"""Different error answers by path: problem details for the API, HTML for pages.

``config`` maps URLs to error handlers, the first matching key wins; the
other paths get ``default_handler``. ``python -m docs.examples.error_handlers``
serves it on port 8080.
"""

from __future__ import annotations

import html
import re

from aiohttp import web

from aiohttp_middlewares import error_context, error_middleware, problem_error_handler


async def html_error_page(request: web.Request) -> web.Response:
    with error_context(request) as context:
        page = (
            f"<!doctype html><title>{context.status}</title>"
            f"<h1>{html.escape(context.message)}</h1>"
            '<p><a href="/">Back to the home page</a></p>'
        )
        return web.Response(text=page, status=context.status, content_type="text/html")


async def maintenance(request: web.Request) -> web.Response:
    with error_context(request) as context:
        return web.json_response(
            {"detail": context.message, "maintenance": True}, status=context.status
        )


async def home(request: web.Request) -> web.Response:
    return web.Response(text="<h1>Home</h1>", content_type="text/html")


async def api_orders(request: web.Request) -> web.Response:
    raise web.HTTPServiceUnavailable(
        reason="Orders are paused", headers={"Retry-After": "120"}
    )


async def api_items(request: web.Request) -> web.Response:
    raise web.HTTPForbidden(reason="Sign in to see the items")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(
                default_handler=html_error_page,
                config={
                    # Exact path first: it wins over the /api/ regex below.
                    "/api/orders": maintenance,
                    re.compile(r"^/api/"): problem_error_handler,
                },
            )
        ]
    )
    app.router.add_get("/", home)
    app.router.add_get("/api/orders", api_orders)
    app.router.add_get("/api/items", api_items)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
