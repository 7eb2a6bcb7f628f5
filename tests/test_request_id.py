"""request_id_middleware on a real server: which ids are kept, which are new.

An attacker controls the incoming header: whatever it holds (control
characters, CR and LF, ten kilobytes, two lines, an untrusted peer), the
request gets an id that is safe to send and to log, and the invalid one is
never sent back.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from aiohttp_middlewares import (
    REQUEST_ID_KEY,
    current_request_id,
    https_middleware,
    request_id_middleware,
)
from aiohttp_middlewares.annotations import Middleware

from .helpers import NEW_ID, REQUEST_ID_LOGGER, echo_id, logged

if TYPE_CHECKING:
    from aiohttp.test_utils import TestServer
    from pytest_aiohttp import AiohttpClient, AiohttpServer

HEADER = "X-Request-ID"


def app_with(*middlewares: Middleware) -> web.Application:
    """``GET /`` answers the id that current_request_id() reads."""
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/", echo_id)
    return app


async def answer(
    aiohttp_client: AiohttpClient,
    middleware: Middleware,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
) -> tuple[str, list[str]]:
    """What the handler read, and the id headers of the answer."""
    client = await aiohttp_client(app_with(middleware))
    response = await client.get("/", headers=headers)
    assert response.status == 200
    return await response.text(), response.headers.getall(HEADER, [])


async def test_request_without_id_gets_a_new_uuid4(
    aiohttp_client: AiohttpClient,
) -> None:
    seen, sent = await answer(aiohttp_client, request_id_middleware())
    assert NEW_ID.fullmatch(seen)
    assert uuid.UUID(seen).version == 4
    assert sent == [seen]


async def test_every_request_gets_its_own_new_id(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(app_with(request_id_middleware()))
    ids = {(await client.get("/")).headers[HEADER] for _ in range(20)}
    assert len(ids) == 20


async def test_id_is_on_the_request_under_the_documented_key(
    aiohttp_client: AiohttpClient,
) -> None:
    async def keyed(request: web.Request) -> web.Response:
        request_id: str = request[REQUEST_ID_KEY]
        return web.Response(text=request_id)

    # https_middleware hands the handler a clone: it carries the key too.
    app = web.Application(middlewares=[request_id_middleware(), https_middleware()])
    app.router.add_get("/", keyed)
    client = await aiohttp_client(app)
    response = await client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert await response.text() == response.headers[HEADER]


@pytest.mark.parametrize(
    "incoming",
    [
        "a",
        "0123456789abcdef0123456789abcdef",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "req_42:node-7/3=ok~!",
        "x" * 128,
    ],
)
async def test_valid_incoming_id_is_kept_and_sent_back(
    aiohttp_client: AiohttpClient, incoming: str
) -> None:
    seen, sent = await answer(
        aiohttp_client, request_id_middleware(), {HEADER: incoming}
    )
    assert seen == incoming
    assert sent == [incoming]


async def exchange(server: TestServer, incoming: bytes) -> tuple[bytes, bytes]:
    """Send *incoming* as the id header, byte for byte; return the answer's
    id headers (joined by CR LF) and its body."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + HEADER.encode()
        + b": "
        + incoming
        + b"\r\n\r\n"
    )
    reply = await reader.read()
    writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    return b"\r\n".join(re.findall(rb"(?i)\r\nx-request-id: ([^\r]*)", head)), body


# What an attacker may send that aiohttp's parser lets through.
INVALID = {
    "empty": b"",
    "129 characters": b"x" * 129,
    "10 KB": b"x" * 10_000,
    "space": b"two words",
    "tab": b"tab\there",
    "non-ASCII": "caf\u00e9".encode(),
    "bidi override": "\u202eevil".encode(),
    "invalid UTF-8": b"\xff\xfe",
}


@pytest.mark.parametrize("incoming", INVALID.values(), ids=INVALID.keys())
async def test_invalid_incoming_id_is_replaced_logged_and_never_sent(
    aiohttp_server: AiohttpServer, incoming: bytes
) -> None:
    # A larger field limit than aiohttp's 8190 bytes lets the 10 KB id reach
    # the middleware rather than aiohttp's own 400.
    server = await aiohttp_server(
        app_with(request_id_middleware()), max_field_size=20_000
    )
    with logged(REQUEST_ID_LOGGER) as lines:
        sent, seen = await exchange(server, incoming)
    assert NEW_ID.fullmatch(seen.decode())
    assert sent == seen
    [line] = lines.of(REQUEST_ID_LOGGER)
    assert line.level == logging.DEBUG
    assert line.message.startswith(f"Invalid {HEADER} ignored: ")
    # The log shows a repr, cut short: no control character, no 10 KB line.
    assert line.message.isprintable()
    assert len(line.message) < 120


