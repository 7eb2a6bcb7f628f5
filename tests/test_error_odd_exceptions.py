"""Whatever an exception holds, the answer is clean JSON and nothing is lost.

An exception's ``status``, ``data`` and ``type`` are application code too: a
property that fails, a number JSON cannot carry, a path with escapes, and
exceptions that are not errors at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_context, get_error_response, problem_error_handler
from aiohttp_middlewares.error import ERROR_KEY

from .helpers import app_with, error_records, raising

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


def strict_json(text: str) -> Any:
    """Parse JSON as RFC 8259 has it: NaN and Infinity are no JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


class BrokenStatus(Exception):
    @property
    def status(self) -> int:
        raise KeyError("status lookup failed")


class BrokenData(Exception):
    status = 422

    @property
    def data(self) -> object:
        raise RuntimeError("data lookup failed")


class BrokenText(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


class NotFinite(Exception):
    status = 400
    data: ClassVar = {"detail": "bad numbers", "values": [1.0, float("nan"), -math.inf]}


@pytest.mark.parametrize("handler", [None, problem_error_handler])
async def test_failing_status_property_answers_json_500(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture, handler: Any
) -> None:
    options = {} if handler is None else {"default_handler": handler}
    client = await aiohttp_client(app_with(raising(BrokenStatus("boom")), **options))
    response = await client.get("/")
    assert response.status == 500
    assert strict_json(await response.text())["detail"] == "boom"
    messages = [record.getMessage() for record in error_records(caplog)]
    assert "Reading BrokenStatus.status failed; answering as if it had none" in messages
    assert "GET / -> 500: BrokenStatus('boom')" in messages


async def test_failing_data_property_answers_with_the_message(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(app_with(raising(BrokenData("invalid"))))
    response = await client.get("/")
    assert response.status == 422
    assert await response.json() == {"detail": "invalid"}
    [failure] = [r for r in error_records(caplog) if r.levelno == logging.ERROR]
    assert failure.exc_info is not None
    assert "BrokenData.data" in failure.getMessage()


async def test_failing_str_answers_with_the_status_phrase(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(app_with(raising(BrokenText())))
    response = await client.get("/")
    assert response.status == 500
    assert await response.json() == {"detail": "Internal Server Error"}
    messages = [record.getMessage() for record in error_records(caplog)]
    assert "str() of BrokenText failed" in messages
    assert not [message for message in messages if "Error handler" in message]


@pytest.mark.parametrize("handler", [None, problem_error_handler])
async def test_nan_and_infinity_are_sent_as_null(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture, handler: Any
) -> None:
    options = {} if handler is None else {"default_handler": handler}
    client = await aiohttp_client(app_with(raising(NotFinite()), **options))
    response = await client.get("/")
    assert response.status == 400
    body = strict_json(await response.text())
    assert body["values"] == [1.0, None, None]
    [warning] = [r for r in error_records(caplog) if r.levelno == logging.WARNING]
    assert "['values'][1] = nan" in warning.getMessage()
    assert "['values'][2] = -inf" in warning.getMessage()


async def test_problem_instance_is_the_path_as_sent(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        app_with(
            raising(ValueError("x")),
            "/items/{name}",
            default_handler=problem_error_handler,
        )
    )
    response = await client.get("/items/a%20b%0Ac?token=secret")
    assert (await response.json())["instance"] == "/items/a%20b%0Ac"


@pytest.mark.parametrize(
    "err", [asyncio.CancelledError(), KeyboardInterrupt(), SystemExit(3)]
)
async def test_get_error_response_raises_what_is_no_error_again(
    err: BaseException,
) -> None:
    request = make_mocked_request("GET", "/")
    with pytest.raises(type(err)) as raised:
        await get_error_response(request, err)  # type: ignore[arg-type]
    assert raised.value is err


async def test_circular_data_answers_plain_json_500(
    aiohttp_client: AiohttpClient,
) -> None:
    class Circular(Exception):
        status = 400

        def __init__(self) -> None:
            super().__init__("loop")
            self.data: list[object] = []
            self.data.append(self.data)

    client = await aiohttp_client(app_with(raising(Circular())))
    response = await client.get("/")
    assert response.status == 500
    assert strict_json(await response.text()) == {"detail": "Internal Server Error"}


def test_error_context_reads_an_error_stored_by_hand() -> None:
    request = make_mocked_request("GET", "/")
    request[ERROR_KEY] = LookupError("gone")
    with error_context(request) as context:
        assert (context.status, context.message) == (500, "gone")
