"""A page on another origin reads the request id, in Debian's chromium.

The page is served on ``http://localhost:<port>`` and fetches from the API of
``docs/examples/request_id_cors.py`` on another port, another origin. An
innermost middleware of the test records the id the API gave each request,
for the test to compare with what the page read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares import (
    cors_middleware,
    current_request_id,
    request_id_middleware,
)
from aiohttp_middlewares.annotations import Handler
from docs.examples.request_id_cors import create_app

from .helpers import NEW_ID

if TYPE_CHECKING:
    from playwright.async_api import Browser
    from pytest_aiohttp import AiohttpServer

pytestmark = pytest.mark.browser

# What a script of the page sees of an answer: its status and its id.
READ_ID = """async (url) => {
    const response = await fetch(url);
    await response.text();
    return {status: response.status, id: response.headers.get("X-Request-ID")};
}"""


async def page_html(request: web.Request) -> web.Response:
    return web.Response(
        text="<!doctype html><title>ids</title>", content_type="text/html"
    )


@pytest.fixture
async def page_url(aiohttp_server: AiohttpServer) -> str:
    app = web.Application()
    app.router.add_get("/", page_html)
    server = await aiohttp_server(app)
    return f"http://localhost:{server.port}"


async def fetched(
    aiohttp_server: AiohttpServer,
    browser: Browser,
    page_url: str,
    api: web.Application,
    path: str,
) -> tuple[dict[str, Any], list[str | None]]:
    """What the page read of ``GET <path>`` from *api*, and the ids it gave."""
    given: list[str | None] = []

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        given.append(current_request_id())
        return await handler(request)

    api.middlewares.append(record)
    server = await aiohttp_server(api)
    page = await browser.new_page()
    await page.goto(page_url)
    seen: dict[str, Any] = await page.evaluate(
        READ_ID, f"http://localhost:{server.port}{path}"
    )
    await page.close()
    return seen, given


@pytest.mark.parametrize(("path", "status"), [("/api/items", 200), ("/nowhere", 404)])
async def test_page_reads_the_id_of_the_answer(
    aiohttp_server: AiohttpServer,
    browser: Browser,
    page_url: str,
    path: str,
    status: int,
) -> None:
    api = create_app(page_origin=page_url)
    seen, given = await fetched(aiohttp_server, browser, page_url, api, path)
    assert seen["status"] == status
    assert NEW_ID.fullmatch(seen["id"])
    assert given == [seen["id"]]


async def test_without_expose_headers_the_page_cannot_read_it(
    aiohttp_server: AiohttpServer, browser: Browser, page_url: str
) -> None:
    api = web.Application(
        middlewares=[request_id_middleware(), cors_middleware(origins=[page_url])]
    )
    api.router.add_get("/api/items", page_html)
    seen, given = await fetched(aiohttp_server, browser, page_url, api, "/api/items")
    assert seen == {"status": 200, "id": None}
    # The answer carried one; the browser kept it from the script.
    [sent] = given
    assert sent is not None
    assert NEW_ID.fullmatch(sent)
