"""How ``origins`` is read: exact origins normalised, regexes checked, "null"."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest
from yarl import URL

from aiohttp_middlewares.cors import ACCESS_CONTROL_ALLOW_ORIGIN, cors_middleware

from .helpers import CORS_LOGGER, ORIGIN, serve

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient


@pytest.mark.parametrize(
    ("configured", "origin"),
    [
        ("HTTPS://App.Example", "https://app.example"),
        ("https://app.example/", "https://app.example"),
        ("https://app.example:443", "https://app.example"),
        ("http://app.example:80/", "http://app.example"),
        ("http://app.example:8080", "http://app.example:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        (URL("https://App.example:443/"), "https://app.example"),
    ],
)
async def test_exact_origin_is_normalised_once(
    aiohttp_client: AiohttpClient, configured: str | URL, origin: str
) -> None:
    client = await serve(aiohttp_client, origins=[configured])
    response = await client.get("/", headers={"Origin": origin})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == origin


@pytest.mark.parametrize(
    "configured",
    [
        "example.com",
        "https://a.example/app",
        "https://a .example",
        "https://a.example?x=1",
        "https://a.example#top",
        "https://user@a.example",
        "https://a.example:99999",
        "https://",
        "https://:443",
        "chrome-extension://:80",
        "NULL",
    ],
)
async def test_invalid_origin_warns_and_never_matches(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture, configured: str
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        client = await serve(aiohttp_client, origins=[configured])
    assert f"origins holds {configured!r}" in caplog.text
    response = await client.get("/", headers={"Origin": configured})
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers


async def test_null_origin_matches_when_listed(aiohttp_client: AiohttpClient) -> None:
    client = await serve(aiohttp_client, origins=["null"])
    response = await client.get("/", headers={"Origin": "null"})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == "null"


async def test_null_origin_refused_when_not_listed(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await serve(
        aiohttp_client, origins=[ORIGIN, re.compile(r"^https://.*\.example$")]
    )
    response = await client.get("/", headers={"Origin": "null"})
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers


@pytest.mark.parametrize(
    "pattern",
    [r"^https://app\.example", r"^https://app\.example\$", r"https://a\\\$"],
)
def test_regex_without_end_anchor_warns(
    caplog: pytest.LogCaptureFixture, pattern: str
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=[re.compile(pattern)])
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert repr(pattern) in record.getMessage()
    assert "https://app.example.com.evil.test" in record.getMessage()


@pytest.mark.parametrize(
    "pattern",
    [
        r"^https://a\.example\.com|^https://b\.example\.com$",
        r"^https://a\.example$|^https://b\.example",
        r"^https://a\.example$|(^https://b\.example$)|^c",
    ],
)
def test_regex_with_an_unanchored_alternative_warns(
    caplog: pytest.LogCaptureFixture, pattern: str
) -> None:
    # The whole pattern ends with $, but one alternative admits any suffix.
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=[re.compile(pattern)])
    [record] = caplog.records
    assert repr(pattern) in record.getMessage()


@pytest.mark.parametrize(
    "pattern",
    [
        r"^https://app\.example$",
        r"^https://app\.example\Z",
        r"^a\\$",
        r"^https://(a|b)\.example$",
        r"^https://a\.example$|^https://b\.example$",
        r"^https://[|]\.example$",
        r"^https://\|\.example$",
    ],
)
def test_regex_with_end_anchor_does_not_warn(
    caplog: pytest.LogCaptureFixture, pattern: str
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=[re.compile(pattern)])
    assert caplog.records == []


def test_null_origin_with_credentials_warns(caplog: pytest.LogCaptureFixture) -> None:
    # Any website can send Origin: null from a sandboxed iframe.
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=[ORIGIN, "null"], allow_credentials=True)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "sandboxed iframe" in record.getMessage()


def test_null_origin_without_credentials_does_not_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=["null"])
    assert caplog.records == []


def test_valid_exact_origins_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=CORS_LOGGER):
        cors_middleware(origins=[ORIGIN, "null", "chrome-extension://abc"])
    assert caplog.records == []
