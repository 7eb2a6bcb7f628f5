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

import re
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


async def serve_page(aiohttp_server: Server) -> TestServer:
    """The page's server: one empty HTML page on ``/``."""
    page_app = web.Application()
    page_app.router.add_get("/", page_html)
    page: TestServer = await aiohttp_server(page_app)
    return page


def recording(seen: list[str]) -> Any:
    """A middleware noting ``METHOD /path`` of each request the API receives."""

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(f"{request.method} {request.path}")
        response: web.StreamResponse = await handler(request)
        return response

    return record


async def start(
    aiohttp_server: Server, *, error_outside: bool = False, callback: bool = True
) -> Servers:
    page = await serve_page(aiohttp_server)
    seen: list[str] = []
    record = recording(seen)
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


# "*" with credentials, origin checks and per-path policies, in the browser.


async def echo(request: web.Request) -> web.Response:
    """What the request carried, and a custom header for the page to read."""
    seen = {
        "method": request.method,
        "token": request.headers.get("X-Token"),
        "authorization": request.headers.get("Authorization"),
        "session": request.cookies.get("session"),
    }
    return web.json_response(seen, headers={"X-Seen": "yes", "X-Other": "too"})


async def start_api(
    aiohttp_server: Server, *middlewares: Callable[[str], Any]
) -> Servers:
    """The page, and an API whose middlewares are built from the page's origin.

    Each of *middlewares* takes the origin the page is served from (as
    ``http://localhost:<port>``) and returns a middleware. The API serves
    :func:`login` on ``/login``, ``/api/login`` and ``/public/login``, and
    :func:`echo` for every method on ``/echo``, ``/api/echo`` and
    ``/public/echo``.
    """
    page = await serve_page(aiohttp_server)
    seen: list[str] = []
    record = recording(seen)
    origin = f"http://localhost:{page.port}"
    app = web.Application(middlewares=[record, *(make(origin) for make in middlewares)])
    for prefix in ("", "/api", "/public"):
        app.router.add_post(f"{prefix}/login", login)
        app.router.add_route("*", f"{prefix}/echo", echo)
    return Servers(page, await aiohttp_server(app), seen)


def stars(origin: str, **options: Any) -> Any:
    return cors_middleware(
        origins=[origin],
        allow_headers=["*"],
        allow_methods=["*"],
        expose_headers=["*"],
        **options,
    )


def credentialed_stars(origin: str) -> Any:
    return stars(origin, allow_credentials=True)


