"""https_middleware on a real server: which headers match, which peers count."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from multidict import CIMultiDict

from aiohttp_middlewares import https_middleware

from .helpers import Transport, get_report, report_app

Headers = Mapping[str, str] | Sequence[tuple[str, str]]
# TestClient is generic in recent aiohttp only: the tests also run on aiohttp 3.9.
Serve = Callable[..., Awaitable["TestClient[web.Request, web.Application]"]]


async def login(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.url.with_path("/welcome"))


def make_app(**kwargs: Any) -> web.Application:
    """report_app() behind https_middleware(**kwargs), and a login redirect."""
    app = report_app(https_middleware(**kwargs))
    app.router.add_get("/login", login)
    return app


@pytest.fixture
def serve(aiohttp_client: Any) -> Serve:
    async def start(
        **kwargs: Any,
    ) -> TestClient[web.Request, web.Application]:
        client: TestClient[web.Request, web.Application] = await aiohttp_client(
            make_app(**kwargs)
        )
        return client

    return start


async def scheme(
    client: TestClient[web.Request, web.Application], headers: Headers = ()
) -> str:
    return str((await get_report(client, headers))["scheme"])


async def fetch_scheme(url: str, headers: Headers, **kwargs: Any) -> str:
    async with (
        aiohttp.ClientSession(**kwargs) as session,
        session.get(url, headers=CIMultiDict(headers)) as response,
    ):
        return str((await response.json())["scheme"])


# The documented API


async def test_default_header_gives_https_scheme_secure_and_url(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-Proto": "https"})
    assert result["scheme"] == "https"
    assert result["secure"] is True
    assert result["url"] == f"https://127.0.0.1:{client.port}/"


async def test_redirect_built_from_request_url_goes_to_https(serve: Serve) -> None:
    client = await serve()
    headers = {"X-Forwarded-Proto": "https", "Host": "example.com"}
    async with client.get("/login", headers=headers, allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "https://example.com/welcome"


async def test_request_without_header_passes_unchanged(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client)
    assert result["scheme"] == "http"
    assert result["url"].startswith("http://")
    assert result["cloned"] is False


async def test_matching_request_is_cloned(serve: Serve) -> None:
    client = await serve()
    assert (await get_report(client, {"X-Forwarded-Proto": "https"}))["cloned"] is True


async def test_other_value_passes_unchanged(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-Proto": "http"})
    assert result["scheme"] == "http"
    assert result["cloned"] is False


async def test_value_compares_case_insensitively(serve: Serve) -> None:
    client = await serve()
    assert await scheme(client, {"X-Forwarded-Proto": "HTTPS"}) == "https"


async def test_configured_value_compares_case_insensitively(serve: Serve) -> None:
    client = await serve(match_headers={"X-Forwarded-Proto": "HTTPS"})
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "https"


async def test_custom_headers_replace_the_default(serve: Serve) -> None:
    client = await serve(match_headers={"X-Scheme": "https"})
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "http"
    assert await scheme(client, {"X-Scheme": "https"}) == "https"


async def test_any_configured_header_is_enough(serve: Serve) -> None:
    client = await serve(match_headers={"X-Forwarded-Proto": "https", "X-Ssl": "on"})
    assert await scheme(client, {"X-Forwarded-Proto": "http", "X-Ssl": "on"}) == "https"


async def test_empty_match_headers_match_nothing(serve: Serve) -> None:
    client = await serve(match_headers={})
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "http"


async def test_tls_connection_stays_https_whatever_the_header(
    aiohttp_server: Any, tls_ca: Any
) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    tls_ca.configure_trust(client_context)
    server = await aiohttp_server(make_app(), ssl=server_context)
    headers = {"X-Forwarded-Proto": "http"}
    url = str(server.make_url("/"))
    assert (
        await fetch_scheme(
            url, headers, connector=aiohttp.TCPConnector(ssl=client_context)
        )
        == "https"
    )


# Forwarded (RFC 7239)


async def test_raw_forwarded_value_still_matches(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": "https"}) == "https"


async def test_forwarded_proto_parameter_matches(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    value = "for=192.0.2.60;proto=https;by=203.0.113.43"
    assert await scheme(client, {"Forwarded": value}) == "https"


async def test_forwarded_parameter_names_are_case_insensitive(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": "For=192.0.2.60;PROTO=HTTPS"}) == "https"


async def test_forwarded_quoted_value_matches(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    value = 'for="[2001:db8:cafe::17]:4711";proto="https"'
    assert await scheme(client, {"Forwarded": value}) == "https"


async def test_forwarded_quoted_value_unescapes_backslashes(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": r'proto="h\ttp\s"'}) == "https"


async def test_forwarded_unquoted_ipv6_is_tolerated(serve: Serve) -> None:
    # What nginx's "for=$remote_addr;proto=$scheme" sends for an IPv6 client.
    client = await serve(match_headers={"Forwarded": "https"})
    value = "for=2001:db8::1;proto=https, for=[2001:db8::2]:80;proto=https"
    assert await scheme(client, {"Forwarded": value}) == "https"


async def test_forwarded_last_element_decides(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": "proto=http, proto=https"}) == "https"
    assert await scheme(client, {"Forwarded": "proto=https, proto=http"}) == "http"


async def test_forwarded_last_element_without_proto_does_not_match(
    serve: Serve,
) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": "proto=https, for=10.0.0.1"}) == "http"


async def test_forwarded_empty_elements_are_ignored(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": ", proto=https ,, "}) == "https"


async def test_forwarded_header_lines_join_in_order(serve: Serve) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    http_last = [("Forwarded", "proto=https"), ("Forwarded", "for=a;proto=http")]
    https_last = [("Forwarded", "proto=http"), ("Forwarded", "for=a;proto=https")]
    assert await scheme(client, http_last) == "http"
    assert await scheme(client, https_last) == "https"


@pytest.mark.parametrize(
    "value",
    [
        "proto",
        "proto=",
        "=https",
        'proto="https',
        'proto=https"',
        "proto=https;proto=https",
        "proto = https",
        "proto=ht tps",
        "proto=https, garbage",
        'proto=https, for="unbalanced',
        "pröto=https",
        "proto=httpş",
        ";;;,,,=;=,",
        "proto=https;" + "x" * 8000,
        "proto=" + "\\" * 8000,
        "for=" + " " * 8000 + "!",
    ],
)
async def test_malformed_forwarded_does_not_match(serve: Serve, value: str) -> None:
    client = await serve(match_headers={"Forwarded": "https"})
    assert await scheme(client, {"Forwarded": value}) == "http"


# X-Forwarded-* and other headers


async def test_x_forwarded_proto_last_value_decides(serve: Serve) -> None:
    client = await serve()
    assert await scheme(client, {"X-Forwarded-Proto": "https, http"}) == "http"
    assert await scheme(client, {"X-Forwarded-Proto": "http , https"}) == "https"


async def test_x_forwarded_proto_lines_join_in_order(serve: Serve) -> None:
    client = await serve()
    lines = [("X-Forwarded-Proto", "http"), ("X-Forwarded-Proto", "https")]
    assert await scheme(client, lines) == "https"
    assert await scheme(client, lines[::-1]) == "http"


async def test_x_forwarded_proto_empty_values_are_ignored(serve: Serve) -> None:
    client = await serve()
    assert await scheme(client, {"X-Forwarded-Proto": "https, ,"}) == "https"


async def test_other_x_forwarded_header_last_value_decides(serve: Serve) -> None:
    client = await serve(match_headers={"X-Forwarded-Ssl": "on"})
    assert await scheme(client, {"X-Forwarded-Ssl": "off, on"}) == "https"


async def test_other_header_compares_whole_value(serve: Serve) -> None:
    client = await serve(match_headers={"Front-End-Https": "on"})
    assert await scheme(client, {"Front-End-Https": "off, on"}) == "http"
    assert await scheme(client, {"Front-End-Https": "On"}) == "https"


@pytest.mark.parametrize(
    "value", ["", ",", "https,, x y", "\uff48\uff54\uff54\uff50\uff53", "h" * 8000]
)
async def test_odd_x_forwarded_proto_does_not_match(serve: Serve, value: str) -> None:
    client = await serve()
    assert await scheme(client, {"X-Forwarded-Proto": value}) == "http"


# trusted_proxies


async def test_trusted_peer_headers_are_honoured(serve: Serve) -> None:
    client = await serve(trusted_proxies=["127.0.0.1"])
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "https"


async def test_untrusted_peer_headers_are_ignored(serve: Serve) -> None:
    client = await serve(trusted_proxies=["10.0.0.0/8", "::1"])
    result = await get_report(client, {"X-Forwarded-Proto": "https"})
    assert result["scheme"] == "http"
    assert result["cloned"] is False


async def test_untrusted_peer_is_logged_at_debug_level(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(trusted_proxies=["10.0.0.0/8"])
    with caplog.at_level(logging.DEBUG, logger="aiohttp_middlewares.https"):
        await scheme(client, {"X-Forwarded-Proto": "https"})
    assert "untrusted peer 127.0.0.1" in caplog.text


async def test_trusted_network_contains_peer(serve: Serve) -> None:
    client = await serve(trusted_proxies=["127.0.0.0/8"])
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "https"


async def test_network_with_host_bits_is_accepted(serve: Serve) -> None:
    client = await serve(trusted_proxies=["127.0.0.9/8"])
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "https"


async def test_ipaddress_objects_are_accepted(serve: Serve) -> None:
    address = await serve(trusted_proxies=[ipaddress.ip_address("127.0.0.1")])
    network = await serve(trusted_proxies={ipaddress.ip_network("127.0.0.0/8")})
    assert await scheme(address, {"X-Forwarded-Proto": "https"}) == "https"
    assert await scheme(network, {"X-Forwarded-Proto": "https"}) == "https"


async def test_empty_trusted_proxies_trust_no_ip_peer(serve: Serve) -> None:
    client = await serve(trusted_proxies=[])
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "http"


@pytest.fixture
async def serve_on() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Serve ``make_app(**kwargs)`` on a bound socket; return the URL to call."""
    runners: list[web.AppRunner] = []

    async def start(host: str, sock: socket.socket, **kwargs: Any) -> str:
        runner = web.AppRunner(make_app(**kwargs))
        runners.append(runner)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return f"http://{host}:{sock.getsockname()[1]}/"

    yield start
    for runner in runners:
        await runner.cleanup()


