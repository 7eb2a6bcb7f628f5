"""The fixtures shared by the test modules; the helpers they use are in helpers.py.

The fixtures that need a Debian binary go through :func:`helpers.require`:
locally a missing binary skips the test, in CI (``CI=true``) it fails it.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .helpers import CHROMIUM_ARGS, Nginx, require, start_nginx, stop_processes

if TYPE_CHECKING:
    import trustme
    from playwright.async_api import Browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium."""
    return require("chromium", "chromium")


@pytest.fixture(scope="session")
def nginx_path() -> str:
    """Debian's nginx."""
    return require("nginx", "nginx-light", "/usr/sbin/nginx")


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """A headless Debian chromium driven by playwright (never its own build)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throw-away certificate authority that the nginx tests trust."""
    import trustme

    return trustme.CA()


@pytest.fixture
def nginx(
    nginx_path: str, tls_ca: trustme.CA, tmp_path: Path
) -> Iterator[Callable[[int], Nginx]]:
    """Start nginx with the documented config in front of ``127.0.0.1:<port>``.

    See :func:`helpers.start_nginx`; every nginx started is stopped at the end
    of the test.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstream_port: int) -> Nginx:
        return start_nginx(nginx_path, tls_ca, tmp_path, upstream_port, processes)

    yield start
    stop_processes(processes)
