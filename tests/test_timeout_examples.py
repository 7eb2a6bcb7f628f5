"""The timeout examples that the docs include run and do what the docs say."""

from __future__ import annotations

import asyncio
import re
import runpy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aiohttp_middlewares.annotations import UrlLimits
from docs.examples import timeout_app, timeout_limits

LIMIT = 0.05
SLOW = 2 * LIMIT  # slow work, outlasting the limit


async def test_search_answers_normally(aiohttp_client: Any) -> None:
    client = await aiohttp_client(timeout_app.create_app())
    async with client.get("/search", params={"q": "shoes"}) as response:
        assert await response.json() == ["shoes 0", "shoes 1", "shoes 2"]


async def test_slow_search_answers_json_504(
    aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stuck(query: str) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("the event never fires")  # pragma: no cover

    monkeypatch.setattr(timeout_app, "run_search", stuck)
    client = await aiohttp_client(timeout_app.create_app(LIMIT))
    async with client.get("/search") as response:
        assert response.status == 504
        assert await response.json() == {
            "detail": f"Request handling exceeded {LIMIT} seconds"
        }


async def slow_rows() -> AsyncIterator[str]:
    for number in range(2):
        await asyncio.sleep(SLOW)
        yield f"{number}\n"


async def test_export_streams_past_the_limit(
    aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeout_app, "export_rows", slow_rows)
    client = await aiohttp_client(timeout_app.create_app(LIMIT))
    async with client.post("/export") as response:
        assert response.status == 200
        assert await response.text() == "0\n1\n"


def test_example_runs_as_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        web, "run_app", lambda app, **kwargs: calls.append((app, kwargs))
    )
    runpy.run_path(str(Path(timeout_app.__file__)), run_name="__main__")
    [(app, kwargs)] = calls
    assert isinstance(app, web.Application)
    assert kwargs == {"host": "127.0.0.1", "port": 8080}


async def stuck_report(name: str) -> dict[str, str]:
    await asyncio.Event().wait()
    raise AssertionError("the event never fires")  # pragma: no cover


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/reports/yearly", 2 * LIMIT), ("/reports/daily", LIMIT)],
    ids=["exact-path", "regex"],
)
async def test_limits_report_answers_504_naming_its_limit(
    aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch, path: str, limit: float
) -> None:
    monkeypatch.setattr(timeout_limits, "build_report", stuck_report)
    limits: UrlLimits = {"/reports/yearly": 2 * LIMIT, re.compile(r"^/reports/"): LIMIT}
    client = await aiohttp_client(timeout_limits.create_app(10, limits))
    async with client.get(path) as response:
        assert response.status == 504
        assert await response.json() == {
            "detail": f"Request handling exceeded {limit} seconds"
        }


async def test_limits_report_answers_in_time(aiohttp_client: Any) -> None:
    client = await aiohttp_client(timeout_limits.create_app())
    async with client.get("/reports/daily") as response:
        assert await response.json() == {"report": "daily", "rows": "42"}