def ipv6_socket(address: str, *, v6only: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_INET6)
    # Without V6ONLY the socket also accepts IPv4 peers, as ::ffff:a.b.c.d.
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    sock.bind((address, 0))
    return sock


async def test_ipv6_peer_is_checked(serve_on: Callable[..., Awaitable[str]]) -> None:
    trusted = await serve_on("[::1]", ipv6_socket("::1"), trusted_proxies=["::1"])
    untrusted = await serve_on(
        "[::1]", ipv6_socket("::1"), trusted_proxies=["127.0.0.1", "fd00::/8"]
    )
    assert await fetch_scheme(trusted, {"X-Forwarded-Proto": "https"}) == "https"
    assert await fetch_scheme(untrusted, {"X-Forwarded-Proto": "https"}) == "http"


def dual_stack_socket() -> socket.socket:
    return ipv6_socket("::ffff:127.0.0.1", v6only=False)


async def test_ipv4_mapped_peer_compares_as_ipv4(
    serve_on: Callable[..., Awaitable[str]],
) -> None:
    ipv4 = await serve_on(
        "127.0.0.1", dual_stack_socket(), trusted_proxies=["127.0.0.1"]
    )
    ipv6 = await serve_on("127.0.0.1", dual_stack_socket(), trusted_proxies=["::/0"])
    assert await fetch_scheme(ipv4, {"X-Forwarded-Proto": "https"}) == "https"
    assert await fetch_scheme(ipv6, {"X-Forwarded-Proto": "https"}) == "http"


