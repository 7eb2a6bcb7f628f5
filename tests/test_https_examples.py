"""The https examples that the docs include run and do what the docs say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docs.examples import https_behind_nginx, https_forwarded

from .helpers import run_as_script

EXAMPLES = Path(https_behind_nginx.__file__).parent


async def test_behind_nginx_app_sees_https_from_local_proxy(
    aiohttp_client: Any,
) -> None:
    client = await aiohttp_client(https_behind_nginx.create_app())
    async with client.get("/", headers={"X-Forwarded-Proto": "https"}) as response:
        assert await response.text() == f"https https://127.0.0.1:{client.port}/"


async def test_behind_nginx_login_redirects_to_https(aiohttp_client: Any) -> None:
    client = await aiohttp_client(https_behind_nginx.create_app())
    headers = {"X-Forwarded-Proto": "https", "Host": "example.com"}
    async with client.get("/login", headers=headers, allow_redirects=False) as response:
        assert response.headers["Location"] == "https://example.com/"


async def test_forwarded_app_reads_proto_of_nearest_proxy(aiohttp_client: Any) -> None:
    client = await aiohttp_client(https_forwarded.create_app())
    value = "for=192.0.2.60;proto=http, for=192.0.2.60;proto=https;by=10.0.0.5"
    async with client.get("/", headers={"Forwarded": value}) as response:
        assert await response.text() == "https"


async def test_forwarded_app_ignores_x_forwarded_proto(aiohttp_client: Any) -> None:
    client = await aiohttp_client(https_forwarded.create_app())
    async with client.get("/", headers={"X-Forwarded-Proto": "https"}) as response:
        assert await response.text() == "http"


@pytest.mark.parametrize(
    ("name", "host"),
    [("https_behind_nginx", "127.0.0.1"), ("https_forwarded", "0.0.0.0")],
)
def test_example_runs_as_a_script(
    monkeypatch: pytest.MonkeyPatch, name: str, host: str
) -> None:
    _, kwargs = run_as_script(monkeypatch, EXAMPLES / f"{name}.py")
    assert kwargs == {"host": host, "port": 8080}
