"""Give handlers the client's address, scheme and host from trusted proxies.

Behind a reverse proxy every request comes from the proxy: ``request.remote``
is the proxy's address, ``request.scheme`` what the proxy spoke to the
application, ``request.host`` what it asked for. The proxy tells the rest in
headers; :func:`proxy_middleware` believes them from the proxies it is told to
trust, and hands the handler ``request.clone(remote=..., scheme=..., host=...)``
with what they changed.

The rules, decided once for both header families:

* **Trust.** Headers count only when the connection's peer is a trusted
  proxy. ``"*"`` trusts every peer, but no hop inside the headers: the
  address that the nearest proxy wrote is then the client's.
* **The client's address** is found by walking the hops from the right (the
  nearest proxy) to the left, stepping over trusted addresses; the first
  address that is not trusted is the client, and when every hop is trusted
  the leftmost is. A hop that is no address (``unknown``, ``_hidden``,
  garbage) ends the walk: the proxy that wrote it does not say who its client
  was, and what lies further left may come from anyone, so the address is the
  last trusted hop, or the peer's when that hop is the first.
* Addresses are compared and shown as IPv4 when they are IPv4-mapped IPv6
  (``::ffff:192.0.2.1`` is ``192.0.2.1``), without port or brackets.
* **Scheme and host** are the values of the nearest proxy (the last ones);
  only ``http``, ``https``, ``ws`` and ``wss`` are taken, and only a valid
  :rfc:`3986` host with an optional port, so ``request.url`` cannot fail.
* **Allowed hosts** compare without port, case-insensitively, and read the
  ``Host`` header rather than ``request.host``, which on aiohttp before 3.14
  calls the blocking ``socket.getfqdn()`` when the header is missing.

A request without proxy headers costs a look-up of each header read and no
clone; one with them from a trusted peer costs one clone, or none when the
headers change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any, Final, NamedTuple

from aiohttp import hdrs, web
from aiohttp.web_log import AccessLogger

from .annotations import Handler, Middleware
from .forwarded import (
    Trust,
    TrustedProxy,
    compile_trust,
    forwarded_elements,
    host_name,
    last_value,
    list_values,
)
from .utils import check_bool, request_key, to_str_tuple

__all__ = ("SCHEMES", "ProxyAccessLogger", "proxy_middleware")

logger = logging.getLogger(__name__)

#: The schemes taken from ``X-Forwarded-Proto`` or ``proto=``, lower-cased.
SCHEMES: Final = frozenset({"http", "https", "ws", "wss"})

# The clone handed to the handler, kept on the request aiohttp created, which
# is the one its access logger gets (None while the clone is being made).
_FORWARDED = request_key("proxy.forwarded", object)


class _Said(NamedTuple):
    """What trusted proxies said; None where they said nothing usable."""

    remote: str | None
    scheme: str | None
    host: str | None


_Read = Callable[[web.Request], "_Said | None"]
_Allowed = Callable[["str | None"], bool]


def proxy_middleware(
    *,
    trusted_proxies: Collection[TrustedProxy],
    forwarded: bool = False,
    allowed_hosts: Collection[str] | None = None,
) -> Middleware:
    """Give the handler the client's address, scheme and host behind proxies.

    From a trusted peer, the handler receives ``request.clone(...)`` with
    ``remote`` from ``X-Forwarded-For``, ``scheme`` from ``X-Forwarded-Proto``
    and ``host`` from ``X-Forwarded-Host``, each only when the header gives a
    usable value that differs from the request's own; the request passes on
    unchanged otherwise, and always from an untrusted peer. Put it first in
    the middlewares, after ``request_id_middleware`` only, so that the others
    see the client too; use :class:`ProxyAccessLogger` for the access log to
    show it.

    :param trusted_proxies: The proxies whose headers count, and whose
        addresses are stepped over in ``X-Forwarded-For``: addresses and
        networks as strings (``"127.0.0.1"``, ``"::1"``, ``"10.0.0.0/8"``) or
        :mod:`ipaddress` objects. ``"*"``, alone or in the collection, trusts
        every peer but no hop: safe only when nothing but the proxy can reach
        the application. A Unix-socket peer is always trusted.
    :param forwarded: Read the standard ``Forwarded`` header (:rfc:`7239`,
        its ``for``, ``proto`` and ``host``) instead of ``X-Forwarded-*``,
        which are then ignored. ``False`` by default: nginx and most load
        balancers send ``X-Forwarded-*``.
    :param allowed_hosts: Answer 400, without calling the handler, a request
        whose host is not one of these: exact host names or addresses (IPv6
        in brackets) and ``*.example.com`` patterns, which match every
        sub-domain but not ``example.com`` itself. Compared without port and
        case-insensitively, against the forwarded host from a trusted proxy,
        else the ``Host`` header; a missing or invalid host is not allowed.
        ``"*"`` allows every host, as ``None`` (the default) does.
    :return: The middleware, to put in ``web.Application(middlewares=[...])``.
    :raises TypeError: When *trusted_proxies* is a bare string other than
        ``"*"``, not a collection, or holds an item of another type;
        *forwarded* is not a ``bool``; *allowed_hosts* is a bare string or
        holds a non-string.
    :raises ValueError: When an item of *trusted_proxies* is not ``"*"``, an
        IP address or network, or *allowed_hosts* is empty or holds something
        other than a host without port or a ``*.`` pattern.
    """
    trust = compile_trust(trusted_proxies)
    if check_bool(forwarded, "forwarded"):
        read = _forwarded_reader(trust)
    else:
        read = _x_forwarded_reader(trust)
    allowed = None if allowed_hosts is None else _compile_hosts(allowed_hosts)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        said = read(request)
        if said is not None:
            request = _forward(request, said)
        if allowed is not None:
            host = request.headers.get(hdrs.HOST)
            if said is not None and said.host is not None:
                host = said.host
            if not allowed(host):
                return _refuse(host)
        return await handler(request)

    return middleware


class ProxyAccessLogger(AccessLogger):
    """aiohttp's access logger, showing the client that proxy_middleware found.

    aiohttp hands its access logger the request it created, never the clone
    that the middlewares pass on, so ``%a`` prints the proxy's address
    (aiohttp#4580). :func:`proxy_middleware` keeps its clone on that request;
    this logger formats the clone instead: ``%a`` is the client's address and
    every other directive of ``access_log_format`` reads as usual. Set it up
    with ``web.run_app(app, access_log_class=ProxyAccessLogger)`` (or pass
    ``access_log_class`` to :class:`aiohttp.web.AppRunner`), and put
    :func:`proxy_middleware` before any middleware that clones the request,
    so that it gets aiohttp's own: first is simplest.
    """

    def log(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float
    ) -> None:
        """Log the request as the handler saw it, *request* when nothing changed."""
        forwarded = request.get(_FORWARDED)
        if isinstance(forwarded, web.BaseRequest):
            request = forwarded
        super().log(request, response, time)


def _x_forwarded_reader(trust: Trust) -> _Read:
    def read(request: web.Request) -> _Said | None:
        headers = request.headers
        hops = headers.getall(hdrs.X_FORWARDED_FOR, None)
        protos = headers.getall(hdrs.X_FORWARDED_PROTO, None)
        hosts = headers.getall(hdrs.X_FORWARDED_HOST, None)
        if hops is None and protos is None and hosts is None:
            return None
        if not _trusted(trust, request):
            return None
        return _Said(
            None if hops is None else _client(trust, list_values(hops)),
            None if protos is None else _scheme(last_value(", ".join(protos))),
            None if hosts is None else _host(last_value(", ".join(hosts))),
        )

    return read


def _forwarded_reader(trust: Trust) -> _Read:
    def read(request: web.Request) -> _Said | None:
        lines = request.headers.getall(hdrs.FORWARDED, None)
        if lines is None or not _trusted(trust, request):
            return None
        value = ", ".join(lines)
        elements = forwarded_elements(value)
        if elements is None:
            _ignored("header", value)
        if not elements:
            return None
        # An element without for= names no address: it ends the walk as
        # "unknown" does.
        hops = [element.get("for", "") for element in elements]
        proto, host = elements[-1].get("proto"), elements[-1].get("host")
        return _Said(
            _client(trust, hops),
            None if proto is None else _scheme(proto),
            None if host is None else _host(host),
        )

    return read


def _trusted(trust: Trust, request: web.Request) -> bool:
    if trust.peer(request.transport):
        return True
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("Proxy headers from untrusted peer %s ignored", request.remote)
    return False


def _client(trust: Trust, hops: list[str]) -> str | None:
    """The client's address among *hops*; None when the peer stays the client."""
    client = None
    for hop in reversed(hops):
        node = trust.node(hop)
        if node is None:  # a hop that is no address: trust ends here
            break
        client, trusted = node
        if not trusted:
            break
    return client


def _scheme(value: str) -> str | None:
    scheme = value.lower()
    if scheme in SCHEMES:
        return scheme
    _ignored("scheme", value)
    return None


def _host(value: str) -> str | None:
    if host_name(value) is not None:
        return value
    _ignored("host", value)
    return None


def _ignored(what: str, value: str) -> None:
    logger.debug("Forwarded %s %r is not valid: ignored", what, value)


def _forward(request: web.Request, said: _Said) -> web.Request:
    # The host compares with the Host header, not request.host (see allowed
    # hosts in the module's docstring).
    changes: dict[str, Any] = {}
    if said.remote is not None and said.remote != request.remote:
        changes["remote"] = said.remote
    if said.scheme is not None and said.scheme != request.scheme:
        changes["scheme"] = said.scheme
    if said.host is not None and said.host != request.headers.get(hdrs.HOST):
        changes["host"] = said.host
    if not changes:
        return request
    # Cleared first, so that the clone never holds a clone from an earlier pass
    # of the same request object (tests and benchmarks reuse one), which would
    # chain them all.
    request[_FORWARDED] = None
    clone = request.clone(**changes)
    request[_FORWARDED] = clone
    return clone


def _refuse(host: str | None) -> web.Response:
    logger.info("Host %r is not allowed: answered 400", host)
    return web.Response(status=400, text="Host not allowed")


def _compile_hosts(allowed_hosts: object) -> _Allowed | None:
    items = to_str_tuple(allowed_hosts, "allowed_hosts")
    if not items:
        raise ValueError(
            "allowed_hosts is empty, which would refuse every request: list "
            "the hosts to serve, or leave it out to allow every host"
        )
    if "*" in items:
        return None
    exact: set[str] = set()
    suffixes: list[str] = []
    for item in items:
        pattern = item.startswith("*.")
        name = item[2:] if pattern else item
        if "*" in name or host_name(name) != name:
            raise ValueError(
                f"allowed_hosts holds {item!r}, which is not a host without port "
                "(example.com, 192.0.2.1, [2001:db8::1]) nor a *.example.com pattern"
            )
        if pattern:
            suffixes.append("." + _normal(name))
        else:
            exact.add(_normal(name))
    names, endings = frozenset(exact), tuple(suffixes)

    def allowed(host: str | None) -> bool:
        name = None if host is None else host_name(host)
        if name is None:
            return False
        name = _normal(name)
        if name.startswith(".") or ".." in name:
            # An empty label names no host: ".example.com" is no sub-domain.
            return False
        return name in names or name.endswith(endings)

    return allowed


def _normal(name: str) -> str:
    # example.com. names the same host as example.com (the root's empty label).
    return name.lower().removesuffix(".")
