"""Fixtures shared by the test modules.

The rule for tests that need a Debian binary lives here, in :func:`require`:
locally a missing binary skips the test with a message saying what to install;
in CI (``CI=true``) it fails the test, so a CI machine can never pass by
skipping the browser or the proxy.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from benchmarks.realserver import free_port

if TYPE_CHECKING:
    from playwright.async_api import Browser

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "docs" / "examples" / "nginx.conf"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(binary: str, package: str, *extra_paths: str) -> str:
    """Return the path of *binary*; skip the test (fail it in CI) when missing."""
    path = shutil.which(binary) or next(
        (p for p in extra_paths if os.access(p, os.X_OK)), None
    )
    if path:
        return path
    message = (
        f"{binary} is not installed: `apt-get install {package}` "
        "(`make test` does it when run as root)"
    )
    if in_ci():
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require("chromium", "chromium")


@pytest.fixture(scope="session")
def nginx_path() -> str:
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


@dataclass(frozen=True)
class Nginx:
    """A running nginx proxying to an aiohttp server, as docs/examples/nginx.conf."""

    https_url: str
    http_url: str
    ssl: ssl.SSLContext
    error_log: Path


@pytest.fixture(scope="session")
def tls_ca() -> object:
    import trustme

    return trustme.CA()


@pytest.fixture
def nginx(
    nginx_path: str, tls_ca: object, tmp_path: Path
) -> Iterator[Callable[[int], Nginx]]:
    """Start nginx with the documented config in front of ``127.0.0.1:<port>``.

    The deployment example of the docs is used as it is; only its ports and
    certificate paths are replaced, each of which must appear exactly once.
    """
    import trustme

    assert isinstance(tls_ca, trustme.CA)
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstream_port: int) -> Nginx:
        https_port, http_port = free_port(), free_port()
        cert = tls_ca.issue_cert("127.0.0.1", "localhost")
        cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
        cert.private_key_pem.write_to_path(str(key_path))
        site = NGINX_CONF.read_text()
        for old, new in {
            "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/etc/ssl/certs/example.com.pem": str(cert_path),
            "/etc/ssl/private/example.com.key": str(key_path),
        }.items():
            assert site.count(old) == 1, f"{NGINX_CONF.name} no longer has {old!r}"
            site = site.replace(old, new)
        (tmp_path / "site.conf").write_text(site)
        error_log = tmp_path / "error.log"
        main = tmp_path / "nginx.conf"
        main.write_text(
            f"pid {tmp_path}/nginx.pid;\n"
            f"error_log {error_log} info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "  access_log off;\n"
            + "".join(
                f"  {kind}_temp_path {tmp_path}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {tmp_path}/site.conf;\n"
            "}\n"
        )
        process = subprocess.Popen(
            [
                nginx_path,
                "-p",
                str(tmp_path),
                "-c",
                str(main),
                "-g",
                "daemon off; master_process off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        _wait_listening(process, https_port, error_log)
        return Nginx(
            https_url=f"https://127.0.0.1:{https_port}",
            http_url=f"http://127.0.0.1:{http_port}",
            ssl=_client_context(tls_ca),
            error_log=error_log,
        )

    yield start
    for process in processes:
        process.terminate()
        process.communicate(timeout=10)


def _client_context(ca: object) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)  # type: ignore[attr-defined]
    return context


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # nginx gives no readiness signal in the foreground; its port accepting a
    # connection is the event we wait for, bounded at ten seconds.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"nginx exited {process.returncode}: {err.decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.02)
        else:
            return
    pytest.fail(
        f"nginx did not listen on {port}: {log.read_text() if log.exists() else ''}"
    )
