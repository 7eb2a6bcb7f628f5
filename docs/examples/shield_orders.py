"""An order service whose writes finish even when the client goes away.

Non-idempotent requests (``POST``, ``PUT``, ``PATCH``, ``DELETE``) are shielded:
a client that disconnects, the 29.5 second limit, or a server shutdown cancel
the request, but the order is still saved. ``wait_shielded`` makes the
shutdown wait for such saves, and ``handler_cancellation=True`` is what makes
aiohttp cancel the handler of a client that disconnects in the first place.
``python -m docs.examples.shield_orders`` serves the application on port 8080.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    shield_middleware,
    timeout_middleware,
    wait_shielded,
)

ORDERS = web.AppKey("orders", list)


async def save(app: web.Application, order: dict[str, Any]) -> None:
    # Stands for a database transaction that must not stop half-way.
    await asyncio.sleep(0)
    app[ORDERS].append(order)


async def create_order(request: web.Request) -> web.Response:
    order = await request.json()
    await save(request.app, order)
    return web.json_response(order, status=201)


async def list_orders(request: web.Request) -> web.Response:
    return web.json_response(request.app[ORDERS])


def create_app(seconds: float = 29.5) -> web.Application:
    app = web.Application(
        middlewares=[
            # Outside the shield: the client gets its 504 in time, while the
            # shielded save goes on.
            timeout_middleware(seconds),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    app[ORDERS] = []
    app.router.add_get("/orders", list_orders)
    app.router.add_post("/orders", create_order)
    app.on_shutdown.append(wait_shielded)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080, handler_cancellation=True)
