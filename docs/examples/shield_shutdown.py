"""Shutdown that waits for shielded handlers, for 20 seconds at most.

``wait_shielded`` has no limit of its own: this shutdown handler bounds it with
:func:`asyncio.wait_for` (``async with asyncio.timeout(...)`` on Python 3.11+
does the same) and logs a WARNING when handlers are still running when the
time is up.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    shield_middleware,
    wait_shielded,
)

SHUTDOWN_SECONDS = 20.0


async def finish_shielded(app: web.Application) -> None:
    try:
        await asyncio.wait_for(wait_shielded(app), SHUTDOWN_SECONDS)
    except asyncio.TimeoutError:
        logging.getLogger(__name__).warning("shielded handlers left running")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[shield_middleware(methods=NON_IDEMPOTENT_METHODS)]
    )
    app.on_shutdown.append(finish_shielded)
    return app
