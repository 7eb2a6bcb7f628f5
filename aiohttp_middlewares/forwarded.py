"""What proxies say about a request: the header parsing the proxy middlewares share.

:func:`~aiohttp_middlewares.https.https_middleware` and
:func:`~aiohttp_middlewares.proxy.proxy_middleware` both read proxy headers and
both decide whom to believe; this module does it for them, and imports neither.

* :func:`forwarded_elements` reads an :rfc:`7239` ``Forwarded`` value;
  :func:`list_values` and :func:`last_value` read ``X-Forwarded-*`` lists.
* :func:`compile_trust` turns a ``trusted_proxies`` argument into a
  :class:`Trust`, which says whether a connection's peer is trusted and reads
  one hop of a proxy header as an address (:meth:`Trust.node`).
* :func:`host_name` says whether a value is a host that ``request.url`` can be
  built from.

Nothing here raises on what a client sends: a malformed value is ``None``.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
from typing import Final, TypeAlias

from .utils import TCHARS, to_tuple

__all__ = (
    "Trust",
    "TrustedProxy",
    "compile_trust",
    "forwarded_elements",
    "host_name",
    "last_value",
    "list_values",
)

#: What ``trusted_proxies`` may hold: addresses or networks, as strings or
#: :mod:`ipaddress` objects, and the string ``"*"``.
TrustedProxy: TypeAlias = (
    str
    | ipaddress.IPv4Address
    | ipaddress.IPv6Address
    | ipaddress.IPv4Network
    | ipaddress.IPv6Network
)

#: A hop read as an address: its plain text (an IPv4-mapped address as IPv4),
#: and whether it is inside the trusted networks.
Node: TypeAlias = tuple[str, bool]

_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

#: How many hops a :class:`Trust` remembers the reading of.
NODE_CACHE_SIZE: Final = 1024
# "[" + the longest IPv6 text (45, with an IPv4 tail) + "]:65535" is 53
# characters: anything longer is no address, and is not cached either.
_LONGEST_NODE: Final = 64

# RFC 7239 / RFC 9110 quoted-string; obs-text stands for any non-ASCII character
# because aiohttp hands header values over as decoded text.
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\U0010ffff]|\\[\t -~\x80-\U0010ffff])*"'
# An unquoted value: a token, or an IPv6 address that a proxy left unquoted
# against RFC 7239 (nginx's "for=$remote_addr" does); either is unambiguous.
_BARE = r"[!#$%&'*+\-.:^_`|~0-9A-Za-z\[\]]+"
# One forwarded-pair (or none: RFC 9110 lets list and pair slots be empty) and
# the separator after it. Each part can match in one way only, so a failing
# match costs time linear in the input, whatever the input.
_PAIR = re.compile(rf"[ \t]*(?:({TCHARS})=({_BARE}|{_QUOTED})[ \t]*)?([;,]|\Z)")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

# A hop: "[v6]" or "[v6]:port", "v4" or "v4:port", or a bare v6 (what nginx's
# $proxy_add_x_forwarded_for writes). RFC 7239 also allows an obfuscated port.
_PORT = r"(?::(?:[0-9]{1,5}|_[A-Za-z0-9._-]+))?"
_NODE = re.compile(rf"\[([0-9A-Fa-f:.]+)\]{_PORT}|([0-9.]+){_PORT}|([0-9A-Fa-f:.]+)")

# An RFC 3986 host: reg-name (which covers IPv4) or an IPv6 literal, then an
# optional decimal port.
_HOST = re.compile(
    r"((?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[([0-9A-Fa-f:.]+)\])"
    r"(?::([0-9]{1,5}))?"
)


def forwarded_elements(value: str) -> list[dict[str, str]] | None:
    """The elements of a ``Forwarded`` value (:rfc:`7239`), nearest proxy last.

    :param value: The header's lines joined with ``", "``.
    :return: One dict per non-empty element, parameter name (lower-cased) to
        value (quotes and backslash escapes removed); ``None`` when the value
        does not parse, since then no element can be told apart with
        confidence: stray text, unbalanced quotes, a parameter given twice in
        one element.
    """
    elements: list[dict[str, str]] = []
    element: dict[str, str] = {}
    pos = 0
    while True:
        match = _PAIR.match(value, pos)
        if match is None:
            return None
        name, raw, separator = match.groups()
        if name is not None:
            name = name.lower()
            if name in element:  # RFC 7239 allows a parameter once only
                return None
            element[name] = _unquote(raw)
        if separator != ";":
            if element:
                elements.append(element)
                element = {}
            if not separator:
                return elements
        pos = match.end()


def list_values(lines: list[str]) -> list[str]:
    """The values of a comma-separated header, every line in order, as one list.

    Empty list elements are allowed and dropped (:rfc:`9110`, section 5.6.1).
    """
    values = []
    for line in lines:
        for item in line.split(","):
            item = item.strip(" \t")
            if item:
                values.append(item)
    return values


def last_value(value: str) -> str:
    """The last non-empty value of a comma-separated header value."""
    return value.rstrip(" \t,").rpartition(",")[2].strip(" \t")


def host_name(text: str) -> str | None:
    """The host of a ``Host``-like value without its port, if it is valid.

    Valid is an :rfc:`3986` host, an ASCII reg-name (which covers IPv4) or an
    IPv6 address in brackets, followed by an optional decimal port up to 65535:
    what ``request.url`` can be built from without an error. Anything else,
    such as a ``/``, ``@``, whitespace, a control or non-ASCII character, or an
    empty or non-numeric port, gives ``None``.
    """
    match = _HOST.fullmatch(text)
    if match is None:
        return None
    host, ipv6, port = match.groups()
    if port is not None and int(port) > 65535:
        return None
    if ipv6 is not None and _address(ipaddress.IPv6Address, ipv6) is None:
        return None
    return host


def compile_trust(trusted_proxies: object) -> Trust:
    """Compile a ``trusted_proxies`` argument into a :class:`Trust`.

    :param trusted_proxies: A collection of addresses and networks, as strings
        (``"10.0.0.0/8"``, ``"127.0.0.1"``, ``"::1"``; host bits allowed) or
        :mod:`ipaddress` objects, and ``"*"``, which trusts every peer; or the
        string ``"*"`` alone.
    :raises TypeError: When *trusted_proxies* is another bare string or not a
        collection, or holds something other than a string or an
        :mod:`ipaddress` object.
    :raises ValueError: When an item is not ``"*"``, an IP address or network.
    """
    items = (
        ("*",)
        if trusted_proxies == "*"
        else to_tuple(trusted_proxies, "trusted_proxies")
    )
    networks = tuple(_network(item) for item in items if item != "*")
    return Trust(networks, any_peer="*" in items)


class Trust:
    """A compiled ``trusted_proxies``: which peers and hops are trusted.

    A peer or a hop is trusted when its address is inside one of the
    networks; ``any_peer`` (from ``"*"``) trusts every peer on top of that,
    but no hop. Addresses compare as IPv4 when they are IPv4-mapped IPv6, and
    so do the networks.
    """

    __slots__ = ("_cached", "any_peer", "networks")

    def __init__(self, networks: tuple[_Network, ...], *, any_peer: bool) -> None:
        self.networks = networks
        self.any_peer = any_peer
        # Behind a proxy the same few peers and hops come again and again:
        # remember their reading. Bounded, so many clients cannot grow it.
        self._cached = functools.lru_cache(NODE_CACHE_SIZE)(self._read)

    def peer(self, transport: asyncio.BaseTransport | None) -> bool:
        """Whether the peer of a request's connection is trusted.

        A Unix socket's peer is, since only local processes can reach it; a
        connection already gone (``None``) or whose peer cannot be read is not.
        """
        if transport is None:
            return False
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            node = self.node(peer[0])
            return node is not None and (self.any_peer or node[1])
        # A Unix socket names its peer by a path (str, or bytes for an abstract
        # address); None means that the peer could not be read.
        return peer is not None

    def node(self, text: str) -> Node | None:
        """Read one hop: ``ip``, ``ip:port``, ``[v6]``, ``[v6]:port`` or bare v6.

        :return: The address as plain text, without port or brackets, an
            IPv4-mapped address as IPv4; and whether it is trusted. ``None``
            when *text* is no address (``unknown``, ``_hidden``, garbage).
        """
        if len(text) > _LONGEST_NODE:
            return None
        return self._cached(text)

    def _read(self, text: str) -> Node | None:
        match = _NODE.fullmatch(text)
        if match is None:
            return None
        bracketed, ipv4, bare = match.groups()
        address = (
            _address(ipaddress.IPv4Address, ipv4)
            if ipv4 is not None
            else _address(ipaddress.IPv6Address, bracketed or bare)
        )
        if address is None:
            return None
        if isinstance(address, ipaddress.IPv6Address):
            address = address.ipv4_mapped or address
        return str(address), any(address in network for network in self.networks)


def _unquote(raw: str) -> str:
    if raw.startswith('"'):
        return _ESCAPE.sub(r"\1", raw[1:-1])
    return raw


def _address(kind: type[_Address], text: str) -> _Address | None:
    try:
        return kind(text)
    except ValueError:
        return None


def _network(item: object) -> _Network:
    if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network = item
    elif isinstance(item, str | ipaddress.IPv4Address | ipaddress.IPv6Address):
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(
                f"trusted_proxies holds {item!r}, which is not an IP address or "
                f'network (nor "*"): {error}'
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
