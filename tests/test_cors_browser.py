"""CORS proven in Debian's chromium: a page on one origin fetches from an API.

Both servers listen on 127.0.0.1, each on its own port. The page is opened as
``http://localhost:<page port>`` and calls ``http://localhost:<api port>``:
another origin (the port differs), but the same *site* (scheme and host), so a
``SameSite=Lax`` cookie set by the API travels with ``credentials: 'include'``
without meeting chromium's third-party cookie rules. The unlisted-origin test
opens the same page as ``http://127.0.0.1:<page port>``, an origin the API does
not list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aiohttp_middlewares.cors import (
    DEFAULT_ALLOW_HEADERS,
    cors_middleware,
    cors_on_response_prepare,
)
from aiohttp_middlewares.error import error_middleware

from .helpers import api_app

pytestmark = pytest.mark.browser

Server = Callable[..., Any]

# fetch() in the page; resolves to what JS can see, or to the rejection.
FETCH = """async ([url, init]) => {
    try {
        const response = await fetch(url, init);
        const headers = {};
        response.headers.forEach((value, name) => { headers[name] = value; });
        return {status: response.status, headers, body: await response.text()};
    } catch (error) {
        return {error: String(error)};
    }
}"""

# The first message of an EventSource, "error", or "timeout" after 5 s.
EVENT_SOURCE = """(url) => new Promise((resolve) => {
    const source = new EventSource(url);
    const done = (value) => { source.close(); resolve(value); };
    source.onmessage = (event) => done(event.data);
    source.onerror = () => done("error");
    setTimeout(() => done("timeout"), 5000);
})"""

PUT_JSON = {
    "method": "PUT",
    "headers": {"Content-Type": "application/json", "X-Token": "t"},
    "body": '{"name": "x"}',
}


async def page_html(request: web.Request) -> web.Response:
    return web.Response(
        text="<!doctype html><title>page</title>", content_type="text/html"
    )


async def put_item(request: web.Request) -> web.Response:
    return web.json_response({"saved": await request.json()})


async def login(request: web.Request) -> web.Response:
    response = web.Response(text="logged in")
    response.set_cookie("session", "abc123", httponly=True)
    return response


async def whoami(request: web.Request) -> web.Response:
    return web.Response(text=request.cookies.get("session", "anonymous"))


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: hello across origins\n\n")
    return response


class Servers:
    """The page's server and the API's server, and what the API received."""

    def __init__(self, page: TestServer, api: TestServer, seen: list[str]) -> None:
        self.page_url = f"http://localhost:{page.port}/"
        self.other_page_url = f"http://127.0.0.1:{page.port}/"
        self.api_url = f"http://localhost:{api.port}"
        self.seen = seen


async def start(
    aiohttp_server: Server, *, error_outside: bool = False, callback: bool = True
) -> Servers:
    page_app = web.Application()
    page_app.router.add_get("/", page_html)
    page = await aiohttp_server(page_app)
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(f"{request.method} {request.path}")
        response: web.StreamResponse = await handler(request)
        return response

    cors = cors_middleware(
        origins=[f"http://localhost:{page.port}"],
        allow_headers=[*DEFAULT_ALLOW_HEADERS, "x-token"],
        expose_headers=["X-Total"],
        allow_credentials=True,
    )
    middlewares = (
        [record, error_middleware(), cors]
        if error_outside
        else [record, cors, error_middleware()]
    )
    app = api_app(*middlewares)
    app.router.add_put("/items", put_item)
    app.router.add_post("/login", login)
    app.router.add_get("/whoami", whoami)
    app.router.add_get("/events", events)
    if callback:
        app.on_response_prepare.append(cors_on_response_prepare)
    return Servers(page, await aiohttp_server(app), seen)


async def fetch_from(
    browser: Any, page_url: str, url: str, init: dict[str, Any] | None = None
) -> dict[str, Any]:
    page = await browser.new_page()
    await page.goto(page_url)
    result: dict[str, Any] = await page.evaluate(FETCH, [url, init or {}])
    await page.close()
    return result


async def test_simple_get_is_allowed(aiohttp_server: Server, browser: Any) -> None:
    servers = await start(aiohttp_server)
    result = await fetch_from(browser, servers.page_url, f"{servers.api_url}/")
    assert result["status"] == 200
    assert result["body"] == "hello"
    assert servers.seen == ["GET /"]


async def test_preflighted_put_is_allowed(aiohttp_server: Server, browser: Any) -> None:
    servers = await start(aiohttp_server)
    result = await fetch_from(
        browser, servers.page_url, f"{servers.api_url}/items", PUT_JSON
    )
    assert result["status"] == 200
    assert result["body"] == '{"saved": {"name": "x"}}'
    assert servers.seen == ["OPTIONS /items", "PUT /items"]


async def test_unlisted_header_is_refused(aiohttp_server: Server, browser: Any) -> None:
    servers = await start(aiohttp_server)
    init = {**PUT_JSON, "headers": {"X-Unlisted": "1"}}
    result = await fetch_from(
        browser, servers.page_url, f"{servers.api_url}/items", init
    )
    assert result == {"error": "TypeError: Failed to fetch"}
    assert servers.seen == ["OPTIONS /items"]


async def test_only_exposed_headers_are_readable(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start(aiohttp_server)
    result = await fetch_from(browser, servers.page_url, f"{servers.api_url}/")
    # X-Secret is sent too, but not exposed; Content-Type and Content-Length
    # are CORS-safelisted response headers, always readable.
    assert result["headers"] == {
        "content-length": "5",
        "content-type": "text/plain; charset=utf-8",
        "x-total": "3",
    }


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/missing", 404, '{"detail": "Not Found"}'),
        ("/broken", 500, '{"detail": "broken handler"}'),
    ],
)
async def test_error_json_body_is_readable(
    aiohttp_server: Server, browser: Any, path: str, status: int, body: str
) -> None:
    servers = await start(aiohttp_server)
    result = await fetch_from(browser, servers.page_url, f"{servers.api_url}{path}")
    assert result["status"] == status
    assert result["body"] == body


async def test_cookie_round_trip_with_credentials(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start(aiohttp_server)
    page = await browser.new_page()
    await page.goto(servers.page_url)
    include = {"credentials": "include"}
    logged_in = await page.evaluate(
        FETCH, [f"{servers.api_url}/login", {**include, "method": "POST"}]
    )
    me = await page.evaluate(FETCH, [f"{servers.api_url}/whoami", include])
    await page.close()
    assert logged_in["body"] == "logged in"
    assert me["body"] == "abc123"


async def test_unlisted_origin_is_refused(aiohttp_server: Server, browser: Any) -> None:
    servers = await start(aiohttp_server)
    result = await fetch_from(browser, servers.other_page_url, f"{servers.api_url}/")
    assert result == {"error": "TypeError: Failed to fetch"}
    # The server answered; the browser kept the answer from the page.
    assert servers.seen == ["GET /"]


async def test_preflighted_put_with_error_middleware_outside(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start(aiohttp_server, error_outside=True)
    result = await fetch_from(
        browser, servers.page_url, f"{servers.api_url}/items", PUT_JSON
    )
    assert result["status"] == 200
    assert servers.seen == ["OPTIONS /items", "PUT /items"]


async def test_event_source_is_read_across_origins(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start(aiohttp_server)
    page = await browser.new_page()
    await page.goto(servers.page_url)
    data = await page.evaluate(EVENT_SOURCE, f"{servers.api_url}/events")
    await page.close()
    assert data == "hello across origins"


async def test_event_source_needs_the_prepare_callback(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start(aiohttp_server, callback=False)
    page = await browser.new_page()
    await page.goto(servers.page_url)
    data = await page.evaluate(EVENT_SOURCE, f"{servers.api_url}/events")
    await page.close()
    assert data == "error"
