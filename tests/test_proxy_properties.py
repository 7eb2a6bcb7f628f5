"""Property tests: what a client writes into proxy headers cannot fool proxy_middleware.

Most run the middleware on mocked requests from the trusted peer 127.0.0.1, so
that hypothesis can try many header lists quickly; the last one sends them
through a real server. A hop is drawn with what it is (a trusted proxy, an
untrusted address, or no address at all) and rendered in one of the forms
proxies write, so each test knows the answer without parsing anything. No
test has a deadline: the machines that run them are shared, and a slow
example is no failure.
"""

from __future__ import annotations

import ipaddress
import json
import string
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_middlewares import proxy_middleware

from .helpers import Transport, report, reported, serving

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: A hop as drawn: its text, its kind, and the address the walk would show.
Hop = tuple[str, str, str]

PEER = "127.0.0.1"
HOP_NETWORKS = [
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("2001:db8:ffff::/48"),
]
TRUSTED = [PEER, *HOP_NETWORKS]
X_FORWARDED = proxy_middleware(trusted_proxies=TRUSTED)
FORWARDED = proxy_middleware(trusted_proxies=TRUSTED, forwarded=True)


def shown(address: Address) -> Address:
    """The address as the middleware compares and shows it."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address
    return address


def is_trusted(address: Address) -> bool:
    address = shown(address)
    return str(address) == PEER or any(address in net for net in HOP_NETWORKS)


trusted_addresses = st.one_of(*(st.ip_addresses(network=net) for net in HOP_NETWORKS))
untrusted_addresses = st.ip_addresses().filter(lambda address: not is_trusted(address))
ports = st.integers(0, 65535).map(str) | st.just("_obf")


@st.composite
def rendered(draw: st.DrawFn, address: Address) -> str:
    """*address* in one of the forms proxies write into X-Forwarded-For."""
    if isinstance(address, ipaddress.IPv4Address):
        return draw(
            st.sampled_from(
                [
                    str(address),
                    f"{address}:{draw(ports)}",
                    f"::ffff:{address}",
                    f"[::ffff:{address}]:{draw(ports)}",
                ]
            )
        )
    text = draw(st.sampled_from([str(address), address.exploded.upper()]))
    return draw(st.sampled_from([text, f"[{text}]", f"[{text}]:{draw(ports)}"]))


@st.composite
def hops(draw: st.DrawFn, kinds: st.SearchStrategy[str]) -> Hop:
    kind = draw(kinds)
    if kind == "no address":
        text = draw(
            st.sampled_from(["unknown", "_hidden", "300.1.1.1", "1.2.3"])
            | st.text(string.ascii_letters + "_-!@[]", min_size=1)
        )
        return text, kind, ""
    address = draw(trusted_addresses if kind == "trusted" else untrusted_addresses)
    return draw(rendered(address)), kind, str(shown(address))


any_hops = hops(st.sampled_from(["trusted", "untrusted", "no address"]))
clients = hops(st.just("untrusted"))
proxies = st.lists(hops(st.just("trusted")), max_size=3)
# What a client may write before the proxies add theirs: any text a header
# line holds (make_mocked_request encodes it as UTF-8: no lone surrogates).
spoofed = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
    max_size=40,
)


async def seen(middleware: Any, headers: list[tuple[str, str]]) -> dict[str, str]:
    """What report() saw behind *middleware*, the request from the trusted peer."""
    request = make_mocked_request(
        "GET", "/", headers, transport=Transport((PEER, 40000))
    )
    response = await middleware(request, report)
    assert isinstance(response, web.Response)
    assert response.status == 200
    assert isinstance(response.text, str)
    result: dict[str, str] = json.loads(response.text)
    return result


def expected(drawn: list[Hop]) -> str:
    """The spec's walk: from the right, over trusted hops, to the client."""
    for index in range(len(drawn) - 1, -1, -1):
        _, kind, address = drawn[index]
        if kind == "untrusted":
            return address
        if kind == "no address":
            return drawn[index + 1][2] if index + 1 < len(drawn) else PEER
    return drawn[0][2] if drawn else PEER


@settings(deadline=None)
@given(spoofed, clients, proxies, st.booleans())
async def test_spoofed_prefix_never_hides_the_client(
    prefix: str, client: Hop, chain: list[Hop], own_line: bool
) -> None:
    # The first proxy appends the address it got the connection from; each
    # next (trusted) proxy appends the previous one's.
    appended = ", ".join(text for text, _, _ in [client, *chain])
    lines = [prefix, appended] if own_line else [f"{prefix}, {appended}"]
    result = await seen(X_FORWARDED, [("X-Forwarded-For", line) for line in lines])
    assert result["remote"] == client[2]


@settings(deadline=None)
@given(st.lists(any_hops, max_size=6), st.data())
async def test_walk_stops_where_the_spec_says(drawn: list[Hop], data: Any) -> None:
    texts = [text for text, _, _ in drawn]
    cut = data.draw(st.integers(0, len(texts)))
    lines = [", ".join(texts[:cut]), ", ".join(texts[cut:])]
    result = await seen(X_FORWARDED, [("X-Forwarded-For", line) for line in lines])
    assert result["remote"] == expected(drawn)


def forwarded_node(text: str) -> str:
    """A hop as a for= value: quoted unless it is a token (RFC 7239)."""
    if all(char in string.ascii_letters + string.digits + "._-" for char in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(deadline=None)
@given(st.lists(any_hops, max_size=3), clients, proxies)
async def test_forwarded_spoofed_elements_never_hide_the_client(
    prefix: list[Hop], client: Hop, chain: list[Hop]
) -> None:
    elements = [f"for={forwarded_node(text)}" for text, _, _ in prefix]
    elements += [
        f"for={forwarded_node(text)};proto=https" for text, _, _ in [client, *chain]
    ]
    result = await seen(FORWARDED, [("Forwarded", ", ".join(elements))])
    assert (result["remote"], result["scheme"]) == (client[2], "https")


PROXY_HEADERS = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"]
any_headers = st.lists(
    st.tuples(st.sampled_from([*PROXY_HEADERS, "Forwarded", "Host"]), st.text()),
    max_size=6,
)


@settings(deadline=None)
@given(any_headers, st.booleans())
async def test_arbitrary_headers_never_raise(
    headers: list[tuple[str, str]], forwarded: bool
) -> None:
    middleware = proxy_middleware(
        trusted_proxies="*", forwarded=forwarded, allowed_hosts=["*.example.com"]
    )
    request = make_mocked_request(
        "GET", "/", headers, transport=Transport((PEER, 40000))
    )
    # report() builds request.url: an accepted host never makes it fail.
    response = await middleware(request, report)
    assert response.status in {200, 400}


# What aiohttp's client sends and its server accepts in a header value.
printable = st.text(
    string.digits + string.ascii_letters + string.punctuation + " \t", max_size=30
)


@settings(deadline=None, max_examples=25)
@given(st.lists(printable | any_hops.map(lambda hop: hop[0]), max_size=6))
async def test_real_server_never_answers_5xx(values: list[str]) -> None:
    app = web.Application(middlewares=[proxy_middleware(trusted_proxies="*")])
    app.router.add_get("/", report)
    headers = [(name, value) for value in values for name in PROXY_HEADERS]
    async with serving(app) as port, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/"
        async with session.get(url, headers=headers) as response:
            assert (await reported(response))["url"].startswith("http")