async def test_ipv4_mapped_network_is_read_as_ipv4(
    serve_on: Callable[..., Awaitable[str]],
) -> None:
    # ::ffff:0:0/96 holds every mapped address: it is 0.0.0.0/0.
    sock = dual_stack_socket()
    url = await serve_on("127.0.0.1", sock, trusted_proxies=["::ffff:0:0/96"])
    assert await fetch_scheme(url, {"X-Forwarded-Proto": "https"}) == "https"


async def test_ipv4_mapped_trusted_address_matches_ipv4_peer(serve: Serve) -> None:
    client = await serve(trusted_proxies=["::ffff:127.0.0.1"])
    assert await scheme(client, {"X-Forwarded-Proto": "https"}) == "https"


async def test_unix_socket_peer_is_trusted(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    runner = web.AppRunner(make_app(trusted_proxies=["10.0.0.0/8"]))
    await runner.setup()
    try:
        await web.UnixSite(runner, path).start()
        url, headers = "http://localhost/", {"X-Forwarded-Proto": "https"}
        connector = aiohttp.UnixConnector(path=path)
        assert await fetch_scheme(url, headers, connector=connector) == "https"
    finally:
        await runner.cleanup()


async def scheme_through(middleware: Any, transport: object, lost: bool = False) -> str:
    request = make_mocked_request(
        "GET", "/", {"X-Forwarded-Proto": "https"}, transport=transport
    )
    if lost:
        request.protocol.transport = None

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.scheme)

    response = await middleware(request, handler)
    return str(response.text)


