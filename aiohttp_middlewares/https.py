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
request is cloned only when a header matched. The parsing of the headers and
the trust in peers live in :mod:`aiohttp_middlewares.forwarded`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, TypeAlias

from aiohttp import hdrs, web

from .annotations import Handler, Middleware
from .forwarded import (
    TrustedProxy,
    compile_trust,
    forwarded_elements,
    last_value,
)
from .utils import is_token

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

__all__ = ("https_middleware",)

logger = logging.getLogger(__name__)

_Extract: TypeAlias = Callable[[str], "str | None"]
_Rule: TypeAlias = tuple[str, str, "_Extract | None"]

_DEFAULT_MATCH_HEADERS = {"X-Forwarded-Proto": "https"}


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
        ``None`` (the default) trusts every peer, and so does ``"*"``.
    :return: The middleware, to put in ``web.Application(middlewares=[...])``.
    :raises TypeError: When *match_headers* is not a dict of ``str`` to
        ``str``, or *trusted_proxies* is a bare string other than ``"*"``, not
        a collection, or holds something other than a string or an
        :mod:`ipaddress` object.
    :raises ValueError: When a name in *match_headers* is not a valid header
        name, or an item of *trusted_proxies* is not ``"*"``, an IP address or
        network.
    """
    rules = _compile_headers(
        _DEFAULT_MATCH_HEADERS if match_headers is None else match_headers
    )
    trust = None if trusted_proxies is None else compile_trust(trusted_proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _claims_https(request.headers, rules):
            if trust is None or trust.peer(request.transport):
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
    """The ``proto`` of the last element of a Forwarded value, if it parses."""
    elements = forwarded_elements(value)
    return elements[-1].get("proto") if elements else None


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
        if not is_token(name):
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
        return last_value
    return None
