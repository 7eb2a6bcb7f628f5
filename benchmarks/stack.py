"""The configuration every benchmark measures: a realistic production stack."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    cors_middleware,
    error_middleware,
    https_middleware,
    shield_middleware,
    timeout_middleware,
)
from aiohttp_middlewares.annotations import Handler, Middleware

ORIGIN = "https://app.example.com"
HEADERS = {"Origin": ORIGIN, "X-Forwarded-Proto": "https", "Host": "api.example.com"}
PREFLIGHT_HEADERS = {
    **HEADERS,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type",
}
PATH = "/api/items"

FACTORIES: dict[str, Callable[[], Middleware]] = {
    "cors": lambda: cors_middleware(
        origins=[
            ORIGIN,
            "https://admin.example.com",
            "https://www.example.com",
            re.compile(r"^https://[a-z0-9-]+\.preview\.example\.com$"),
        ],
        urls=[re.compile(r"^/api/")],
    ),
    "error": error_middleware,
    "https": https_middleware,
    "timeout": lambda: timeout_middleware(
        29.5,
        ignore={"/api/export": ["POST"], re.compile(r"^/api/stream/"): ["GET"]},
    ),
    "shield": lambda: shield_middleware(methods=NON_IDEMPOTENT_METHODS),
}


def middlewares(stack: str) -> list[Middleware]:
    """The middlewares of a named stack, outermost first.

    ``bare`` has none; ``floor`` has five that only await the handler (what
    aiohttp itself charges for running five middlewares); ``full`` has all five
    of ours in the recommended order; any other name is one of ours alone.
    """
    if stack == "bare":
        return []
    if stack == "floor":
        return [_noop] * 5
    if stack == "full":
        return [factory() for factory in FACTORIES.values()]
    return [FACTORIES[stack]()]


async def handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def make_app(stack: str) -> web.Application:
    app = web.Application(middlewares=middlewares(stack))
    app.router.add_route("*", PATH, handler)
    return app


@web.middleware
async def _noop(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)
