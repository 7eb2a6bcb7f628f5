"""A first application with the recommended six middlewares, ready for production.

Run it with ``python -m docs.examples.getting_started``; it answers on
http://127.0.0.1:8080/api/hello.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    ProxyAccessLogger,
    cors_middleware,
    error_middleware,
    proxy_middleware,
    request_id_middleware,
    request_id_on_response_prepare,
    shield_middleware,
    timeout_middleware,
    wait_shielded,
)

ORDERS = web.AppKey("orders", list[dict[str, object]])


async def hello(request: web.Request) -> web.Response:
    # Behind a TLS proxy, request.url is https here and request.remote is the
    # client's address, thanks to proxy_middleware.
    return web.json_response(
        {"hello": "world", "url": str(request.url), "client": request.remote}
    )


async def create_order(request: web.Request) -> web.Response:
    order = await request.json()
    await asyncio.sleep(0)  # stands for the database write that must not be cut
    request.app[ORDERS].append(order)
    return web.json_response(order, status=201)


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            request_id_middleware(trusted_proxies=["127.0.0.1", "::1"]),
            proxy_middleware(trusted_proxies=["127.0.0.1", "::1"]),
            cors_middleware(origins=["https://app.example.com"]),
            error_middleware(),
            timeout_middleware(29.5),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    # Streamed answers and aiohttp's own 500 get the request id too.
    app.on_response_prepare.append(request_id_on_response_prepare)
    # At shutdown, let the shielded handlers still running finish first.
    app.on_shutdown.append(wait_shielded)
    app[ORDERS] = []
    app.router.add_get("/api/hello", hello)
    app.router.add_post("/api/orders", create_order)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    # handler_cancellation=True: a client that goes away cancels its request,
    # except what shield_middleware protects. The access log shows the client.
    web.run_app(
        create_app(),
        host="127.0.0.1",
        port=8080,
        handler_cancellation=True,
        access_log_class=ProxyAccessLogger,
    )