async def test_two_id_lines_are_both_ignored(aiohttp_client: AiohttpClient) -> None:
    with logged(REQUEST_ID_LOGGER) as lines:
        seen, sent = await answer(
            aiohttp_client,
            request_id_middleware(),
            [(HEADER, "from-the-client"), (HEADER, "from-the-proxy")],
        )
    assert NEW_ID.fullmatch(seen)
    assert sent == [seen]
    [line] = lines.of(REQUEST_ID_LOGGER)
    assert "from-the-client" in line.message


async def test_header_injection_through_the_parser_is_refused_by_aiohttp(
    aiohttp_client: AiohttpClient,
) -> None:
    # CR, LF and other control characters never reach the middleware: the
    # parser answers 400 itself, so no header can be smuggled into the answer.
    client = await aiohttp_client(app_with(request_id_middleware()))
    assert client.port is not None
    for raw in (b"a\rX-Evil: 1", b"a\x01b", b"a\x00b"):
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + raw + b"\r\n\r\n")
        reply = await reader.read()
        writer.close()
        assert reply.split(b" ", 2)[1] == b"400"
        assert b"X-Evil" not in reply.partition(b"\r\n\r\n")[0]


@pytest.mark.parametrize(
    ("proxies", "kept"),
    [
        (["127.0.0.1"], True),
        (["127.0.0.0/8", "::1"], True),
        ("*", True),
        (["10.0.0.0/8"], False),
        ([], False),
    ],
    ids=repr,
)
async def test_incoming_id_counts_only_from_trusted_proxies(
    aiohttp_client: AiohttpClient, proxies: Any, kept: bool
) -> None:
    with logged(REQUEST_ID_LOGGER) as lines:
        seen, sent = await answer(
            aiohttp_client,
            request_id_middleware(trusted_proxies=proxies),
            {HEADER: "proxied-1"},
        )
    assert sent == [seen]
    if kept:
        assert seen == "proxied-1"
        assert lines.lines == []
    else:
        assert NEW_ID.fullmatch(seen)
        [line] = lines.of(REQUEST_ID_LOGGER)
        assert line.level == logging.DEBUG
        assert line.message == (
            f"{HEADER} from untrusted peer 127.0.0.1 ignored: ['proxied-1']"
        )


async def test_a_unix_socket_peer_is_trusted(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    runner = web.AppRunner(
        app_with(request_id_middleware(trusted_proxies=["10.0.0.0/8"]))
    )
    await runner.setup()
    try:
        await web.UnixSite(runner, path).start()
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.UnixConnector(path=path)
            ) as session,
            session.get("http://localhost/", headers={HEADER: "local-1"}) as response,
        ):
            assert await response.text() == "local-1"
    finally:
        await runner.cleanup()


async def test_keep_incoming_false_always_makes_a_new_id(
    aiohttp_client: AiohttpClient,
) -> None:
    seen, sent = await answer(
        aiohttp_client, request_id_middleware(keep_incoming=False), {HEADER: "abc"}
    )
    assert NEW_ID.fullmatch(seen)
    assert sent == [seen]


