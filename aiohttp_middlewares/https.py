"""Give handlers the right scheme when a TLS-terminating proxy sits in front.

A reverse proxy such as nginx accepts HTTPS from clients and talks plain HTTP to
the application, so ``request.scheme`` says ``http`` and every URL built from
``request.url`` (redirects, absolute links) points to ``http://``. The proxy
tells the application the real scheme in a header; :func:`https_middleware`
reads it and hands the handler ``request.clone(scheme="https")``.

A configured header matches, case-insensitively, when:

* its whole value equals the configured value (the original rule), or
* for ``Forwarded`` (:rfc:`7239`), the ``proto`` parameter of its last element
  does, or
* for an ``X-Forwarded-*`` header such as ``X-Forwarded-Proto``, its last
  comma-separated value does.

The last element or value is the one written by the nearest proxy, the only
one that the application can rely on when it trusts that proxy; earlier ones
come from further away, perhaps from the client. Several lines of one header
are joined in order, as :rfc:`9110` combines field lines. With
``trusted_proxies``, headers count only on connections from those proxies.

Everything is prepared when the factory is called: expected values are
lower-cased, header names checked, trusted networks parsed. A request that
carries none of the headers costs one header look-up per configured header;
the ``Forwarded`` parser runs only when that header is present, and the
request is cloned only when a header matched.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, TypeAlias

from aiohttp import hdrs, web

from .annotations import Handler, Middleware
from .utils import to_tuple

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

__all__ = ("https_middleware",)

logger = logging.getLogger(__name__)

#: What ``trusted_proxies`` may hold: addresses or networks, as strings or
#: :mod:`ipaddress` objects.
TrustedProxy: TypeAlias = (
    str
    | ipaddress.IPv4Address
    | ipaddress.IPv6Address
    | ipaddress.IPv4Network
    | ipaddress.IPv6Network
)

_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_Extract: TypeAlias = Callable[[str], "str | None"]
_Rule: TypeAlias = tuple[str, str, "_Extract | None"]
_Trusted: TypeAlias = Callable[["asyncio.BaseTransport | None"], bool]

_DEFAULT_MATCH_HEADERS = {"X-Forwarded-Proto": "https"}

# An RFC 9110 token: a header name or a Forwarded parameter name.
_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# RFC 7239 / RFC 9110 quoted-string; obs-text stands for any non-ASCII character
# because aiohttp hands header values over as decoded text.
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\U0010ffff]|\\[\t -~\x80-\U0010ffff])*"'
# An unquoted value: a token, or an IPv6 address that a proxy left unquoted
# against RFC 7239 (nginx's "for=$remote_addr" does); either is unambiguous.
_BARE = r"[!#$%&'*+\-.:^_`|~0-9A-Za-z\[\]]+"
# One forwarded-pair (or none: RFC 9110 lets list and pair slots be empty) and
# the separator after it. Each part can match in one way only, so a failing
# match costs time linear in the input, whatever the input.
_PAIR = re.compile(rf"[ \t]*(?:({_TCHARS})=({_BARE}|{_QUOTED})[ \t]*)?([;,]|\Z)")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_HEADER_NAME = re.compile(rf"{_TCHARS}\Z")


def https_middleware(
    match_headers: Mapping[str, str] | None = None,
    *,
    trusted_proxies: Collection[TrustedProxy] | None = None,
) -> Middleware:
    """Change the scheme of a request to https when a proxy header says so.

    Use it when the application runs behind a reverse proxy that terminates
    HTTPS (aiohttp dropped its ``secure_proxy_ssl_header`` argument in
    aiohttp#2299). When a configured header matches, the handler receives
    ``request.clone(scheme="https")``: ``request.scheme``, ``request.secure``
    and ``request.url`` say https, and so do redirects built from
    ``request.url``. Otherwise the request passes on unchanged. The middleware
    never changes https to http.

    :param match_headers: Header name to the value that means "the client used
        HTTPS", compared case-insensitively; any one header matching is enough.
        By default ``{"X-Forwarded-Proto": "https"}``. A ``Forwarded`` header
        matches on the ``proto`` of its last element as well as on its whole
        value, an ``X-Forwarded-*`` header on its last comma-separated value
        as well. An empty dict matches nothing.
    :param trusted_proxies: Addresses and networks of the proxies whose headers
        count: strings such as ``"10.0.0.0/8"``, ``"127.0.0.1"`` or ``"::1"``,
        or :mod:`ipaddress` addresses and networks. The headers are honoured
        only when the direct peer of the connection is inside one of them (an
        IPv4-mapped IPv6 peer is compared as its IPv4 address); a connection
        over a Unix socket counts as trusted, since only local processes can
        reach it; a request whose connection is already gone does not. Set it
        whenever clients can reach the application without going through the
        proxy: otherwise any client can claim https by sending the header.
        ``None`` (the default) trusts every peer.
    :return: The middleware, to put in ``web.Application(middlewares=[...])``.
    :raises TypeError: When *match_headers* is not a dict of ``str`` to
        ``str``, or *trusted_proxies* is a bare string, not a collection, or
        holds something other than a string or an :mod:`ipaddress` object.
    :raises ValueError: When a name in *match_headers* is not a valid header
        name, or an item of *trusted_proxies* is not an IP address or network.
    """
    rules = _compile_headers(
        _DEFAULT_MATCH_HEADERS if match_headers is None else match_headers
    )
    trusted = None if trusted_proxies is None else _compile_proxies(trusted_proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _claims_https(request.headers, rules):
            if trusted is None or trusted(request.transport):
                request = request.clone(scheme="https")
            elif logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "Proxy header from untrusted peer %s ignored", request.remote
                )
        return await handler(request)

    return middleware


def _claims_https(headers: CIMultiDictProxy[str], rules: tuple[_Rule, ...]) -> bool:
    for name, expected, extract in rules:
        lines = headers.getall(name, None)
        if lines is None:
            continue
        value = ", ".join(lines)
        if value.lower() == expected:
            return True
        if extract is not None:
            found = extract(value)
            if found is not None and found.lower() == expected:
                return True
    return False


def _forwarded_proto(value: str) -> str | None:
    """Return the ``proto`` of the last non-empty element of a Forwarded value.

    ``None`` when that element has no ``proto``, or when the value does not
    parse as :rfc:`7239` (then no element can be told apart with confidence).
    """
    proto: str | None = None  # in the current element
    filled = False  # the current element holds a pair
    last: str | None = None  # proto of the last non-empty element so far
    pos = 0
    while True:
        match = _PAIR.match(value, pos)
        if match is None:
            return None
        name, raw, separator = match.groups()
        if name is not None:
            if name.lower() == "proto":
                if proto is not None:  # RFC 7239 allows a parameter once only
                    return None
                proto = raw
            filled = True
        if separator != ";":
            if filled:
                last = proto
            if not separator:
                break
            proto, filled = None, False
        pos = match.end()
    if last is None or not last.startswith('"'):
        return last
    return _ESCAPE.sub(r"\1", last[1:-1])


def _last_value(value: str) -> str:
    # Empty list elements are allowed and ignored (RFC 9110, section 5.6.1).
    return value.rstrip(" \t,").rpartition(",")[2].strip(" \t")


def _compile_headers(match_headers: object) -> tuple[_Rule, ...]:
    if not isinstance(match_headers, Mapping):
        raise TypeError(
            "match_headers must be a dict of header name to value, "
            f"not {type(match_headers).__name__}: {match_headers!r}"
        )
    rules: list[_Rule] = []
    for name, value in match_headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                "match_headers must map str header names to str values, "
                f"got {name!r}: {value!r}"
            )
        if not _HEADER_NAME.match(name):
            raise ValueError(f"match_headers holds an invalid header name: {name!r}")
        # aiohttp's own name objects (istr) are looked up without case folding.
        known = getattr(hdrs, name.upper().replace("-", "_"), None)
        key = (
            known if isinstance(known, str) and known.lower() == name.lower() else name
        )
        rules.append((key, value.lower(), _extractor(name.lower())))
    return tuple(rules)


def _extractor(name: str) -> _Extract | None:
    if name == "forwarded":
        return _forwarded_proto
    if name.startswith("x-forwarded-"):
        return _last_value
    return None


def _compile_proxies(trusted_proxies: Collection[TrustedProxy]) -> _Trusted:
    networks = tuple(
        _network(item) for item in to_tuple(trusted_proxies, "trusted_proxies")
    )

    # Behind a proxy the same few peers connect again and again: remember the
    # answer per address. Bounded, so that many direct clients cannot grow it.
    @functools.lru_cache(maxsize=1024)
    def trusted_host(host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address):
            address = address.ipv4_mapped or address
        return any(address in network for network in networks)

    def trusted(transport: asyncio.BaseTransport | None) -> bool:
        if transport is None:  # the connection is gone: its peer is unknown
            return False
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            return trusted_host(peer[0])
        # A Unix socket names its peer by a path (str, or bytes for an abstract
        # address); None means that the peer could not be read.
        return peer is not None

    return trusted


def _network(item: object) -> _Network:
    if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network = item
    elif isinstance(item, str | ipaddress.IPv4Address | ipaddress.IPv6Address):
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(
                f"trusted_proxies holds {item!r}, which is not an IP address or "
                f"network: {error}"
            ) from None
    else:
        raise TypeError(
            f"trusted_proxies holds {type(item).__name__} {item!r}: each item must "
            "be a str or an ipaddress address or network"
        )
    mapped = network.network_address
    if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped is not None:
        # Peers in ::ffff:0:0/96 are compared as IPv4, so their networks are too
        # (such a network address implies a prefix of at least 96 bits).
        return ipaddress.IPv4Network((mapped.ipv4_mapped, network.prefixlen - 96))
    return network
