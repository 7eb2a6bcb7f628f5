"""The request id examples that the docs include run and do what the docs say."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from docs.examples import request_id_basic, request_id_cors, request_id_logging

from .helpers import NEW_ID, run_as_script

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from pytest_aiohttp import AiohttpClient, AiohttpServer

EXAMPLES = Path(request_id_basic.__file__).parent
HEADER = "X-Request-ID"


async def test_basic_app_answers_the_id_it_passes_on(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(request_id_basic.create_app())
    response = await client.get("/orders/7", headers={HEADER: "order-7"})
    assert response.headers[HEADER] == "order-7"
    assert await response.json() == {
        "request_id": "order-7",
        "upstream": {HEADER: "order-7"},
    }


async def test_basic_app_error_and_stream_carry_a_new_id(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(request_id_basic.create_app())
    error = await client.get("/broken")
    stream = await client.get("/events")
    assert error.status == 500
    assert await stream.text() == "data: shipped\n\n"
    assert NEW_ID.fullmatch(error.headers[HEADER])
    assert NEW_ID.fullmatch(stream.headers[HEADER])


def test_upstream_headers_are_empty_outside_a_request() -> None:
    assert request_id_basic.upstream_headers() == {}


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put back what dictConfig changes: the root's handlers and level."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
async def test_logging_config_puts_the_id_on_every_line(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient
) -> None:
    logging.config.dictConfig(request_id_logging.LOGGING)
    output = io.StringIO()
    [console] = logging.getLogger().handlers
    assert isinstance(console, logging.StreamHandler)
    console.setStream(output)
    server = await aiohttp_server(
        request_id_basic.create_app(),
        access_log_format=request_id_logging.ACCESS_LOG_FORMAT,
    )
    client: TestClient[Any, Any] = await aiohttp_client(server)
    kept = await client.get("/orders/7", headers={HEADER: "order-7"})
    new = await client.get("/broken")
    await kept.read()
    await new.read()
    new_id = new.headers[HEADER]
    first, access, error, *traceback, last = output.getvalue().splitlines()
    assert first == "INFO [order-7] shop: order 7 received"
    assert re.fullmatch(
        r'INFO \[order-7\] aiohttp.access: 127.0.0.1 "GET /orders/7 HTTP/1.1" '
        r"200 \d+",
        access,
    )
    assert error == (
        f"ERROR [{new_id}] aiohttp_middlewares.error: GET /broken -> 500: "
        "ValueError('the database is gone')"
    )
    assert traceback[0] == "Traceback (most recent call last):"
    assert re.fullmatch(
        rf'INFO \[{new_id}\] aiohttp.access: 127.0.0.1 "GET /broken HTTP/1.1" '
        r"500 \d+",
        last,
    )


async def test_cors_app_exposes_the_id_to_the_page(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(request_id_cors.create_app())
    origin = {"Origin": request_id_cors.PAGE_ORIGIN}
    response = await client.get("/api/items", headers=origin)
    preflight = await client.options(
        "/api/items", headers={**origin, "Access-Control-Request-Method": "PUT"}
    )
    assert response.headers["Access-Control-Expose-Headers"] == HEADER
    assert NEW_ID.fullmatch(response.headers[HEADER])
    assert NEW_ID.fullmatch(preflight.headers[HEADER])


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("request_id_basic", {}),
        ("request_id_cors", {}),
        (
            "request_id_logging",
            {"access_log_format": request_id_logging.ACCESS_LOG_FORMAT},
        ),
    ],
)
def test_example_runs_as_a_script(
    monkeypatch: pytest.MonkeyPatch, name: str, options: dict[str, Any]
) -> None:
    _, kwargs = run_as_script(monkeypatch, EXAMPLES / f"{name}.py")
    assert kwargs == {"host": "127.0.0.1", "port": 8080, **options}