async def test_other_header_name(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(
        app_with(request_id_middleware(header="X-Correlation-ID"))
    )
    # Header names compare case-insensitively.
    kept = await client.get("/", headers={"x-correlation-id": "c-1"})
    other = await client.get("/", headers={HEADER: "r-1"})
    assert await kept.text() == kept.headers["X-Correlation-ID"] == "c-1"
    assert NEW_ID.fullmatch(other.headers["X-Correlation-ID"])
    assert HEADER not in other.headers


async def test_generator_makes_the_new_ids(aiohttp_client: AiohttpClient) -> None:
    numbers = iter(range(1, 100))
    client = await aiohttp_client(
        app_with(request_id_middleware(generator=lambda: f"req-{next(numbers)}"))
    )
    sent = [(await client.get("/")).headers[HEADER] for _ in range(3)]
    kept = await client.get("/", headers={HEADER: "given"})
    assert sent == ["req-1", "req-2", "req-3"]
    assert kept.headers[HEADER] == "given"


def failing() -> str:
    raise RuntimeError("no ids left")


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        (lambda: 42, "returned 42, not a str that the validator accepts"),
        (lambda: "", "returned '', not a str"),
        (lambda: "x" * 200, "returned 'xxxxxxx"),
        (lambda: "a\r\nX-Evil: 1", r"returned 'a\r\nX-Evil: 1', not a str"),
        (failing, "failed; the request gets a uuid4 id"),
    ],
    ids=["int", "empty", "too long", "CR LF", "raises"],
)
async def test_bad_generator_result_falls_back_to_a_uuid4_and_logs_an_error(
    aiohttp_client: AiohttpClient, generator: Callable[[], Any], message: str
) -> None:
    client = await aiohttp_client(app_with(request_id_middleware(generator=generator)))
    with logged(REQUEST_ID_LOGGER) as lines:
        # Every request is answered: a broken generator never makes a 5xx.
        answers = [await client.get("/") for _ in range(2)]
    for response in answers:
        assert response.status == 200
        assert NEW_ID.fullmatch(response.headers[HEADER])
        assert "X-Evil" not in response.headers
    assert len(lines.lines) == 2
    for line in lines.lines:
        assert line.level == logging.ERROR
        assert message in line.message


async def test_generator_result_must_pass_the_validator(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(
        app_with(
            request_id_middleware(generator=lambda: "lower-case", validator=str.isupper)
        )
    )
    with logged(REQUEST_ID_LOGGER) as lines:
        response = await client.get("/")
    assert NEW_ID.fullmatch(response.headers[HEADER])
    [line] = lines.lines
    assert "returned 'lower-case', not a str that the validator accepts" in (
        line.message
    )


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def uuid_text() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("f47ac10b-58cc-4372-a567-0e02b2c3d479", True),
        ("f47ac10b58cc4372a5670e02b2c3d479", False),
        ("not-a-uuid", False),
    ],
)
async def test_validator_decides_which_incoming_ids_count(
    aiohttp_client: AiohttpClient, incoming: str, kept: bool
) -> None:
    middleware = request_id_middleware(generator=uuid_text, validator=is_uuid)
    seen, sent = await answer(aiohttp_client, middleware, {HEADER: incoming})
    assert sent == [seen]
    assert (seen == incoming) is kept
    assert is_uuid(seen)


@pytest.mark.parametrize(
    "incoming",
    [b"tab\there", "caf\u00e9".encode(), b"\xff\xfe"],
    ids=["tab", "non-ASCII", "invalid UTF-8"],
)
async def test_a_validator_cannot_admit_what_a_header_cannot_carry(
    aiohttp_server: AiohttpServer, incoming: bytes
) -> None:
    # Sent back as it came, invalid UTF-8 would fail the answer's encoding.
    server = await aiohttp_server(
        app_with(request_id_middleware(validator=lambda value: True))
    )
    sent, seen = await exchange(server, incoming)
    assert NEW_ID.fullmatch(seen.decode())
    assert sent == seen


@pytest.mark.parametrize(
    "made", [" padded", "caf\u00e9", "a\r\nX-Evil: 1", "a\x00b", ""], ids=repr
)
async def test_a_validator_cannot_admit_a_generated_id_a_header_cannot_carry(
    aiohttp_client: AiohttpClient, made: str
) -> None:
    middleware = request_id_middleware(
        generator=lambda: made, validator=lambda value: True
    )
    with logged(REQUEST_ID_LOGGER) as lines:
        seen, sent = await answer(aiohttp_client, middleware)
    assert NEW_ID.fullmatch(seen)
    assert sent == [seen]
    [line] = lines.lines
    assert line.level == logging.ERROR


async def test_a_validator_that_raises_refuses_and_logs(
    aiohttp_client: AiohttpClient,
) -> None:
    def strict(value: str) -> bool:
        if value == "boom":
            raise ValueError("cannot judge")
        return True

    with logged(REQUEST_ID_LOGGER) as lines:
        seen, sent = await answer(
            aiohttp_client, request_id_middleware(validator=strict), {HEADER: "boom"}
        )
    assert NEW_ID.fullmatch(seen)
    assert sent == [seen]
    error, invalid = lines.lines
    assert error.level == logging.ERROR
    assert error.message.startswith("validator ")
    assert "failed on 'boom'; the id counts as invalid" in error.message
    assert invalid.level == logging.DEBUG


def test_current_request_id_is_none_outside_a_request() -> None:
    assert current_request_id() is None
