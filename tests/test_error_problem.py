"""problem_error_handler answers RFC 9457 problem details."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from aiohttp import web

from aiohttp_middlewares import problem_error_handler

from .helpers import app_with, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


async def problem(aiohttp_client: AiohttpClient, err: Exception) -> dict[str, Any]:
    """The problem details answered for *err* on ``GET /items``."""
    app = app_with(raising(err), "/items", default_handler=problem_error_handler)
    client = await aiohttp_client(app)
    response = await client.get("/items")
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == response.status
    return body


class OutOfCredit(Exception):
    status = 403
    type = "https://example.com/probs/out-of-credit"
    data: ClassVar = {"balance": 30, "title": "ignored", "detail": "ignored"}


async def test_server_error_is_a_problem_of_type_about_blank(
    aiohttp_client: AiohttpClient,
) -> None:
    assert await problem(aiohttp_client, ValueError("wrong value")) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "wrong value",
        "instance": "/items",
    }


def with_status(status: int) -> Exception:
    err = ValueError()
    err.status = status  # type: ignore[attr-defined]
    return err


@pytest.mark.parametrize(
    ("err", "status", "title"),
    [
        (web.HTTPNotFound(), 404, "Not Found"),
        (asyncio.TimeoutError(), 504, "Gateway Timeout"),
        (with_status(499), 499, "Error"),
    ],
    ids=["http-error", "timeout", "no-phrase"],
)
async def test_title_and_detail_are_the_status_phrase(
    aiohttp_client: AiohttpClient, err: Exception, status: int, title: str
) -> None:
    body = await problem(aiohttp_client, err)
    assert (body["status"], body["title"], body["detail"]) == (status, title, title)


async def test_exception_type_and_data_become_type_and_extensions(
    aiohttp_client: AiohttpClient,
) -> None:
    assert await problem(aiohttp_client, OutOfCredit("Your balance is 30")) == {
        "balance": 30,
        "type": "https://example.com/probs/out-of-credit",
        "title": "Forbidden",
        "status": 403,
        "detail": "Your balance is 30",
        "instance": "/items",
    }


async def test_problem_body_is_utf8_json_without_charset(
    aiohttp_client: AiohttpClient,
) -> None:
    # RFC 8259 defines no charset for JSON types: the body is UTF-8.
    body = await problem(aiohttp_client, ValueError("déjà vu"))
    assert body["detail"] == "déjà vu"
