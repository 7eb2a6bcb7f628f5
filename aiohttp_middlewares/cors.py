"""CORS middleware: let browsers on other origins read your aiohttp responses.

:func:`cors_middleware` speaks the server side of the CORS protocol of the
`Fetch standard <https://fetch.spec.whatwg.org/#http-cors-protocol>`_:

* A **preflight** (``OPTIONS`` carrying ``Origin`` and
  ``Access-Control-Request-Method``) is answered by the middleware itself, as a
  returned response, without calling the handler.
* Any other request is handled as usual, then the response gets
  ``Access-Control-Allow-Origin`` (and the credentials and exposed-headers
  headers) when its ``Origin`` is allowed. Responses raised as
  :class:`aiohttp.web.HTTPException` get them too.
* Every response of a CORS-handled path carries ``Vary: Origin``, merged with the
  handler's own ``Vary``, so that shared caches never serve one origin's answer
  to another.

A handler that prepares its own :class:`~aiohttp.web.StreamResponse` (server-sent
events, chunked downloads, WebSocket) sends its headers before the middleware
sees it. For those, register :func:`cors_on_response_prepare` once::

    app.on_response_prepare.append(cors_on_response_prepare)

Configuration is checked and normalised once, when the factory is called: origins
land in a frozenset, header values are joined into strings, so a request costs a
few dict and set look-ups.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from types import FunctionType
from typing import TYPE_CHECKING, Any, Final, TypeAlias
from weakref import WeakKeyDictionary

from aiohttp import hdrs, web
from yarl import URL

from .annotations import Handler, Middleware, Url, Urls
from .utils import (
    check_bool,
    check_field_values,
    compile_urls,
    response_key,
    routed_path,
    to_str_tuple,
    to_tuple,
)

if TYPE_CHECKING:
    from multidict import CIMultiDict, CIMultiDictProxy

__all__ = (
    "ACCESS_CONTROL",
    "ACCESS_CONTROL_ALLOW_CREDENTIALS",
    "ACCESS_CONTROL_ALLOW_HEADERS",
    "ACCESS_CONTROL_ALLOW_METHODS",
    "ACCESS_CONTROL_ALLOW_ORIGIN",
    "ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK",
    "ACCESS_CONTROL_EXPOSE_HEADERS",
    "ACCESS_CONTROL_MAX_AGE",
    "ACCESS_CONTROL_REQUEST_HEADERS",
    "ACCESS_CONTROL_REQUEST_METHOD",
    "ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
    "DEFAULT_ALLOW_HEADERS",
    "DEFAULT_ALLOW_METHODS",
    "Origin",
    "cors_middleware",
    "cors_on_response_prepare",
)

logger = logging.getLogger(__name__)

# aiohttp's names of these headers are pre-hashed case-insensitive strings
# (istr): they are used where aiohttp has them.

#: The prefix every CORS header name shares.
ACCESS_CONTROL: Final = "Access-Control"
#: The ``Access-Control-Allow-Credentials`` header name.
ACCESS_CONTROL_ALLOW_CREDENTIALS: Final[str] = hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS
#: The ``Access-Control-Allow-Headers`` header name.
ACCESS_CONTROL_ALLOW_HEADERS: Final[str] = hdrs.ACCESS_CONTROL_ALLOW_HEADERS
#: The ``Access-Control-Allow-Methods`` header name.
ACCESS_CONTROL_ALLOW_METHODS: Final[str] = hdrs.ACCESS_CONTROL_ALLOW_METHODS
#: The ``Access-Control-Allow-Origin`` header name.
ACCESS_CONTROL_ALLOW_ORIGIN: Final[str] = hdrs.ACCESS_CONTROL_ALLOW_ORIGIN
#: The ``Access-Control-Allow-Private-Network`` header name.
ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK: Final = "Access-Control-Allow-Private-Network"
#: The ``Access-Control-Expose-Headers`` header name.
ACCESS_CONTROL_EXPOSE_HEADERS: Final[str] = hdrs.ACCESS_CONTROL_EXPOSE_HEADERS
#: The ``Access-Control-Max-Age`` header name.
ACCESS_CONTROL_MAX_AGE: Final[str] = hdrs.ACCESS_CONTROL_MAX_AGE
#: The ``Access-Control-Request-Headers`` header name.
ACCESS_CONTROL_REQUEST_HEADERS: Final[str] = hdrs.ACCESS_CONTROL_REQUEST_HEADERS
#: The ``Access-Control-Request-Method`` header name.
ACCESS_CONTROL_REQUEST_METHOD: Final[str] = hdrs.ACCESS_CONTROL_REQUEST_METHOD
#: The ``Access-Control-Request-Private-Network`` header name.
ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: Final = "Access-Control-Request-Private-Network"

#: Request headers a preflight allows by default (``allow_headers``).
DEFAULT_ALLOW_HEADERS: Final = (
    "accept",
    "accept-encoding",
    "authorization",
    "content-type",
    "dnt",
    "origin",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
)

#: Methods a preflight allows by default (``allow_methods``).
DEFAULT_ALLOW_METHODS: Final = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")

#: One allowed origin as ``origins`` accepts it: an exact origin string such as
#: ``"https://app.example.com"`` (or ``"null"``), a :class:`yarl.URL` of it, or a
#: compiled regex tried with ``pattern.match(origin)``.
Origin: TypeAlias = Url

# The headers one response gets: (name, value) pairs, then ``Vary: Origin``.
# ``()`` means "refused or no Origin": only ``Vary`` is added.
_Grant: TypeAlias = tuple[tuple[str, str], ...]
# What a middleware decides for a request: its grant, or None when the request
# is not one it handles (another path of ``urls``).
_Decide: TypeAlias = Callable[[web.Request], "_Grant | None"]

# Every cors middleware's decision, for cors_on_response_prepare to find
# through app.middlewares: it can then decide for answers that no middleware
# saw (aiohttp's own 500, an outer middleware's), with whatever request they
# are prepared with, an original or a clone.
_policies: WeakKeyDictionary[Callable[..., Any], _Decide] = WeakKeyDictionary()
# Marks a response that has its CORS headers, so that none is decided twice.
_ANSWERED = response_key("cors", bool)

_OPTIONS: Final = "OPTIONS"
_TRUE: Final = "true"
# A browser never preflights only because of these methods (Fetch: CORS-safelisted).
_SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
# Fetch: the "*" of Access-Control-Allow-Headers never covers Authorization.
_NEVER_WILDCARD_HEADER: Final = "authorization"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# scheme "://" host [":" port] and an optional trailing slash, nothing else: no
# user info, path, query, fragment or whitespace (the host is checked by yarl).
_ORIGIN_SHAPE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@]+/?")
# "$" or "\Z" at the very end, not preceded by an escaping backslash.
_END_ANCHOR: Final = re.compile(r"(?<!\\)(?:\\\\)*(?:\$|\\Z)\Z")


def cors_middleware(
    *,
    allow_all: bool = False,
    origins: Collection[Origin] | None = None,
    urls: Urls | None = None,
    expose_headers: Collection[str] | None = None,
    allow_headers: Collection[str] = DEFAULT_ALLOW_HEADERS,
    allow_methods: Collection[str] = DEFAULT_ALLOW_METHODS,
    allow_credentials: bool = False,
    max_age: int | None = None,
    allow_private_network: bool = False,
) -> Middleware:
    """Middleware to provide CORS headers for aiohttp applications.

    Put it outermost in ``middlewares`` but for ``request_id_middleware`` and
    ``proxy_middleware`` (the README's quick start has the whole order), so
    that it sees every answer, including those of an ``error_middleware``::

        app = web.Application(
            middlewares=[
                cors_middleware(origins=["https://app.example.com"]),
                error_middleware(),
            ]
        )

    :param allow_all: Allow any origin. Without ``allow_credentials`` the answer
        is ``Access-Control-Allow-Origin: *``; with it, the request's origin is
        reflected and a WARNING is logged, since every website can then read
        responses made with the user's cookies. By default: ``False``.
    :param origins: Allowed origins. A string (or :class:`yarl.URL`) is an exact
        origin such as ``"https://app.example.com"``, normalised once (lower-case
        scheme and host, no default port, no trailing slash); ``"null"`` allows
        sandboxed frames and ``file://`` pages. A string that is not an origin
        (``"example.com"``, ``"https://a.example/app"``) can never match: a
        WARNING names it. A compiled regex allows the origins it matches with
        ``pattern.match`` (anchored at the start only): end it with ``$``, or a
        WARNING tells that ``^https://app\\.example\\.com`` also admits
        ``https://app.example.com.evil.test``. By default: ``None``, no origin
        is allowed.
    :param urls: Request paths that get CORS handling, matched as
        :func:`~aiohttp_middlewares.utils.compile_urls` does, on the path the
        router resolves (:func:`~aiohttp_middlewares.utils.routed_path`);
        other paths are left untouched. By default: every path.
    :param expose_headers: Response headers that scripts may read, sent as
        ``Access-Control-Expose-Headers`` on every answer to an allowed origin.
        By default: ``None``.
    :param allow_headers: Request headers a preflight allows, sent as
        ``Access-Control-Allow-Headers`` in the given order. By default:
        :data:`DEFAULT_ALLOW_HEADERS`.
    :param allow_methods: Methods a preflight allows, sent as
        ``Access-Control-Allow-Methods`` in the given order. By default:
        :data:`DEFAULT_ALLOW_METHODS`.
    :param allow_credentials: Send ``Access-Control-Allow-Credentials: true``,
        so that scripts may send cookies and read the answers made with them.
        By default: ``False``.
    :param max_age: Seconds a browser may cache a preflight answer, sent as
        ``Access-Control-Max-Age``. By default: ``None``, not sent.
    :param allow_private_network: Answer
        ``Access-Control-Allow-Private-Network: true`` to a preflight that asks
        with ``Access-Control-Request-Private-Network: true`` (Private Network
        Access). By default: ``False``.
    :return: The middleware.
    :raises TypeError: When ``origins``, ``allow_headers``, ``allow_methods``,
        ``expose_headers`` or ``urls`` is a bare string or not a collection, or
        holds an item of the wrong type; when ``allow_all``,
        ``allow_credentials`` or ``allow_private_network`` is not a ``bool``.
    :raises ValueError: When ``max_age`` is not a non-negative ``int``; when an
        item of ``allow_headers``, ``allow_methods`` or ``expose_headers`` holds
        a CR, LF or other control character.
    """
    match_url = None if urls is None else compile_urls(urls, argument="urls").match
    methods = _header_values(allow_methods, "allow_methods")
    headers = _header_values(allow_headers, "allow_headers")
    exposed = _header_values(
        () if expose_headers is None else expose_headers, "expose_headers"
    )
    allow_credentials = check_bool(allow_credentials, "allow_credentials")
    extra = _pairs(
        (ACCESS_CONTROL_ALLOW_CREDENTIALS, _TRUE if allow_credentials else ""),
        (ACCESS_CONTROL_EXPOSE_HEADERS, ", ".join(exposed)),
    )
    grant = _origin_granter(
        check_bool(allow_all, "allow_all"), allow_credentials, origins, extra
    )
    preflight = _preflight_answerer(
        grant,
        methods,
        headers,
        _max_age(max_age),
        allow_credentials=allow_credentials,
        allow_private_network=check_bool(
            allow_private_network, "allow_private_network"
        ),
    )
    warned = False

    def handles(request: web.Request, method: str) -> bool:
        return match_url is None or match_url(method, routed_path(request))

    def allowed_for(origin: str | None) -> _Grant:
        return (grant(origin) or ()) if origin else ()

    def decide(request: web.Request) -> _Grant | None:
        if not handles(request, request.method):
            return None
        return allowed_for(request.headers.get(hdrs.ORIGIN))

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal warned
        headers = request.headers
        method = request.method
        origin = headers.get(hdrs.ORIGIN)
        requested = (
            headers.get(ACCESS_CONTROL_REQUEST_METHOD)
            if origin is not None and method == _OPTIONS
            else None
        )
        # A preflight asks on behalf of the method it names: urls given as a
        # dict of path to methods is matched with that method, not OPTIONS.
        if not handles(request, method if requested is None else requested):
            return await handler(request)
        if requested is not None and origin is not None:
            return preflight(request, origin)
        allowed = allowed_for(origin)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            # An outer middleware that answers with a new response gets the
            # headers from cors_on_response_prepare.
            _answer(exc, allowed)
            raise
        if not response.prepared:
            _answer(response, allowed)
        elif (
            not warned
            and not response.get(_ANSWERED)
            and not isinstance(response, web.WebSocketResponse)
        ):
            # Browsers do not apply CORS to WebSockets: no warning for them.
            warned = True
            logger.warning(
                "%s %s: the handler prepared its response before cors_middleware "
                "could add CORS headers; add "
                "app.on_response_prepare.append(cors_on_response_prepare)",
                request.method,
                request.path,
            )
        return response

    _policies[middleware] = decide
    return middleware


async def cors_on_response_prepare(
    request: web.Request, response: web.StreamResponse
) -> None:
    """Give CORS headers to the answers that cors_middleware does not see.

    A handler that calls ``await response.prepare(request)`` (server-sent events,
    chunked downloads, WebSocket) sends its headers before
    :func:`cors_middleware` sees the response; aiohttp's own 500 for an
    uncaught exception, and the answer of a middleware placed outside
    ``cors_middleware``, are made after it. Register this callback on the
    application that uses the middleware, and those answers get CORS headers
    too::

        app.on_response_prepare.append(cors_on_response_prepare)

    It decides as the first ``cors_middleware`` of the application (and of
    its parents, for a sub-application) whose ``urls`` cover the request,
    from the request's ``Origin``, method and path, so the decision is the
    same whatever clones of the request middlewares made
    (``https_middleware`` makes one). A response that a middleware already
    gave its CORS headers is left alone, so no header is added twice;
    requests that no middleware handles (other ``urls``) are not touched.

    :param request: The request being answered.
    :param response: The response about to send its headers.
    """
    if not response.get(_ANSWERED):
        allowed = _first_decision(request)
        if allowed is not None:
            _answer(response, allowed)


def _first_decision(request: web.Request) -> _Grant | None:
    # Middlewares run outermost first: the root application's, in list order,
    # then those of each sub-application down to the one that routed.
    for app in request.match_info.apps:
        for middleware in app.middlewares:
            if isinstance(middleware, FunctionType) and middleware in _policies:
                allowed = _policies[middleware](request)
                if allowed is not None:
                    return allowed
    return None


def _pairs(*pairs: tuple[str, str]) -> _Grant:
    # Drop the headers that a configuration leaves empty.
    return tuple((name, value) for name, value in pairs if value)


def _header_values(value: object, argument: str) -> tuple[str, ...]:
    items = to_str_tuple(value, argument)
    check_field_values(items, argument)
    return items


def _max_age(max_age: object) -> str:
    if max_age is None:
        return ""
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ValueError(
            f"max_age must be a non-negative int of seconds or None, got {max_age!r}"
        )
    return str(max_age)


def _origin_granter(
    allow_all: bool,
    allow_credentials: bool,
    origins: Collection[Origin] | None,
    extra: _Grant,
) -> Callable[[str], _Grant | None]:
    """Return ``grant(origin)``: the headers for an allowed origin, else ``None``.

    Those of the exact origins are built now, so that the common case costs a
    dict hit.
    """
    exact, patterns = _split_origins(origins)
    if allow_credentials and "null" in exact:
        logger.warning(
            "cors_middleware(origins=[..., 'null'], allow_credentials=True): any "
            "website can send Origin: null from a sandboxed iframe and read "
            "responses made with the user's cookies"
        )
    granted = {
        origin: ((ACCESS_CONTROL_ALLOW_ORIGIN, origin), *extra) for origin in exact
    }
    if allow_all and allow_credentials:
        logger.warning(
            "cors_middleware(allow_all=True, allow_credentials=True) reflects any "
            "Origin: every website can read responses made with the user's cookies"
        )
    anyone: _Grant | None = None
    if allow_all and not allow_credentials:
        anyone = ((ACCESS_CONTROL_ALLOW_ORIGIN, "*"), *extra)
    elif allow_all:
        # Reflecting any origin is what a pattern matching everything does.
        patterns = (_match_any,)

    def grant(origin: str) -> _Grant | None:
        found = granted.get(origin)
        if found is not None:
            return found
        if anyone is not None:
            return anyone
        # A reflected value goes back into a header: only ASCII is safe to send
        # (browsers always send ASCII origins).
        if origin.isascii():
            for match in patterns:
                if match(origin):
                    return ((ACCESS_CONTROL_ALLOW_ORIGIN, origin), *extra)
        return None

    return grant


def _match_any(origin: str) -> bool:
    return True


def _split_origins(
    origins: Collection[Origin] | None,
) -> tuple[frozenset[str], tuple[Callable[[str], object], ...]]:
    exact: set[str] = set()
    patterns: list[Callable[[str], object]] = []
    for item in () if origins is None else to_tuple(origins, "origins"):
        if isinstance(item, re.Pattern) and isinstance(item.pattern, str):
            if not _anchored_at_end(item.pattern):
                logger.warning(
                    "origins regex %r does not end with $ or \\Z (in each of its "
                    "top-level alternatives): pattern.match admits every origin "
                    "that merely begins with a match (^https://app\\.example\\.com "
                    "admits https://app.example.com.evil.test)",
                    item.pattern,
                )
            patterns.append(item.match)
        elif isinstance(item, str | URL):
            origin = _normalise_origin(str(item))
            if origin is None:
                logger.warning(
                    "origins holds %r, which is not a serialised origin "
                    "(scheme://host[:port]) and can never match",
                    str(item),
                )
            else:
                exact.add(origin)
        else:
            raise TypeError(
                f"origins holds {type(item).__name__} {item!r}: each origin must be "
                "a str, a yarl.URL or a compiled str regex (re.compile)"
            )
    return frozenset(exact), tuple(patterns)


def _anchored_at_end(pattern: str) -> bool:
    """Whether every top-level alternative of *pattern* ends with ``$``/``\\Z``.

    ``^https://a\\.example|^https://b\\.example$`` ends with ``$``, but its
    first alternative admits ``https://a.example.evil.test``. The pattern is
    split at the ``|`` that no group, character class or escape holds.
    """
    alternatives = []
    depth = start = 0
    escaped = in_class = False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            alternatives.append(pattern[start:index])
            start = index + 1
    alternatives.append(pattern[start:])
    return all(_END_ANCHOR.search(alternative) for alternative in alternatives)


def _normalise_origin(value: str) -> str | None:
    """Return *value* as a browser serialises an origin, or ``None`` if invalid."""
    if value == "null":
        return value
    if not _ORIGIN_SHAPE.fullmatch(value):
        return None
    try:
        url = URL(value)
        port = url.port
    except ValueError:
        return None
    host = url.raw_host
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    scheme = url.scheme.lower()
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _preflight_answerer(
    grant: Callable[[str], _Grant | None],
    methods: tuple[str, ...],
    headers: tuple[str, ...],
    max_age: str,
    *,
    allow_credentials: bool,
    allow_private_network: bool,
) -> Callable[[web.Request, str], web.Response]:
    """Return ``answer(request, origin)``: the response to a preflight.

    The answer is returned, never raised, so that an outer middleware that turns
    exceptions into error pages lets it through.
    """
    vary = [hdrs.ORIGIN, ACCESS_CONTROL_REQUEST_METHOD, ACCESS_CONTROL_REQUEST_HEADERS]
    if allow_private_network:
        vary.append(ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK)
    refused = {hdrs.VARY: ", ".join(vary)}
    accepted = dict(
        _pairs(
            (hdrs.VARY, refused[hdrs.VARY]),
            (ACCESS_CONTROL_ALLOW_METHODS, ", ".join(methods)),
            (ACCESS_CONTROL_ALLOW_HEADERS, ", ".join(headers)),
            (ACCESS_CONTROL_MAX_AGE, max_age),
        )
    )
    check = _preflight_checker(methods, headers, allow_credentials)

    def answer(request: web.Request, origin: str) -> web.Response:
        allowed = grant(origin) if origin else None
        if allowed is None:
            logger.info("CORS preflight refused: origin %r is not allowed", origin)
            response = web.Response(status=403, text="", headers=refused)
            response[_ANSWERED] = True
            return response
        response = web.Response(text="", headers=accepted)
        response[_ANSWERED] = True
        response.headers.extend(allowed)
        if (
            allow_private_network
            and request.headers.get(ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK) == _TRUE
        ):
            response.headers[ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK] = _TRUE
        if logger.isEnabledFor(logging.INFO):
            check(request.headers, origin)
        return response

    return answer


def _preflight_checker(
    methods: tuple[str, ...], headers: tuple[str, ...], allow_credentials: bool
) -> Callable[[CIMultiDictProxy[str], str], None]:
    """Return ``check(request_headers, origin)`` logging what a preflight lacks."""
    # Fetch honours "*" as a wildcard only for requests without credentials.
    any_method = "*" in methods and not allow_credentials
    any_header = "*" in headers and not allow_credentials
    method_names = frozenset(methods) | _SAFELISTED_METHODS
    header_names = frozenset(name.lower() for name in headers)

    def check(request_headers: CIMultiDictProxy[str], origin: str) -> None:
        method = request_headers.get(ACCESS_CONTROL_REQUEST_METHOD, "")
        if not any_method and method not in method_names:
            logger.info(
                "CORS preflight from %r: method %r is not in allow_methods, the "
                "browser will refuse the request",
                origin,
                method,
            )
        requested = request_headers.get(ACCESS_CONTROL_REQUEST_HEADERS, "")
        missing = [
            name
            for name in (part.strip().lower() for part in requested.split(","))
            if name
            and name not in header_names
            and not (any_header and name != _NEVER_WILDCARD_HEADER)
        ]
        if missing:
            logger.info(
                "CORS preflight from %r: header(s) %s not in allow_headers, the "
                "browser will refuse the request",
                origin,
                ", ".join(missing),
            )

    return check


def _answer(response: web.StreamResponse, allowed: _Grant) -> None:
    """Give *response* the CORS headers of *allowed*, and mark it answered."""
    response[_ANSWERED] = True
    headers = response.headers
    for name, value in allowed:
        headers[name] = value
    # Adds Vary in one call when the handler set none, the common case.
    if headers.setdefault(hdrs.VARY, hdrs.ORIGIN) != hdrs.ORIGIN:
        _vary_on_origin(headers)


def _vary_on_origin(headers: CIMultiDict[str]) -> None:
    """Add ``Origin`` to the handler's ``Vary``, keeping every token it holds."""
    values = [value.strip() for value in headers.getall(hdrs.VARY)]
    tokens = {token.strip().lower() for value in values for token in value.split(",")}
    if "origin" in tokens or "*" in tokens:
        return
    values.append(hdrs.ORIGIN)
    headers[hdrs.VARY] = ", ".join(value for value in values if value)
