"""The fixtures shared by the test modules; the helpers they use are in helpers.py.

The fixtures that need a Debian binary go through :func:`helpers.require`:
locally a missing binary skips the test, in CI (``CI=true``) it fails it.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp.test_utils import TestServer

from demo.app import CHROMIUM_ARGS

from .helpers import (
    Nginx,
    StartFrontNginx,
    StartNginx,
    require,
    start_front_nginx,
    start_nginx,
    stop_processes,
)

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
def nginx(nginx_path: str, tls_ca: trustme.CA, tmp_path: Path) -> Iterator[StartNginx]:
    """Start nginx with the documented config in front of a test server.

    See :func:`helpers.start_nginx`; every nginx started is stopped at the end
    of the test.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(server: TestServer) -> Nginx:
        assert server.port is not None, "the server is not started"
        return start_nginx(nginx_path, tls_ca, tmp_path, server.port, processes)

    yield start
    stop_processes(processes)


@pytest.fixture
def front_nginx(
    nginx_path: str, tls_ca: trustme.CA, tmp_path: Path
) -> Iterator[StartFrontNginx]:
    """Start a second nginx in front of one that the ``nginx`` fixture started.

    See :func:`helpers.start_front_nginx`: ``front_nginx(upstream, bind)``
    returns its URL; it is stopped at the end of the test.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstream: Nginx, bind: str) -> str:
        folder = tmp_path / "front"
        return start_front_nginx(nginx_path, tls_ca, folder, upstream, bind, processes)

    yield start
    stop_processes(processes)
