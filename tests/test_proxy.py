"""proxy_middleware on a real server: whom it believes, and what it takes.

The test client connects from 127.0.0.1, which most tests trust as the proxy;
the headers it sends are what that proxy would have written.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from aiohttp_middlewares import proxy_middleware

from .helpers import (
    CLIENT,
    Transport,
    bound_to,
    get_report,
    report_app,
    reported,
    serving,
)

Headers = Mapping[str, str] | Sequence[tuple[str, str]]
Serve = Callable[..., Awaitable["TestClient[web.Request, web.Application]"]]

#: The proxies of most tests: the test client's 127.0.0.1 and two networks of
#: further proxies.
TRUSTED = ["127.0.0.1", "10.0.0.0/8", "2001:db8:ffff::/48"]
PROXY_LOGGER = "aiohttp_middlewares.proxy"


@pytest.fixture
def serve(aiohttp_client: Any) -> Serve:
    async def start(**kwargs: Any) -> TestClient[web.Request, web.Application]:
        kwargs.setdefault("trusted_proxies", TRUSTED)
        client: TestClient[web.Request, web.Application] = await aiohttp_client(
            report_app(proxy_middleware(**kwargs))
        )
        return client

    return start


async def remote(client: TestClient[web.Request, web.Application], hops: str) -> str:
    address: str = (await get_report(client, {"X-Forwarded-For": hops}))["remote"]
    return address


# X-Forwarded-For: the client's address


async def test_request_without_proxy_headers_passes_unchanged(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client)
    assert (result["remote"], result["scheme"]) == ("127.0.0.1", "http")
    assert result["cloned"] is False


async def test_forwarded_for_gives_the_remote(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-For": "203.0.113.7"})
    assert result["remote"] == "203.0.113.7"
    assert result["cloned"] is True


@pytest.mark.parametrize(
    ("hop", "address"),
    [
        ("203.0.113.7:4711", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:4711", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("[::ffff:203.0.113.7]:80", "203.0.113.7"),
        ("203.0.113.7:_obf", "203.0.113.7"),
    ],
)
async def test_address_forms_give_a_plain_address(
    serve: Serve, hop: str, address: str
) -> None:
    client = await serve()
    assert await remote(client, hop) == address


async def test_walk_steps_over_trusted_hops_to_the_client(serve: Serve) -> None:
    client = await serve()
    assert await remote(client, "6.6.6.6, 203.0.113.7, 10.0.0.5") == "203.0.113.7"


async def test_trusted_hops_compare_ipv4_mapped_and_ipv6(serve: Serve) -> None:
    client = await serve()
    hops = "203.0.113.7, [2001:db8:ffff::1]:80, ::ffff:10.0.0.5"
    assert await remote(client, hops) == "203.0.113.7"


async def test_every_hop_trusted_gives_the_leftmost(serve: Serve) -> None:
    client = await serve()
    assert await remote(client, "10.0.0.1, 10.0.0.2") == "10.0.0.1"


@pytest.mark.parametrize("hop", ["unknown", "_hidden", "garbage", "300.1.1.1", "1:2"])
async def test_hop_that_is_no_address_ends_the_walk_at_the_last_trusted(
    serve: Serve, hop: str
) -> None:
    client = await serve()
    assert await remote(client, f"6.6.6.6, {hop}, 10.0.0.5") == "10.0.0.5"


async def test_no_address_next_to_the_peer_leaves_the_remote(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-For": "6.6.6.6, unknown"})
    assert result["remote"] == "127.0.0.1"
    assert result["cloned"] is False


async def test_forwarded_for_naming_the_peer_changes_nothing(serve: Serve) -> None:
    client = await serve()
    assert (await get_report(client, {"X-Forwarded-For": "127.0.0.1"}))[
        "cloned"
    ] is False


async def test_lines_join_in_order_and_empty_values_drop(serve: Serve) -> None:
    client = await serve()
    lines = [("X-Forwarded-For", "203.0.113.7 , ,"), ("X-Forwarded-For", ", 10.0.0.5")]
    assert (await get_report(client, lines))["remote"] == "203.0.113.7"
    lines = [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "198.51.100.1")]
    assert (await get_report(client, lines))["remote"] == "198.51.100.1"
    assert (await get_report(client, lines[::-1]))["remote"] == "203.0.113.7"


async def test_only_what_the_headers_change_changes(serve: Serve) -> None:
    client = await serve()
    result = await get_report(
        client, {"X-Forwarded-For": "203.0.113.7", "Host": "a.test"}
    )
    assert result["scheme"] == "http"
    assert result["url"] == "http://a.test/"


# X-Forwarded-Proto and X-Forwarded-Host


@pytest.mark.parametrize(
    ("value", "scheme"),
    [("https", "https"), ("HTTPS", "https"), ("wss", "wss"), ("https, http", "http")],
)
async def test_scheme_is_the_nearest_proxys(
    serve: Serve, value: str, scheme: str
) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-Proto": value, "Host": "a.test"})
    assert result["scheme"] == scheme
    assert result["url"] == f"{scheme}://a.test/"


@pytest.mark.parametrize("value", ["ftp", "javascript", "", "https x", "http s"])
async def test_other_schemes_are_ignored_and_logged(
    serve: Serve, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    client = await serve()
    with caplog.at_level(logging.DEBUG, logger=PROXY_LOGGER):
        result = await get_report(client, {"X-Forwarded-Proto": value})
    assert (result["scheme"], result["cloned"]) == ("http", False)
    assert "is not valid: ignored" in caplog.text


@pytest.mark.parametrize(
    "value",
    [
        "shop.example.com",
        "shop.example.com:8443",
        "192.0.2.1:8080",
        "[2001:db8::1]:8443",
        "SHOP.example.com",
    ],
)
async def test_forwarded_host_gives_host_and_url(serve: Serve, value: str) -> None:
    client = await serve()
    result = await get_report(client, {"X-Forwarded-Host": value})
    assert result["host"] == value
    assert result["url"] == f"http://{value.lower()}/"


async def test_forwarded_host_is_the_nearest_proxys(serve: Serve) -> None:
    client = await serve()
    result = await get_report(
        client, {"X-Forwarded-Host": "evil.test, shop.example.com"}
    )
    assert result["host"] == "shop.example.com"


@pytest.mark.parametrize(
    "value",
    [
        "a/b",
        "user@a.test",
        "a b",
        "a\tb",
        "b\u00fccher.example",
        "a.test:",
        "a.test:x",
        "a.test:99999",
        "[::g]",
        "[1:2]:80",
        "[::1",
        "::1",
        "a.test:80:80",
        "%zz",
        "a?b",
        "a#b",
    ],
)
async def test_invalid_forwarded_host_is_ignored_and_logged(
    serve: Serve, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    client = await serve()
    with caplog.at_level(logging.DEBUG, logger=PROXY_LOGGER):
        result = await get_report(client, {"X-Forwarded-Host": value, "Host": "a.test"})
    assert (result["host"], result["url"]) == ("a.test", "http://a.test/")
    assert "is not valid: ignored" in caplog.text


async def test_forwarded_headers_are_ignored_by_default(serve: Serve) -> None:
    client = await serve()
    result = await get_report(client, {"Forwarded": "for=203.0.113.7;proto=https"})
    assert (result["remote"], result["scheme"]) == ("127.0.0.1", "http")


# Forwarded (RFC 7239), with forwarded=True


async def test_forwarded_gives_remote_scheme_and_host(serve: Serve) -> None:
    client = await serve(forwarded=True)
    value = 'for=203.0.113.7;proto=https;host="shop.example.com:8443"'
    result = await get_report(client, {"Forwarded": value})
    assert result["remote"] == "203.0.113.7"
    assert result["url"] == "https://shop.example.com:8443/"


async def test_forwarded_walks_elements_and_reads_the_nearest(serve: Serve) -> None:
    client = await serve(forwarded=True)
    value = (
        'for=6.6.6.6;proto=http, For="[2001:db8::7]:4711";PROTO=https, '
        "for=10.0.0.5;proto=HTTPS;host=shop.example.com"
    )
    result = await get_report(client, {"Forwarded": value})
    assert result["remote"] == "2001:db8::7"
    assert result["url"] == "https://shop.example.com/"


async def test_forwarded_unquoted_ipv6_from_nginx_is_read(serve: Serve) -> None:
    client = await serve(forwarded=True)
    lines = [("Forwarded", "for=2001:db8::7"), ("Forwarded", "for=10.0.0.5")]
    assert (await get_report(client, lines))["remote"] == "2001:db8::7"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("for=6.6.6.6, for=unknown, for=10.0.0.5", "10.0.0.5"),
        ('for=6.6.6.6, for="_hidden", for=10.0.0.5', "10.0.0.5"),
        ("for=6.6.6.6, proto=https, for=10.0.0.5", "10.0.0.5"),
    ],
)
async def test_forwarded_node_that_is_no_address_ends_the_walk(
    serve: Serve, value: str, address: str
) -> None:
    client = await serve(forwarded=True)
    assert (await get_report(client, {"Forwarded": value}))["remote"] == address


async def test_forwarded_element_without_for_still_gives_its_proto(
    serve: Serve,
) -> None:
    client = await serve(forwarded=True)
    result = await get_report(client, {"Forwarded": "for=203.0.113.7, proto=https"})
    assert (result["remote"], result["scheme"]) == ("127.0.0.1", "https")


@pytest.mark.parametrize(
    "value", ["for=1.2.3.4;for=5.6.7.8", 'for="unbalanced', "garbage here", "for"]
)
async def test_malformed_forwarded_changes_nothing_and_is_logged(
    serve: Serve, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    client = await serve(forwarded=True)
    with caplog.at_level(logging.DEBUG, logger=PROXY_LOGGER):
        result = await get_report(client, {"Forwarded": value})
    assert result["cloned"] is False
    assert "Forwarded header" in caplog.text


async def test_forwarded_of_empty_elements_changes_nothing(serve: Serve) -> None:
    client = await serve(forwarded=True)
    assert (await get_report(client, {"Forwarded": ", ,,"}))["cloned"] is False


async def test_forwarded_mode_ignores_x_forwarded(serve: Serve) -> None:
    client = await serve(forwarded=True)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    result = await get_report(client, headers)
    assert (result["remote"], result["scheme"]) == ("127.0.0.1", "http")


@pytest.mark.parametrize(
    ("value", "scheme", "host"),
    [('proto=ftp;host="a b"', "http", "a.test"), ('proto="HTTPS"', "https", "a.test")],
)
async def test_forwarded_proto_and_host_are_checked(
    serve: Serve, value: str, scheme: str, host: str
) -> None:
    client = await serve(forwarded=True)
    result = await get_report(client, {"Forwarded": value, "Host": "a.test"})
    assert (result["scheme"], result["host"]) == (scheme, host)


# Whom to trust


async def test_untrusted_peer_changes_nothing_and_is_logged(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(trusted_proxies=["10.0.0.0/8"])
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with caplog.at_level(logging.DEBUG, logger=PROXY_LOGGER):
        result = await get_report(client, headers)
    assert (result["remote"], result["scheme"], result["cloned"]) == (
        "127.0.0.1",
        "http",
        False,
    )
    assert "untrusted peer 127.0.0.1" in caplog.text


async def test_peer_is_what_counts_not_another_loopback_address() -> None:
    app = report_app(proxy_middleware(trusted_proxies=["127.0.0.1"]))
    async with (
        serving(app) as port,
        aiohttp.ClientSession(connector=bound_to(CLIENT)) as session,
    ):
        url = f"http://127.0.0.1:{port}/"
        async with session.get(url, headers={"X-Forwarded-For": "6.6.6.6"}) as response:
            assert (await reported(response))["remote"] == CLIENT


@pytest.mark.parametrize("trusted_proxies", ["*", ["*"], ("*", "10.0.0.0/8")])
async def test_star_trusts_every_peer(serve: Serve, trusted_proxies: Any) -> None:
    client = await serve(trusted_proxies=trusted_proxies)
    assert await remote(client, "203.0.113.7") == "203.0.113.7"


async def test_star_trusts_no_hop(serve: Serve) -> None:
    alone = await serve(trusted_proxies="*")
    listed = await serve(trusted_proxies=["*", "203.0.113.0/24"])
    assert await remote(alone, "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    assert await remote(listed, "6.6.6.6, 203.0.113.7") == "6.6.6.6"


async def test_ipaddress_objects_are_accepted(serve: Serve) -> None:
    client = await serve(
        trusted_proxies=[
            ipaddress.ip_address("127.0.0.1"),
            ipaddress.ip_network("10.0.0.0/8"),
        ]
    )
    assert await remote(client, "203.0.113.7, 10.0.0.5") == "203.0.113.7"


async def test_unix_socket_peer_is_trusted(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    runner = web.AppRunner(report_app(proxy_middleware(trusted_proxies=[])))
    await runner.setup()
    try:
        await web.UnixSite(runner, path).start()
        async with aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=path)
        ) as session:
            headers = {"X-Forwarded-For": "203.0.113.7"}
            async with session.get("http://localhost/", headers=headers) as response:
                assert (await reported(response))["remote"] == "203.0.113.7"
    finally:
        await runner.cleanup()


async def test_closed_connection_is_not_trusted() -> None:
    middleware = proxy_middleware(trusted_proxies="*")
    request = make_mocked_request("GET", "/", {"X-Forwarded-For": "203.0.113.7"})
    request.protocol.transport = None
    passed: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        passed.append(request)
        return web.Response()

    await middleware(request, handler)
    assert passed == [request]


async def test_request_used_again_keeps_no_earlier_clone() -> None:
    # Tests and benchmarks pass one request object many times: the clones of
    # earlier passes must not pile up behind it.
    middleware = proxy_middleware(trusted_proxies="*")
    headers = {"X-Forwarded-For": "203.0.113.7"}
    request = make_mocked_request(
        "GET", "/", headers, transport=Transport(("127.0.0.1", 1))
    )
    clones: list[weakref.ref[web.Request]] = []

    async def handler(request: web.Request) -> web.Response:
        clones.append(weakref.ref(request))
        return web.Response()

    for _ in range(3):
        await middleware(request, handler)
    gc.collect()
    assert [clone() is None for clone in clones] == [True, True, False]


# Configuration


def test_factory_needs_no_event_loop() -> None:
    assert callable(proxy_middleware(trusted_proxies=["127.0.0.1"]))


def test_trusted_proxies_is_required() -> None:
    with pytest.raises(TypeError, match="trusted_proxies"):
        proxy_middleware()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="trusted_proxies"):
        proxy_middleware(trusted_proxies=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("trusted_proxies", ["127.0.0.1", b"*", 42, [42], [None]])
def test_trusted_proxies_types_are_checked(trusted_proxies: Any) -> None:
    with pytest.raises(TypeError, match="trusted_proxies"):
        proxy_middleware(trusted_proxies=trusted_proxies)


@pytest.mark.parametrize("item", ["", "localhost", "**", "10.0.0.0/33", "::g"])
def test_invalid_trusted_proxy_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        proxy_middleware(trusted_proxies=[item])


@pytest.mark.parametrize("forwarded", [1, "yes", None])
def test_forwarded_must_be_a_bool(forwarded: Any) -> None:
    with pytest.raises(TypeError, match="forwarded"):
        proxy_middleware(trusted_proxies=["127.0.0.1"], forwarded=forwarded)
