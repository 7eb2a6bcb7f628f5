"""The configurations every benchmark measures: a realistic production stack,
each of its middlewares alone, other configurations of them, and the peers
that do the same jobs."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import Callable

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    cors_middleware,
    error_middleware,
    https_middleware,
    proxy_middleware,
    request_id_middleware,
    shield_middleware,
    timeout_middleware,
)
from aiohttp_middlewares.annotations import Handler, Middleware, UrlDict
from aiohttp_middlewares.cors import DEFAULT_ALLOW_HEADERS, DEFAULT_ALLOW_METHODS

ORIGIN = "https://app.example.com"
EXACT_ORIGINS = (ORIGIN, "https://admin.example.com", "https://www.example.com")
HEADERS = {
    "Host": "api.example.com",
    "Origin": ORIGIN,
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
}
PREFLIGHT_HEADERS = {
    **HEADERS,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type",
}
PATH = "/api/items"
LIMIT = 29.5
TIMEOUT_IGNORE: UrlDict = {
    "/api/export": ["POST"],
    re.compile(r"^/api/stream/"): ["GET"],
}

FACTORIES: dict[str, Callable[[], Middleware]] = {
    "request-id": request_id_middleware,
    # Behind nginx on the same machine, as docs/examples/proxy_behind_nginx.py.
    "proxy": lambda: proxy_middleware(trusted_proxies=["127.0.0.1", "::1"]),
    "cors": lambda: cors_middleware(
        origins=[
            *EXACT_ORIGINS,
            re.compile(r"^https://[a-z0-9-]+\.preview\.example\.com$"),
        ],
        urls=[re.compile(r"^/api/")],
    ),
    "error": error_middleware,
    "https": https_middleware,
    "timeout": lambda: timeout_middleware(LIMIT, ignore=TIMEOUT_IGNORE),
    "shield": lambda: shield_middleware(methods=NON_IDEMPOTENT_METHODS),
}
#: The recommended production stack of the README, outermost first:
#: proxy_middleware sets the scheme too, so https_middleware is not in it.
FULL = ("request-id", "proxy", "cors", "error", "timeout", "shield")

#: Other configurations of ours, each measured alone, never part of ``full``.
VARIANTS: dict[str, Callable[[], Middleware]] = {
    # The timeout stack, with PATH under a limit of its own (a regex key, as
    # a prefix of the API would be), next to an exact key.
    "timeout-limits": lambda: timeout_middleware(
        LIMIT,
        ignore=TIMEOUT_IGNORE,
        limits={"/api/export": 300, re.compile(r"^/api/"): 10},
    ),
    # The cors stack with its origins decided by a check instead of listed.
    "cors-check": lambda: cors_middleware(
        origins=[_known_origin], urls=[re.compile(r"^/api/")]
    ),
}


def _known_origin(request: web.Request, origin: str) -> bool:
    # A multi-tenant check at its cheapest: the tenants' origins in a set.
    return origin in _TENANT_ORIGINS


_TENANT_ORIGINS = frozenset(EXACT_ORIGINS)


@web.middleware
async def _noop(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)


@web.middleware
async def _asyncio_timeout(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    # What a user writes by hand: one asyncio timeout per request, or on
    # Python 3.10, which has no asyncio.timeout, asyncio.wait_for().
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(LIMIT):
            return await handler(request)
    return await asyncio.wait_for(handler(request), LIMIT)


@web.middleware
async def _asyncio_shield(request: web.Request, handler: Handler) -> web.StreamResponse:
    # What a user writes by hand: asyncio.shield() around the chosen methods.
    if request.method in NON_IDEMPOTENT_METHODS:
        return await asyncio.shield(handler(request))
    return await handler(request)


@web.middleware
async def _uuid4_header(request: web.Request, handler: Handler) -> web.StreamResponse:
    # What a user writes by hand: a fresh uuid4 on every answer.
    response = await handler(request)
    response.headers["X-Request-ID"] = uuid.uuid4().hex
    return response


def _xforwarded_relaxed() -> Middleware:
    from aiohttp_remotes import XForwardedRelaxed

    middleware: Middleware = XForwardedRelaxed().middleware
    return middleware


#: Hand-written and third-party middlewares doing the job of one of ours.
PEERS: dict[str, Callable[[], Middleware]] = {
    "asyncio.timeout": lambda: _asyncio_timeout,
    "asyncio.shield": lambda: _asyncio_shield,
    "uuid.uuid4": lambda: _uuid4_header,
    "XForwardedRelaxed": _xforwarded_relaxed,
}


def middlewares(stack: str) -> list[Middleware]:
    """The middlewares of a named stack, outermost first.

    ``bare`` and ``aiohttp-cors`` have none; ``noop`` has one that only
    awaits the handler and ``floor`` as many as ``full`` has (what aiohttp
    itself charges for running that many); ``full`` has those of
    :data:`FULL`, the recommended order; any other name is one of ours, one
    variant of them, or one peer, alone.
    """
    if stack in {"bare", "aiohttp-cors"}:
        return []
    if stack == "noop":
        return [_noop]
    if stack == "floor":
        return [_noop] * len(FULL)
    if stack == "full":
        return [FACTORIES[name]() for name in FULL]
    return [{**FACTORIES, **VARIANTS, **PEERS}[stack]()]


async def handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def make_app(stack: str) -> web.Application:
    app = web.Application(middlewares=middlewares(stack))
    routes = [
        app.router.add_get(PATH, handler),
        app.router.add_post(PATH, handler),
        app.router.add_put(PATH, handler),
    ]
    if stack == "aiohttp-cors":
        _setup_aiohttp_cors(app, routes)
    else:
        # The reference for a preflight: the same answer from a handler (with
        # aiohttp-cors, its own OPTIONS handler answers instead).
        app.router.add_route("OPTIONS", PATH, handler)
    return app


def _setup_aiohttp_cors(app: web.Application, routes: list[web.AbstractRoute]) -> None:
    # aiohttp-cors configured like our "cors" stack, as far as it can be: the
    # same exact origins (it has no regex origins) and default allowed lists.
    import aiohttp_cors

    # aiohttp-cors leaves ResourceOptions unannotated.
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
        allow_headers=DEFAULT_ALLOW_HEADERS, allow_methods=DEFAULT_ALLOW_METHODS
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(EXACT_ORIGINS, options))
    for route in routes:
        cors.add(route)
