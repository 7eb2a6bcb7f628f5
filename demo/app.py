"""The recommended middlewares at work in a browser: ``make demo``.

Two aiohttp applications on two origins:

* the page, http://127.0.0.1:8080: plain HTML and a little JavaScript from
  ``static/``, no build step;
* the API, http://localhost:8081: another origin (host name and port), behind
  the six middlewares in the recommended order.

Each button of the page calls the API with ``fetch`` and shows the status, the
response headers JavaScript may read (the ``X-Request-ID`` of every answer
among them), and the body. The API runs with
``handler_cancellation=True``, so a fetch the page aborts really cancels its
request on the server, which is what the shielded save is about.

``python -m demo`` (``make demo``) serves both until Ctrl+C;
``--screenshot PATH`` instead clicks every button in a headless Chromium and
saves the page as a PNG (``make demo-screenshot``). Tests import
:func:`create_page_app`, :func:`create_api_app` and :func:`serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from aiohttp_middlewares import (
    NON_IDEMPOTENT_METHODS,
    ProxyAccessLogger,
    RequestIdFilter,
    cors_middleware,
    error_middleware,
    proxy_middleware,
    request_id_middleware,
    request_id_on_response_prepare,
    shield_middleware,
    timeout_middleware,
    wait_shielded,
)

STATIC = Path(__file__).with_name("static")
PAGE_PORT = 8080
API_PORT = 8081
TIMEOUT = 2.0
#: How Debian's chromium runs headless in containers and CI: the screenshot
#: here, and the browser tests (tests/conftest.py).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The buttons of the page, by the id of their section, in page order.
BUTTONS = (
    "cors-get",
    "preflight-put",
    "refused-header",
    "handler-error",
    "timeout",
    "shield",
    "https",
)

SAVES = web.AppKey("saves", dict[str, dict[str, Any]])
SAVE_SECONDS = web.AppKey("save_seconds", float)


def create_api_app(page_origin: str, *, timeout: float = TIMEOUT) -> web.Application:
    """The API: every handler behind the six middlewares, outermost first.

    :param page_origin: The origin of the page, the only one CORS allows.
    :param timeout: Seconds a handler may run; the shielded save takes half.
    """
    app = web.Application(
        middlewares=[
            request_id_middleware(),
            # The page's requests come from this machine, as a local proxy's
            # would: the "Behind a proxy" button sends what such a proxy sends.
            proxy_middleware(trusted_proxies=["127.0.0.1", "::1"]),
            cors_middleware(
                origins=[page_origin],
                allow_headers=(
                    "Content-Type",
                    "X-Demo-Token",
                    "X-Forwarded-For",
                    "X-Forwarded-Proto",
                ),
                # The page shows the id of every answer.
                expose_headers=("X-Request-ID",),
            ),
            error_middleware(),
            timeout_middleware(timeout),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    app.on_response_prepare.append(request_id_on_response_prepare)
    app[SAVES] = {}
    app[SAVE_SECONDS] = timeout / 2
    # Graceful shutdown lets a save in progress finish.
    app.on_shutdown.append(wait_shielded)
    app.router.add_get("/api/hello", hello)
    app.router.add_put("/api/items/{id}", put_item)
    app.router.add_get("/api/error", fail)
    app.router.add_get("/api/slow", slow)
    app.router.add_post("/api/saves/{id}", save)
    app.router.add_get("/api/saves/{id}", saved)
    app.router.add_get("/api/proxied", proxied)
    return app


def create_page_app(api_origin: str, *, timeout: float = TIMEOUT) -> web.Application:
    """The page: one HTML document that knows the API's origin, and its assets.

    :param api_origin: Where the page sends its requests.
    :param timeout: The API's limit, shown on the page.
    """
    text = (STATIC / "index.html").read_text()
    text = text.format(api_origin=html.escape(api_origin), timeout=timeout)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    return app


async def hello(request: web.Request) -> web.Response:
    return web.json_response(
        {"message": "Hello from the API", "origin": request.headers.get("Origin")},
        headers={"X-Internal": "not exposed"},
    )


async def put_item(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "id": request.match_info["id"],
            "item": await request.json(),
            "token": request.headers.get("X-Demo-Token"),
        }
    )


async def fail(request: web.Request) -> web.Response:
    raise ValueError("The handler failed; error_middleware answered for it")


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(3600)  # far beyond the timeout, which cancels it
    return web.json_response({"finished": True})


async def save(request: web.Request) -> web.Response:
    saves = request.app[SAVES]
    key = request.match_info["id"]
    data = await request.json()
    saves[key] = {"state": "saving"}
    await asyncio.sleep(request.app[SAVE_SECONDS])  # a slow write somewhere
    # Once the page aborted, the connection is gone: no transport any more.
    saves[key] = {
        "state": "saved",
        "data": data,
        "client_gone_before_save_finished": request.transport is None,
    }
    return web.json_response(saves[key], status=201)


async def saved(request: web.Request) -> web.Response:
    entry = request.app[SAVES].get(request.match_info["id"])
    if entry is None:
        raise web.HTTPNotFound(text="No such save (yet)")
    return web.json_response(entry)


async def proxied(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "client": request.remote,
            "scheme": request.scheme,
            "secure": request.secure,
            "url": str(request.url),
        }
    )


@dataclass(frozen=True)
class Demo:
    """The running demo: where the page and the API answer."""

    page_url: str
    api_url: str
    api: web.Application


@asynccontextmanager
async def serve(
    *,
    page_port: int = PAGE_PORT,
    api_port: int = API_PORT,
    timeout: float = TIMEOUT,
) -> AsyncIterator[Demo]:
    """Serve the page and the API on 127.0.0.1 until the block exits.

    :param page_port: Port of the page, http://127.0.0.1:<page_port>.
    :param api_port: Port of the API, http://localhost:<api_port>: another
        origin than the page's by host name and port.
    :param timeout: Seconds an API handler may run.
    """
    page_url = f"http://127.0.0.1:{page_port}"
    api_url = f"http://localhost:{api_port}"
    api = create_api_app(page_url, timeout=timeout)
    runners = [
        (web.AppRunner(create_page_app(api_url, timeout=timeout)), page_port),
        # Cancel a request whose client went away, as a production server
        # should, and log the client that proxy_middleware found.
        (
            web.AppRunner(
                api, handler_cancellation=True, access_log_class=ProxyAccessLogger
            ),
            api_port,
        ),
    ]
    try:
        for runner, port in runners:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
        yield Demo(page_url, api_url, api)
    finally:
        for runner, _ in reversed(runners):
            await runner.cleanup()


async def click(page: Any, button: str) -> None:
    """Click one button of the demo page and wait until its result shows.

    :param page: A playwright page showing the demo.
    :param button: Its section's id: one of :data:`BUTTONS`, or ``"all"``
        for the button that runs them all.
    """
    await page.click(f"#{button} button")
    await page.wait_for_selector(f"#{button}[data-state=done]", timeout=30_000)


async def screenshot(
    path: Path, *, page_port: int = PAGE_PORT, api_port: int = API_PORT
) -> None:
    """Click every button in a headless Chromium and save the page as a PNG."""
    from playwright.async_api import async_playwright

    async with (
        serve(page_port=page_port, api_port=api_port) as demo,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(demo.page_url)
        await click(page, "all")
        await page.screenshot(path=str(path), full_page=True)
        await browser.close()


async def serve_forever(*, page_port: int, api_port: int, timeout: float) -> None:
    async with serve(page_port=page_port, api_port=api_port, timeout=timeout) as demo:
        print(f"Demo page: {demo.page_url}  (open it in a browser)")
        print(f"API:       {demo.api_url}  (another origin)")
        print("Press Ctrl+C to stop.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo")
    parser.add_argument("--page-port", type=int, default=PAGE_PORT, help="%(default)s")
    parser.add_argument("--api-port", type=int, default=API_PORT, help="%(default)s")
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="API limit, %(default)s s"
    )
    parser.add_argument(
        "--screenshot", type=Path, metavar="PNG", help="save a screenshot and exit"
    )
    args = parser.parse_args(argv)
    ports = {"page_port": args.page_port, "api_port": args.api_port}
    if args.screenshot:
        # The errors the page provokes on purpose need no traceback here.
        logging.getLogger("aiohttp_middlewares").addHandler(logging.NullHandler())
        run = screenshot(args.screenshot, **ports)
    else:
        # The access log shows each request, preflights included; the
        # middlewares log why a preflight was refused and the 5xx tracebacks.
        # Each line starts with the id its request's answer carries.
        console = logging.StreamHandler()
        console.addFilter(RequestIdFilter())
        logging.basicConfig(
            level=logging.INFO,
            format="[%(request_id)s] %(levelname)s %(name)s: %(message)s",
            handlers=[console],
        )
        run = serve_forever(**ports, timeout=args.timeout)
    try:
        asyncio.run(run)
    except KeyboardInterrupt:
        print("Stopped.")
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        parser.exit(
            1,
            f"{err}\nA port is taken: stop what uses it, or pass "
            "--page-port and --api-port.\n",
        )
    else:
        if args.screenshot:
            print(f"Wrote {args.screenshot}")
