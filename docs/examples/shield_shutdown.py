"""Shutdown that waits for shielded handlers, for 20 seconds at most.

``create_app`` uses the bounded form of ``wait_shielded``: when the time is
up it logs, at WARNING, the handlers it abandons, and the shutdown goes on.
``finish_shielded`` is the same bound written by hand, for a shutdown handler
that does more: :func:`asyncio.wait_for` (``async with asyncio.timeout(...)``
on Python 3.11+ does the same).
"""

from __future__ import annotations

import asyncio
import functools
import logging

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    shield_middleware,
    wait_shielded,
)

SHUTDOWN_SECONDS = 20.0


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[shield_middleware(methods=NON_IDEMPOTENT_METHODS)]
    )
    app.on_shutdown.append(functools.partial(wait_shielded, timeout=SHUTDOWN_SECONDS))
    return app


async def finish_shielded(app: web.Application) -> None:
    try:
        await asyncio.wait_for(wait_shielded(app), SHUTDOWN_SECONDS)
    except asyncio.TimeoutError:
        logging.getLogger(__name__).warning("shielded handlers left running")
