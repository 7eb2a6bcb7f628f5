"""Helpers shared by the test modules: test modules import them from here only.

``conftest.py`` holds the pytest fixtures, built from what is defined here.

* The checkout and the machine: :data:`ROOT`, :func:`require` (the rule for
  tests needing a Debian binary), :func:`free_port`,
  :func:`run_as_script`.
* nginx in front of an app, configured as the deployment docs say:
  :class:`Nginx`, :data:`StartNginx`, :func:`start_nginx`; a second one in
  front of it: :data:`StartFrontNginx`, :func:`start_front_nginx`.
* Middlewares called without a server: :func:`call`, :class:`Transport`.
* Requests whose task gets cancelled: :func:`serving`, :func:`send`,
  :func:`disconnect`, :class:`Outcome`.
* error_middleware: :func:`app_with`, :func:`raising`, :func:`answering`,
  :func:`answering_with`, :func:`error_records`, :func:`package_errors`;
  request bodies aiohttp cannot read: :func:`reading_app`,
  :func:`pure_python_server`.
* cors_middleware: :func:`api_app`, :func:`serve`, :func:`cors_headers`,
  :func:`recorder`.
* request_id_middleware: :class:`Lines`, :func:`logged`, :func:`echo_id`,
  :data:`NEW_ID`, :func:`finish_after_client_left`.
* proxy_middleware: :data:`CLIENT`, :func:`report`, :func:`report_app`,
  :func:`reported`, :func:`get_report`, :func:`bound_to`, :class:`AccessLog`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import runpy
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from aiohttp_middlewares import (
    RequestIdFilter,
    cors_middleware,
    current_request_id,
    error_context,
    error_middleware,
    get_error_response,
    request_id_middleware,
    shield_middleware,
    wait_shielded,
)
from aiohttp_middlewares.annotations import Handler, Middleware

if TYPE_CHECKING:
    import trustme
    from pytest_aiohttp import AiohttpClient

# The checkout and the machine

#: The root of the checkout.
ROOT = Path(__file__).resolve().parent.parent
#: The deployment example of the docs, which the nginx tests run.
NGINX_CONF = ROOT / "docs" / "examples" / "nginx.conf"


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``), where nothing may skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(binary: str, package: str, *extra_paths: str) -> str:
    """Return the path of *binary*; skip the test (fail it in CI) when missing.

    Locally a missing binary skips the test with a message saying which Debian
    *package* to install; in CI it fails the test, so a CI machine can never
    pass by skipping the browser, the proxy or the benchmarks.
    """
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


def free_port() -> int:
    """A loopback port that nothing listens on (for a server to start on)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def package_imported_from(pythonpath: Path, cwd: Path) -> Path:
    """Where a fresh interpreter imports aiohttp_middlewares from, with *pythonpath*."""
    out = subprocess.run(
        [sys.executable, "-c", "import aiohttp_middlewares as m; print(m.__file__)"],
        env={**os.environ, "PYTHONPATH": str(pythonpath)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Path(out.strip()).parent


def run_as_script(
    monkeypatch: pytest.MonkeyPatch, path: str | Path
) -> tuple[web.Application, dict[str, Any]]:
    """Run the example *path* as ``python path`` would, without serving.

    :return: The application it hands ``web.run_app``, and the keyword
        arguments it passes.
    """
    calls: list[tuple[web.Application, dict[str, Any]]] = []
    monkeypatch.setattr(
        web, "run_app", lambda app, **kwargs: calls.append((app, kwargs))
    )
    runpy.run_path(str(path), run_name="__main__")
    [(app, kwargs)] = calls
    assert isinstance(app, web.Application)
    return app, kwargs


# nginx


@dataclass(frozen=True)
class Nginx:
    """A running nginx proxying to an aiohttp server, as docs/examples/nginx.conf."""

    https_url: str
    http_url: str
    ssl: ssl.SSLContext
    error_log: Path


#: What the ``nginx`` fixture gives: start nginx in front of a test server.
StartNginx: TypeAlias = Callable[[TestServer], Nginx]
#: What the ``front_nginx`` fixture gives: start nginx in front of an nginx,
#: connecting from a loopback address; its URL.
StartFrontNginx: TypeAlias = Callable[[Nginx, str], str]


def start_nginx(
    binary: str,
    ca: trustme.CA,
    folder: Path,
    upstream_port: int,
    processes: list[subprocess.Popen[bytes]],
) -> Nginx:
    """Start nginx with the documented config in front of ``127.0.0.1:<port>``.

    The deployment example of the docs is used as it is; only its ports and
    certificate paths are replaced, each of which must appear exactly once.
    Every file nginx needs lives in *folder*. The process is added to
    *processes* as soon as it starts, for the caller to stop.
    """
    https_port, http_port = free_port(), free_port()
    cert_path, key_path = _certificate(ca, folder)
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
    error_log = _run_nginx(binary, folder, site, https_port, processes)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return Nginx(
        https_url=f"https://127.0.0.1:{https_port}",
        http_url=f"http://127.0.0.1:{http_port}",
        ssl=context,
        error_log=error_log,
    )


def start_front_nginx(
    binary: str,
    ca: trustme.CA,
    folder: Path,
    upstream: Nginx,
    bind: str,
    processes: list[subprocess.Popen[bytes]],
) -> str:
    """Start a second nginx, over TLS, in front of *upstream*; return its URL.

    It stands for a load balancer before the documented nginx: it appends the
    client's address to ``X-Forwarded-For`` and connects to *upstream* from
    the loopback address *bind*, so that the application can tell the hops
    apart. Its clients trust the certificate that *upstream*'s trust.
    """
    folder.mkdir()
    port = free_port()
    cert_path, key_path = _certificate(ca, folder)
    site = (
        "server {\n"
        f"  listen 127.0.0.1:{port} ssl;\n"
        f"  ssl_certificate {cert_path};\n"
        f"  ssl_certificate_key {key_path};\n"
        "  location / {\n"
        f"    proxy_pass {upstream.https_url};\n"
        f"    proxy_bind {bind};\n"
        "    proxy_set_header Host $http_host;\n"
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "  }\n"
        "}\n"
    )
    _run_nginx(binary, folder, site, port, processes)
    return f"https://127.0.0.1:{port}"


def _certificate(ca: trustme.CA, folder: Path) -> tuple[Path, Path]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    return cert_path, key_path


def _run_nginx(
    binary: str,
    folder: Path,
    site: str,
    port: int,
    processes: list[subprocess.Popen[bytes]],
) -> Path:
    """Run nginx serving *site* from *folder* until *port* listens; its error log."""
    (folder / "site.conf").write_text(site)
    error_log = folder / "error.log"
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\n"
        f"error_log {error_log} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {folder}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {folder}/site.conf;\n"
        "}\n"
    )
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(folder),
            "-c",
            str(main),
            "-g",
            "daemon off; master_process off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    processes.append(process)
    _wait_listening(process, port, error_log)
    return error_log


def stop_processes(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Terminate each of *processes* and wait for it, ten seconds at most."""
    for process in processes:
        process.terminate()
        process.communicate(timeout=10)


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


# Middlewares called without a server


class Transport:
    """A transport whose peer address is whatever the test says.

    For ``make_mocked_request(..., transport=Transport(peer))``: the peer
    that https_middleware and proxy_middleware check.
    """

    def __init__(self, peername: object) -> None:
        self.peername = peername

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self.peername if name == "peername" else default


async def call(
    middleware: Middleware, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Await *middleware* on *request* around *handler*.

    A :class:`Middleware` promises an awaitable only, where
    :func:`asyncio.run` and :func:`asyncio.create_task` take a coroutine:
    this is one.
    """
    return await middleware(request, handler)


# Requests whose task gets cancelled
#
# aiohttp cancels a handler whose client disconnects only when the server runs
# with handler_cancellation=True, which the test client fixtures do not set:
# serving() starts such a server, send() opens a raw connection the test can
# drop at the moment it chooses, and Outcome is an outermost middleware
# recording what came out of the rest of the chain.


@asynccontextmanager
async def serving(
    app: web.Application, *, handler_cancellation: bool = True, **kwargs: Any
) -> AsyncIterator[int]:
    """Serve *app* on a free loopback port; yield the port.

    Handler cancellation is on unless *handler_cancellation* is false, as
    ``web.run_app`` runs an app by default; *kwargs* go to
    :class:`aiohttp.web.AppRunner` (``access_log_class`` ...) as ``run_app``'s do.
    """
    runner = web.AppRunner(app, handler_cancellation=handler_cancellation, **kwargs)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port: int = runner.addresses[0][1]
        yield port
    finally:
        await runner.cleanup()


async def send(
    port: int, method: str, path: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send a request on a raw connection; close the writer to disconnect."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def disconnect(writer: asyncio.StreamWriter) -> None:
    """Close the connection as a client that gives up does."""
    writer.close()
    await writer.wait_closed()


class Outcome:
    """An outer middleware that records how the inner chain ended."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.error: BaseException | None = None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.done.set()


# error_middleware

#: The logger error_middleware logs on.
ERROR_LOGGER = "aiohttp_middlewares.error"


def raising(err: Exception) -> Handler:
    """A request handler that raises *err*."""

    async def handler(request: web.Request) -> web.StreamResponse:
        raise err

    return handler


def answering(text: str) -> Handler:
    """An error handler that answers *text* with the error's status."""

    async def handler(request: web.Request) -> web.StreamResponse:
        with error_context(request) as context:
            return web.Response(text=text, status=context.status)

    return handler


async def ok(request: web.Request) -> web.Response:
    """A request handler answering 200 ``fine`` with an ``X-Kept`` header."""
    return web.Response(text="fine", headers={"X-Kept": "1"})


def answering_with(**options: Any) -> Middleware:
    """A middleware of one's own answering errors with ``get_error_response``."""

    @web.middleware
    async def custom(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Exception as err:
            return await get_error_response(request, err, **options)

    return custom


def app_with(handler: Handler, *paths: str, **options: Any) -> web.Application:
    """An application serving *handler* on *paths* behind error_middleware."""
    app = web.Application(middlewares=[error_middleware(**options)])
    for path in paths or ("/",):
        app.router.add_route("*", path, handler)
    return app


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records that error_middleware logged during the test."""
    return [record for record in caplog.records if record.name == ERROR_LOGGER]


def package_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records at ERROR or above of every logger of the package."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("aiohttp_middlewares")
        and record.levelno >= logging.ERROR
    ]


# Request bodies that aiohttp cannot read


async def _read_body(request: web.Request) -> web.Response:
    return web.Response(text=f"read {len(await request.read())} bytes")


def reading_app(**options: Any) -> web.Application:
    """``POST /`` reads the whole body, behind ``error_middleware(**options)``."""
    return app_with(_read_body, **options)


def serve_reading_app() -> None:
    """The child of :func:`pure_python_server`: serve :func:`reading_app`.

    It listens on the port given as its argument, says ``listening`` once it
    does, and prints every log record as ``LEVEL logger: message`` on stdout.
    """
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    web.run_app(
        reading_app(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        print=lambda _: print("listening", flush=True),
        access_log=None,
    )


@contextmanager
def pure_python_server() -> Iterator[tuple[int, list[str]]]:
    """Serve :func:`reading_app` where aiohttp parses HTTP in pure Python.

    aiohttp's C parser fails a broken chunk without telling the handler that
    reads the body (it waits until the client leaves); its pure-Python parser,
    which ``AIOHTTP_NO_EXTENSIONS=1`` selects when aiohttp is imported, raises
    into the handler (from aiohttp 3.13.4 on: before, it too leaves the handler
    waiting). The server runs in a child process for that. Yields its
    port and a list that holds, once the block is left and the server
    stopped, the lines it printed (its log records).
    """
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tests.helpers import serve_reading_app; serve_reading_app()",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "AIOHTTP_NO_EXTENSIONS": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        # The child says when it listens: the event we wait for.
        assert process.stdout.readline() == "listening\n"
        yield port, lines
    finally:
        process.send_signal(signal.SIGINT)  # run_app shuts down cleanly on SIGINT
        try:
            out, _ = process.communicate(timeout=10)
        finally:
            process.kill()  # a no-op once it exited; a stuck handler holds it up
        lines.extend(out.splitlines())


# cors_middleware

#: The origin the CORS tests allow, and one they do not.
ORIGIN = "https://app.example"
OTHER = "https://evil.example"
#: The logger cors_middleware logs on.
CORS_LOGGER = "aiohttp_middlewares.cors"
#: The body of :func:`event_stream`.
EVENT = b"data: one\n\n"


async def event_stream(request: web.Request) -> web.StreamResponse:
    """A handler that prepares its own response: one server-sent event."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(EVENT)
    # No write_eof(): aiohttp ends the stream after the handler returns.
    return response


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """A handler that accepts a WebSocket and closes it."""
    response = web.WebSocketResponse()
    await response.prepare(request)
    await response.close()
    return response


async def hello(request: web.Request) -> web.Response:
    """``GET /`` of :func:`api_app`: ``hello``, with two custom headers."""
    return web.Response(text="hello", headers={"X-Total": "3", "X-Secret": "s"})


async def _varies(request: web.Request) -> web.Response:
    return web.Response(text="varies", headers={"Vary": request.query["vary"]})


async def _missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(headers={"X-Trace": "t1"})


async def _moved(request: web.Request) -> web.Response:
    redirect = web.HTTPFound("/next", headers={"X-Reason": "moved"})
    redirect.set_cookie("session", "abc")
    raise redirect


async def _broken(request: web.Request) -> web.Response:
    raise ValueError("broken handler")


async def _options(request: web.Request) -> web.Response:
    return web.Response(text="options handler")


def api_app(*middlewares: Middleware) -> web.Application:
    """The API every CORS test talks to: a few routes, the given middlewares.

    ``GET /`` is :func:`hello`; ``OPTIONS /`` answers ``options handler``;
    ``/varies?vary=...`` sends that ``Vary``; ``/missing`` raises a 404 with
    ``X-Trace``; ``/moved`` raises a 302 with a header and a cookie;
    ``/broken`` raises ``ValueError``.
    """
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/", hello)
    app.router.add_options("/", _options)
    app.router.add_get("/varies", _varies)
    app.router.add_get("/missing", _missing)
    app.router.add_get("/moved", _moved)
    app.router.add_get("/broken", _broken)
    return app


def recorder(outcomes: list[str]) -> Middleware:
    """An outer middleware noting whether the inner ones returned or raised."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            outcomes.append(f"raised {exc.status}")
            raise
        outcomes.append(f"returned {response.status}")
        return response

    return record


async def serve(
    aiohttp_client: AiohttpClient, **kwargs: Any
) -> TestClient[web.Request, web.Application]:
    """A client for :func:`api_app` behind ``cors_middleware(**kwargs)``."""
    return await aiohttp_client(api_app(cors_middleware(**kwargs)))


def cors_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The Access-Control-* headers of a response, by lower-case name."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower().startswith("access-control-")
    }


# request_id_middleware

#: The logger request_id_middleware logs on.
REQUEST_ID_LOGGER = "aiohttp_middlewares.request_id"
#: What a new id of the default generator looks like: a uuid4 in hex.
NEW_ID = re.compile(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}")


@dataclass(frozen=True)
class Line:
    """One record as a handler with :class:`RequestIdFilter` formats it."""

    logger: str
    level: int
    request_id: str
    message: str


class Lines(logging.Handler):
    """A logging handler that keeps every record it sees, with its request id.

    The id comes from a :class:`RequestIdFilter` on the handler, as the docs
    set it up: ``%(request_id)s`` would print :attr:`Line.request_id`.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.lines: list[Line] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(
            Line(
                record.name,
                record.levelno,
                record.__dict__["request_id"],
                record.getMessage(),
            )
        )

    def of(self, logger: str) -> list[Line]:
        """The lines of *logger* alone."""
        return [line for line in self.lines if line.logger == logger]


@contextmanager
def logged(*names: str, level: int = logging.DEBUG) -> Iterator[Lines]:
    """Collect the records of the loggers *names* at *level* and above.

    The loggers get their level and one :class:`Lines` handler for the
    duration of the block, and are left as they were.
    """
    lines = Lines()
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(level)
        log.addHandler(lines)
    try:
        yield lines
    finally:
        for log, old in zip(loggers, levels, strict=True):
            log.removeHandler(lines)
            log.setLevel(old)


async def echo_id(request: web.Request) -> web.Response:
    """A request handler answering the id that :func:`current_request_id` reads."""
    return web.Response(text=current_request_id() or "none")


async def finish_after_client_left(work: Handler) -> None:
    """Run *work* as a shielded ``POST`` whose client has left.

    The application has request_id_middleware outermost and shields ``POST``.
    The client disconnects once the handler started; *work* runs once the
    request was cancelled, and this returns when it has finished (the
    server's shutdown waits for it).
    """
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        started.set()
        await cancelled.wait()
        return await work(request)

    outcome = Outcome()
    app = web.Application(
        middlewares=[
            request_id_middleware(),
            outcome.middleware,
            shield_middleware(methods=["POST"]),
        ]
    )
    app.router.add_post("/", handler)
    app.on_shutdown.append(wait_shielded)
    async with serving(app) as port:
        _, writer = await send(port, "POST", "/")
        await started.wait()
        await disconnect(writer)
        await outcome.done.wait()
        assert isinstance(outcome.error, asyncio.CancelledError)
        cancelled.set()


# proxy_middleware

#: Where the proxy tests' clients connect from: a loopback address other than
#: 127.0.0.1, the proxy's, so that the application can tell the two apart.
CLIENT = "127.0.0.2"


async def report(request: web.Request) -> web.Response:
    """A handler answering, as JSON, what it sees of the client and the URL."""
    return web.json_response(
        {
            "remote": request.remote,
            "scheme": request.scheme,
            "secure": request.secure,
            "host": request.host,
            "url": str(request.url),
        }
    )


def report_app(*middlewares: Middleware) -> web.Application:
    """An application answering :func:`report` on ``GET /`` and ``GET /items``.

    An outer middleware remembers the request it passes on, so the answer's
    ``X-Cloned`` header can say whether *middlewares* handed the handler a
    clone (``True``) or the request itself (``False``).
    """
    passed: list[web.Request] = []

    @web.middleware
    async def remember(request: web.Request, handler: Handler) -> web.StreamResponse:
        passed[:] = [request]
        return await handler(request)

    async def reporting(request: web.Request) -> web.StreamResponse:
        response = await report(request)
        response.headers["X-Cloned"] = str(request is not passed[0])
        return response

    app = web.Application(middlewares=[remember, *middlewares])
    app.router.add_get("/", reporting)
    app.router.add_get("/items", reporting)
    return app


async def reported(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """What :func:`report` answered, and ``cloned`` from :func:`report_app`."""
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    if "X-Cloned" in response.headers:
        result["cloned"] = response.headers["X-Cloned"] == "True"
    return result


async def get_report(
    client: TestClient[web.Request, web.Application],
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """``GET /`` of a :func:`report_app` with *headers* (lines may repeat)."""
    async with client.get("/", headers=CIMultiDict(headers)) as response:
        return await reported(response)


def bound_to(address: str, **kwargs: Any) -> aiohttp.TCPConnector:
    """A connector whose connections come from *address* (a loopback one)."""
    return aiohttp.TCPConnector(
        local_addr=(address, 0), family=socket.AF_INET, **kwargs
    )


class AccessLog(logging.Handler):
    """The lines aiohttp's access logger writes, and an event for each.

    aiohttp logs a request after its response is sent, so a client may read
    the answer before the line exists: :meth:`next_line` waits for it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.written = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.written.set()

    async def next_line(self) -> str:
        """The oldest line not returned yet, waiting up to ten seconds for it."""
        while not self.lines:
            self.written.clear()
            await asyncio.wait_for(self.written.wait(), 10)
        return self.lines.pop(0)

    @classmethod
    @contextmanager
    def capture(cls) -> Iterator[AccessLog]:
        """Enable aiohttp's access logger (INFO) and collect its lines."""
        access = logging.getLogger("aiohttp.access")
        handler, level = cls(), access.level
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        try:
            yield handler
        finally:
            access.removeHandler(handler)
            access.setLevel(level)