async def fetch_all(
    browser: Any, page_url: str, *calls: tuple[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run each fetch of *calls* in turn from one page, keeping its cookies."""
    page = await browser.new_page()
    await page.goto(page_url)
    results = [await page.evaluate(FETCH, [url, init]) for url, init in calls]
    await page.close()
    return results


INCLUDE = {"credentials": "include"}
PATCH_WITH_TOKEN = {**INCLUDE, "method": "PATCH", "headers": {"X-Token": "t"}}


async def log_in_and_patch(
    browser: Any, servers: Servers, prefix: str = ""
) -> dict[str, Any]:
    """Log in (the cookie is set), then send a credentialed PATCH with X-Token.

    :return: What the page saw of the PATCH.
    """
    api = f"{servers.api_url}{prefix}"
    _, result = await fetch_all(
        browser,
        servers.page_url,
        (f"{api}/login", {**INCLUDE, "method": "POST"}),
        (f"{api}/echo", PATCH_WITH_TOKEN),
    )
    return result


async def test_credentialed_stars_let_custom_headers_methods_and_reads_through(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, credentialed_stars)
    result = await log_in_and_patch(browser, servers)
    assert result["status"] == 200
    assert result["headers"]["x-seen"] == "yes"
    assert result["headers"]["x-other"] == "too"
    assert "set-cookie" not in result["headers"]
    assert result["body"] == (
        '{"method": "PATCH", "token": "t", "authorization": null, "session": "abc123"}'
    )
    assert servers.seen == ["POST /login", "OPTIONS /echo", "PATCH /echo"]


async def test_credentialed_star_headers_do_not_cover_authorization(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, credentialed_stars)
    init = {**INCLUDE, "method": "PUT", "headers": {"Authorization": "Bearer x"}}
    [result] = await fetch_all(
        browser, servers.page_url, (f"{servers.api_url}/echo", init)
    )
    assert result == {"error": "TypeError: Failed to fetch"}
    assert servers.seen == ["OPTIONS /echo"]


async def test_authorization_listed_by_name_beside_the_star_goes_through(
    aiohttp_server: Server, browser: Any
) -> None:
    def with_authorization(origin: str) -> Any:
        return cors_middleware(
            origins=[origin],
            allow_headers=["*", "Authorization"],
            allow_credentials=True,
        )

    servers = await start_api(aiohttp_server, with_authorization)
    init = {**INCLUDE, "method": "PUT", "headers": {"Authorization": "Bearer x"}}
    [result] = await fetch_all(
        browser, servers.page_url, (f"{servers.api_url}/echo", init)
    )
    assert result["status"] == 200
    assert '"authorization": "Bearer x"' in result["body"]


async def test_literal_stars_with_credentials_fail_in_the_browser(
    aiohttp_server: Server, browser: Any
) -> None:
    # The control: what the middleware would send if it passed "*" on as it
    # is. Chromium reads it as a header named "*" and refuses.
    page = await serve_page(aiohttp_server)
    origin = f"http://localhost:{page.port}"
    literal = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "*",
        "Access-Control-Allow-Headers": "*",
    }

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text="literal", headers=literal)

    api_app_ = web.Application()
    api_app_.router.add_route("*", "/echo", answer)
    api = await aiohttp_server(api_app_)
    [result] = await fetch_all(
        browser, f"{origin}/", (f"http://localhost:{api.port}/echo", PATCH_WITH_TOKEN)
    )
    assert result == {"error": "TypeError: Failed to fetch"}


async def test_literal_stars_without_credentials_work_in_the_browser(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, stars)
    init = {"method": "PATCH", "headers": {"X-Token": "t"}}
    [result] = await fetch_all(
        browser, servers.page_url, (f"{servers.api_url}/echo", init)
    )
    assert result["status"] == 200
    assert result["headers"]["x-seen"] == "yes"
    assert '"token": "t"' in result["body"]


def tenants(origin: str) -> Any:
    async def known_tenant(request: web.Request, sent: str) -> bool:
        return sent == origin

    return cors_middleware(
        origins=[known_tenant], allow_headers=["x-token"], allow_credentials=True
    )


async def test_an_origin_check_admits_its_tenant(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, tenants)
    result = await log_in_and_patch(browser, servers)
    assert result["status"] == 200
    assert '"session": "abc123"' in result["body"]


async def test_an_origin_check_refuses_another_origin(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, tenants)
    get, patch = await fetch_all(
        browser,
        servers.other_page_url,
        (f"{servers.api_url}/echo", {}),
        (f"{servers.api_url}/echo", PATCH_WITH_TOKEN),
    )
    assert get == {"error": "TypeError: Failed to fetch"}
    assert patch == {"error": "TypeError: Failed to fetch"}
    assert servers.seen == ["GET /echo", "OPTIONS /echo"]


def api_policy(origin: str) -> Any:
    return cors_middleware(
        origins=[origin],
        urls=[re.compile(r"^/api/")],
        allow_headers=["x-token"],
        allow_credentials=True,
    )


def public_policy(origin: str) -> Any:
    return cors_middleware(
        allow_all=True, urls=[re.compile(r"^/public/")], allow_headers=["x-token"]
    )


async def test_per_path_policies_in_the_browser(
    aiohttp_server: Server, browser: Any
) -> None:
    servers = await start_api(aiohttp_server, api_policy, public_policy)
    api = servers.api_url
    credentialed = await log_in_and_patch(browser, servers, "/api")
    public_patch = {"method": "PATCH", "headers": {"X-Token": "t"}}
    public, refused = await fetch_all(
        browser,
        servers.other_page_url,
        (f"{api}/public/echo", public_patch),
        (f"{api}/api/echo", public_patch),
    )
    assert credentialed["status"] == 200
    assert '"session": "abc123"' in credentialed["body"]
    assert public["status"] == 200
    assert '"token": "t"' in public["body"]
    assert refused == {"error": "TypeError: Failed to fetch"}


async def test_overlapping_policies_the_outer_one_decides_in_the_browser(
    aiohttp_server: Server, browser: Any
) -> None:
    # The inner instance would allow the other page with credentials; the
    # outer one covers the same paths and does not.
    def outer(origin: str) -> Any:
        return cors_middleware(origins=[origin], allow_headers=["x-token"])

    def inner(origin: str) -> Any:
        other = origin.replace("localhost", "127.0.0.1")
        return cors_middleware(
            origins=[origin, other], allow_headers=["x-token"], allow_credentials=True
        )

    servers = await start_api(aiohttp_server, outer, inner)
    api = servers.api_url
    get, patch = await fetch_all(
        browser,
        servers.other_page_url,
        (f"{api}/echo", INCLUDE),
        (f"{api}/echo", PATCH_WITH_TOKEN),
    )
    [allowed] = await fetch_all(
        browser, servers.page_url, (f"{api}/echo", {"headers": {"X-Token": "t"}})
    )
    assert get == {"error": "TypeError: Failed to fetch"}
    assert patch == {"error": "TypeError: Failed to fetch"}
    assert allowed["status"] == 200