async def test_abstract_unix_socket_peer_is_trusted() -> None:
    middleware = https_middleware(trusted_proxies=["10.0.0.0/8"])
    assert await scheme_through(middleware, Transport(b"\0peer")) == "https"


async def test_unreadable_peer_is_not_trusted() -> None:
    middleware = https_middleware(trusted_proxies=["0.0.0.0/0", "::/0"])
    assert await scheme_through(middleware, Transport(None)) == "http"


@pytest.mark.parametrize("host", ["host", "300.1.1.1", "1:2:3", "1" * 100])
async def test_unparsable_peer_address_is_not_trusted(host: str) -> None:
    middleware = https_middleware(trusted_proxies=["0.0.0.0/0", "::/0"])
    assert await scheme_through(middleware, Transport((host, 1))) == "http"


async def test_star_trusts_every_peer() -> None:
    for trusted_proxies in ("*", ["*"]):
        middleware = https_middleware(trusted_proxies=trusted_proxies)
        transport = Transport(("203.0.113.9", 1))
        assert await scheme_through(middleware, transport) == "https"


async def test_closed_connection_is_not_trusted() -> None:
    middleware = https_middleware(trusted_proxies=["0.0.0.0/0", "::/0"])
    transport = Transport(("127.0.0.1", 1))
    assert await scheme_through(middleware, transport, lost=True) == "http"


async def test_without_trusted_proxies_any_peer_is_trusted() -> None:
    middleware = https_middleware()
    assert await scheme_through(middleware, Transport(("203.0.113.9", 1))) == "https"


# Configuration


def test_factory_needs_no_event_loop() -> None:
    assert callable(https_middleware(trusted_proxies=["10.0.0.0/8"]))


@pytest.mark.parametrize(
    "match_headers",
    [["X-Forwarded-Proto"], "X-Forwarded-Proto", {"X-Forwarded-Proto": 1}, {1: "on"}],
)
def test_match_headers_must_be_dict_of_str(match_headers: Any) -> None:
    with pytest.raises(TypeError, match="match_headers"):
        https_middleware(match_headers)


@pytest.mark.parametrize("name", ["", "X Forwarded", "X-Proto:", "Prötö"])
def test_invalid_header_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="match_headers"):
        https_middleware({name: "https"})


@pytest.mark.parametrize("trusted_proxies", ["127.0.0.1", b"127.0.0.1", 42])
def test_trusted_proxies_must_be_a_collection(trusted_proxies: Any) -> None:
    with pytest.raises(TypeError, match="trusted_proxies"):
        https_middleware(trusted_proxies=trusted_proxies)


@pytest.mark.parametrize("item", [42, None, b"127.0.0.1", ("127.0.0.1", 8)])
def test_trusted_proxy_item_type_is_checked(item: Any) -> None:
    with pytest.raises(TypeError, match="trusted_proxies"):
        https_middleware(trusted_proxies=[item])


@pytest.mark.parametrize("item", ["", "localhost", "10.0.0.0/33", "300.1.1.1", "::g"])
def test_invalid_trusted_proxy_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        https_middleware(trusted_proxies=[item])
