"""The error examples that docs/error.rst includes run and do what it says."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from docs.examples.error_basic import create_app as basic_app
from docs.examples.error_custom_middleware import create_app as custom_app
from docs.examples.error_exception_handlers import create_app as by_error_app
from docs.examples.error_handlers import create_app as handlers_app
from docs.examples.error_ignore import create_app as ignore_app
from docs.examples.error_production import create_app as production_app
from docs.examples.error_stack import create_app as stack_app

from .helpers import error_records

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

APP = "https://app.example.com"


async def test_basic_missing_item_is_404_with_the_reason(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(basic_app())
    response = await client.get("/api/items/9")
    assert response.status == 404
    assert await response.json() == {"detail": "No item 9"}


async def test_basic_invalid_item_is_422_with_its_data(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(basic_app())
    response = await client.post("/api/items", json={"name": ""})
    assert response.status == 422
    assert await response.json() == {
        "detail": "Invalid item",
        "errors": {"name": "This field is required."},
    }


async def test_basic_redirect_reaches_the_client(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(basic_app())
    response = await client.get("/api/old-items", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == "/api/items/1"


async def test_basic_bug_is_500_with_its_message(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(basic_app())
    response = await client.get("/api/broken")
    assert response.status == 500
    assert await response.json() == {"detail": "division by zero"}


async def test_handlers_pages_get_an_html_error_page(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(handlers_app())
    response = await client.get("/missing")
    assert response.status == 404
    assert response.content_type == "text/html"
    assert "<h1>Not Found</h1>" in await response.text()


async def test_handlers_api_gets_problem_details(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(handlers_app())
    response = await client.get("/api/items")
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["detail"] == "Sign in to see the items"
    assert body["instance"] == "/api/items"


async def test_handlers_exact_path_wins_and_keeps_retry_after(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(handlers_app())
    response = await client.get("/api/orders")
    assert response.status == 503
    assert response.headers["Retry-After"] == "120"
    assert await response.json() == {
        "detail": "Orders are paused",
        "maintenance": True,
    }


async def test_ignore_leaves_404_to_aiohttp(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(ignore_app())
    missing = await client.get("/missing")
    failing = await client.get("/fails")
    assert (missing.status, missing.content_type) == (404, "text/plain")
    assert (failing.status, await failing.json()) == (500, {"detail": "Not ready yet"})


async def test_stack_timeout_is_504_readable_cross_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(stack_app(seconds=0.05))
    response = await client.get("/api/report", headers={"Origin": APP})
    assert response.status == 504
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert await response.json() == {"detail": "Request handling exceeded 0.05 seconds"}


async def test_custom_middleware_post_processes_responses(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(custom_app())
    response = await client.get("/items")
    assert response.headers["X-Items"] == "3"


async def test_custom_middleware_answers_a_post_processing_failure(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(custom_app())
    response = await client.get("/not-json")
    assert response.status == 500
    assert await response.json() == {
        "detail": "Expecting value: line 1 column 1 (char 0)"
    }


async def test_by_error_rate_limit_wins_over_the_api_path(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(by_error_app())
    response = await client.get("/api/search")
    assert response.status == 429
    assert response.headers["Retry-After"] == "30"
    assert await response.json() == {"detail": "Too many requests, retry in 30 seconds"}


async def test_by_error_api_path_gets_problem_details(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(by_error_app())
    response = await client.get("/api/items/9")
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert (await response.json(content_type=None))["detail"] == "No item 9"


async def test_by_error_other_paths_get_the_html_page(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(by_error_app())
    response = await client.get("/about")
    assert response.status == 404
    assert response.content_type == "text/html"
    assert "<h1>Not Found</h1>" in await response.text()


async def test_production_bug_says_only_its_status_phrase(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(production_app())
    response = await client.get("/report")
    assert response.status == 500
    problem = await response.json(content_type=None)
    assert problem["detail"] == "Internal Server Error"
    assert "s3cret" not in await response.text()
    [record] = error_records(caplog)
    assert record.levelno == logging.ERROR
    assert "s3cret" in record.getMessage()
    assert record.exc_info is not None


async def test_production_http_error_keeps_its_reason(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(production_app())
    response = await client.get("/items/9")
    assert response.status == 404
    assert (await response.json(content_type=None))["detail"] == "No item 9"
