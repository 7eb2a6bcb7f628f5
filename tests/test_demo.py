"""The demo of ``make demo``: Chromium clicks every button and reads the page.

The demo runs in-process on free ports, exactly as ``make demo`` serves it
(two origins, the API with ``handler_cancellation=True``), with a shorter
timeout so the slow button answers quickly.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from demo import app as demo

from .helpers import free_port

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

TIMEOUT = 1.0
FIELDS = ("status", "note", "headers", "body")


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async with demo.serve(
        page_port=free_port(), api_port=free_port(), timeout=TIMEOUT
    ) as running:
        page = await browser.new_page()
        await page.goto(running.page_url)
        yield page
        await page.close()


async def click(page: Page, button: str) -> dict[str, str]:
    """Click *button* and return what its result block shows, field by field."""
    await demo.click(page, button)
    section = page.locator(f"#{button}")
    return {field: await section.locator(f".{field}").inner_text() for field in FIELDS}


@pytest.mark.browser
async def test_allowed_request_reads_only_the_exposed_header(page: Page) -> None:
    shown = await click(page, "cors-get")
    assert shown["status"] == "200 OK"
    assert re.search(r"^x-request-id: [0-9a-f]{32}$", shown["headers"], re.MULTILINE)
    assert "x-internal" not in shown["headers"]
    assert shown["note"] == "X-Internal readable from JavaScript: false"
    assert '"message": "Hello from the API"' in shown["body"]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("button", "status", "shows"),
    [
        ("preflight-put", "200 OK", ['"token": "s3cret"', '"value": 42']),
        (
            "handler-error",
            "500 Internal Server Error",
            ["content-type: application/json", '"detail": "The handler failed;'],
        ),
        (
            "timeout",
            "504 Gateway Timeout",
            ["content-type: application/json", '"detail": "Request handling exceeded'],
        ),
        (
            "https",
            "200 OK",
            [
                '"client": "203.0.113.7"',
                '"scheme": "https"',
                '"url": "https://localhost:',
            ],
        ),
    ],
)
async def test_button_shows_the_api_answer_to_the_page(
    page: Page, button: str, status: str, shows: list[str]
) -> None:
    shown = await click(page, button)
    assert shown["status"] == status
    for text in shows:
        assert text in shown["headers"] + shown["body"]


@pytest.mark.browser
async def test_unlisted_header_makes_fetch_reject(page: Page) -> None:
    shown = await click(page, "refused-header")
    assert shown["status"].startswith("fetch rejected: TypeError")
    assert await page.locator("#refused-header.refused").count() == 1


@pytest.mark.browser
async def test_shielded_save_completes_after_the_page_aborted(page: Page) -> None:
    shown = await click(page, "shield")
    assert shown["note"].startswith("the page aborted the POST (AbortError)")
    assert shown["status"] == "200 OK"
    assert '"state": "saved"' in shown["body"]
    assert '"client_gone_before_save_finished": true' in shown["body"]


@pytest.mark.browser
async def test_run_every_request_answers_every_button(page: Page) -> None:
    await demo.click(page, "all")
    for button in demo.BUTTONS:
        assert await page.locator(f"#{button}[data-state=done]").count() == 1
    assert await page.locator(".refused").count() == 1


@pytest.mark.browser
async def test_every_answer_shows_its_own_request_id(page: Page) -> None:
    await demo.click(page, "all")
    ids = []
    for button in demo.BUTTONS:
        headers = await page.locator(f"#{button} .headers").inner_text()
        ids += re.findall(r"^x-request-id: ([0-9a-f]{32})$", headers, re.MULTILINE)
    # The refused header has no answer; each other button shows one id.
    assert len(ids) == len(demo.BUTTONS) - 1
    assert len(set(ids)) == len(ids)


@pytest.mark.browser
async def test_screenshot_is_written_once_every_button_answered(
    chromium_path: str, tmp_path: Path
) -> None:
    path = tmp_path / "demo.png"
    await demo.screenshot(path, page_port=free_port(), api_port=free_port())
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_taken_port_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        with pytest.raises(SystemExit) as exit_info:
            demo.main(["--page-port", port, "--api-port", str(free_port())])
    assert exit_info.value.code == 1
    assert "pass --page-port and --api-port" in capsys.readouterr().err
