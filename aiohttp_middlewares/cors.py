"""CORS middleware: let browsers on other origins read your aiohttp responses.

:func:`cors_middleware` speaks the server side of the CORS protocol of the
Fetch standard (its section "CORS protocol"):

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
* When several ``cors_middleware`` cover a request, the outermost decides, for
  preflights and actual requests alike.

A handler that prepares its own :class:`~aiohttp.web.StreamResponse` (server-sent
events, chunked downloads, WebSocket) sends its headers before the middleware
sees it. For those, register :func:`cors_on_response_prepare` once::

    app.on_response_prepare.append(cors_on_response_prepare)

Configuration is checked and normalised once, when the factory is called: origins
land in a frozenset, header values are joined into strings, so a request costs a
few dict and set look-ups. Origin checks (callables in ``origins``) run only for
origins that no exact origin or regex allows.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Iterable
from contextvars import ContextVar
from types import FunctionType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias
from weakref import WeakKeyDictionary

from aiohttp import hdrs, web
from yarl import URL

from .annotations import Handler, Middleware, Urls
from .utils import (
    check_bool,
    check_field_values,
    compile_urls,
    is_token,
    logged_path,
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
    "OriginCheck",
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

#: A check of an origin at run time, as ``origins`` accepts it:
#: ``check(request, origin)`` returns ``True`` to allow the origin, ``False`` to
#: refuse it, or an awaitable of either (an ``async def`` check). *request* is
#: the :class:`aiohttp.web.Request` being handled (an actual request or a
#: preflight); *origin* is its ``Origin`` header exactly as sent, a non-empty
#: ASCII string such as ``"https://acme.example.com"`` or ``"null"``, not
#: normalised. A check runs only when no exact origin and no regex allowed the
#: origin; an exception it raises, or a result that is not a ``bool``, is logged
#: at ERROR and counts as its refusal.
OriginCheck: TypeAlias = Callable[[web.Request, str], bool | Awaitable[bool]]

#: One item of ``origins``: an exact origin string such as
#: ``"https://app.example.com"`` (or ``"null"``), a :class:`yarl.URL` of it, a
#: compiled regex tried with ``pattern.match(origin)``, or an
#: :data:`OriginCheck`.
Origin: TypeAlias = str | re.Pattern[str] | URL | OriginCheck

# The headers one response gets: (name, value) pairs, then ``Vary: Origin``.
# ``()`` means "refused or no Origin": only ``Vary`` is added.
_Grant: TypeAlias = tuple[tuple[str, str], ...]
# Computes Access-Control-Expose-Headers from a response's own headers (for "*"
# in expose_headers with credentials), or None when it is a fixed list.
_Expose: TypeAlias = "Callable[[CIMultiDict[str]], str] | None"


class _Policy(NamedTuple):
    # What a cors middleware decides for a request: its grant, or None when
    # the request is not one it handles (another path of ``urls``).
    decide: Callable[[web.Request], Awaitable[_Grant | None]]
    expose: _Expose


# Every cors middleware's policy, for cors_on_response_prepare to find through
# app.middlewares: it can then decide for answers that no middleware saw
# (aiohttp's own 500, an outer middleware's), with whatever request they are
# prepared with, an original or a clone.
_policies: WeakKeyDictionary[Callable[..., Any], _Policy] = WeakKeyDictionary()
# Marks a response that has its CORS headers, so that none is decided twice.
_ANSWERED = response_key("cors", bool)

_REFUSED: Final[_Grant] = ()
_OPTIONS: Final = "OPTIONS"
_TRUE: Final = "true"
_WILDCARD: Final = "*"
_ACCESS_CONTROL_PREFIX: Final = "access-control-"
# A browser never preflights only because of these methods (Fetch: CORS-safelisted).
_SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
# Fetch: the "*" of Access-Control-Allow-Headers never covers Authorization.
_NEVER_WILDCARD_HEADER: Final = "authorization"
# Fetch: scripts always read the CORS-safelisted response headers, and never
# the forbidden response-header names, whatever Access-Control-Expose-Headers
# says; a "*" that stands for the response's own names lists neither.
_NEVER_EXPOSED: Final = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
        "set-cookie",
        "set-cookie2",
    }
)
# What aiohttp adds to a response when it prepares it, after the middleware
# answered (but before cors_on_response_prepare runs): a "*" that stands for
# the response's own names leaves them out on either path, so that the list
# does not depend on which of the two gave the answer its CORS headers.
_ADDED_ON_PREPARE: Final = frozenset(
    {"connection", "date", "keep-alive", "server", "transfer-encoding"}
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# An origin as browsers serialise it (Fetch, "byte-serializing an origin"):
# scheme "://" host [":" port], the host ASCII (IDNA) or an IPv6 literal.
_SERIALISED_ORIGIN: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(?:[A-Za-z0-9_.~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
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

    Several instances with different ``urls`` give different paths different
    policies. Where their ``urls`` overlap, the outermost instance covering a
    request decides for it, preflight and actual request alike: its CORS
    headers replace those of the inner ones.

    :param allow_all: Allow any origin. Without ``allow_credentials`` the answer
        is ``Access-Control-Allow-Origin: *``; with it, the request's origin is
        reflected and a WARNING is logged, since every website can then read
        responses made with the user's cookies. By default: ``False``.
    :param origins: Allowed origins, tried in this order: exact origins, then
        regexes, then checks. A string (or :class:`yarl.URL`) is an exact
        origin such as ``"https://app.example.com"``, normalised once
        (lower-case scheme and host, no default port, no trailing slash);
        ``"null"`` allows sandboxed frames and ``file://`` pages. A string that
        is not an origin (``"example.com"``, ``"https://a.example/app"``) can
        never match: a WARNING names it. A compiled regex allows the origins it
        matches with ``pattern.match`` (anchored at the start only): end it
        with ``$``, or a WARNING tells that ``^https://app\\.example\\.com``
        also admits ``https://app.example.com.evil.test``. A callable is an
        :data:`OriginCheck`, ``check(request, origin)``, sync or async, called
        in the order given for an origin that nothing before allowed, until
        one returns ``True``. By default: ``None``, no origin is allowed.
    :param urls: Request paths that get CORS handling, matched as
        :func:`~aiohttp_middlewares.utils.compile_urls` does, on the path the
        router resolves (:func:`~aiohttp_middlewares.utils.routed_path`);
        other paths are left untouched. By default: every path.
    :param expose_headers: Response headers that scripts may read, sent as
        ``Access-Control-Expose-Headers`` on every answer to an allowed origin.
        ``"*"`` is sent as it is without ``allow_credentials``; with it, each
        answer lists its own header names instead (see ``allow_credentials``).
        By default: ``None``.
    :param allow_headers: Request headers a preflight allows, sent as
        ``Access-Control-Allow-Headers`` in the given order. By default:
        :data:`DEFAULT_ALLOW_HEADERS`.
    :param allow_methods: Methods a preflight allows, sent as
        ``Access-Control-Allow-Methods`` in the given order. By default:
        :data:`DEFAULT_ALLOW_METHODS`.
    :param allow_credentials: Send ``Access-Control-Allow-Credentials: true``,
        so that scripts may send cookies and read the answers made with them.
        A browser reads a ``*`` as a literal name in a credentialed exchange, so
        a ``"*"`` in ``allow_headers``, ``allow_methods`` or ``expose_headers``
        then answers with names: the headers a preflight asks for (never
        ``Authorization`` unless ``allow_headers`` names it), the method it
        asks for, and the header names of each answer (without the ones
        browsers always expose, and never ``Set-Cookie``). By default:
        ``False``.
    :param max_age: Seconds a browser may cache a preflight answer, sent as
        ``Access-Control-Max-Age``. By default: ``None``, not sent.
    :param allow_private_network: Answer
        ``Access-Control-Allow-Private-Network: true`` to a preflight that asks
        with ``Access-Control-Request-Private-Network: true`` (Private Network
        Access, a protocol Chrome stopped pursuing: see the CORS page of the
        docs). By default: ``False``.
    :return: The middleware.
    :raises TypeError: When ``origins``, ``allow_headers``, ``allow_methods``,
        ``expose_headers`` or ``urls`` is a bare string or not a collection, or
        holds an item of the wrong type (a callable in ``origins`` that cannot
        be called with ``(request, origin)`` included); when ``allow_all``,
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
    listed, expose = _exposer(exposed, allow_credentials)
    extra = _pairs(
        (ACCESS_CONTROL_ALLOW_CREDENTIALS, _TRUE if allow_credentials else ""),
        (ACCESS_CONTROL_EXPOSE_HEADERS, listed),
    )
    match_origin, check_origin = _origin_deciders(
        check_bool(allow_all, "allow_all"), allow_credentials, origins, extra
    )
    preflight = _preflight_answerer(
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

    async def decide(request: web.Request) -> _Grant | None:
        if not handles(request, request.method):
            return None
        allowed = match_origin(request.headers.get(hdrs.ORIGIN))
        return await check_origin(request) if allowed is None else allowed

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal warned
        headers = request.headers
        method = request.method
        origin = headers.get(hdrs.ORIGIN)
        # An empty Access-Control-Request-Method names no method: then the
        # OPTIONS request is an actual one, whatever the form of urls.
        requested = (
            headers.get(ACCESS_CONTROL_REQUEST_METHOD) or None
            if origin is not None and method == _OPTIONS
            else None
        )
        # A preflight asks on behalf of the method it names: urls given as a
        # dict of path to methods is matched with that method, not OPTIONS.
        if not handles(request, method if requested is None else requested):
            return await handler(request)
        allowed = match_origin(origin)
        if allowed is None:
            # Only origins that no exact origin or regex allows pay for this.
            allowed = await check_origin(request)
        if requested is not None and origin is not None:
            return preflight(request, origin, allowed)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            # An outer middleware that answers with a new response gets the
            # headers from cors_on_response_prepare.
            _answer(exc, allowed, expose)
            raise
        if not response.prepared:
            _answer(response, allowed, expose)
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
                logged_path(request),
            )
        return response

    _policies[middleware] = _Policy(decide, expose)
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
        found = await _first_decision(request)
        if found is not None:
            _answer(response, *found)


async def _first_decision(request: web.Request) -> tuple[_Grant, _Expose] | None:
    # Middlewares run outermost first: the root application's, in list order,
    # then those of each sub-application down to the one that routed.
    for app in request.match_info.apps:
        for middleware in app.middlewares:
            if isinstance(middleware, FunctionType) and middleware in _policies:
                policy = _policies[middleware]
                allowed = await policy.decide(request)
                if allowed is not None:
                    return allowed, policy.expose
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


def _names(items: Iterable[str]) -> list[str]:
    # The names a list of header values holds: an item may list several.
    return [name for item in items for name in map(str.strip, item.split(",")) if name]


def _exposer(exposed: tuple[str, ...], allow_credentials: bool) -> tuple[str, _Expose]:
    """Return the fixed ``Access-Control-Expose-Headers`` value, and ``expose``.

    ``expose(headers)`` is ``None`` unless a ``"*"`` must stand for the answer's
    own header names, which a credentialed request needs (Fetch: its ``*`` is
    a literal name). Then it lists the fixed names too.
    """
    names = _names(exposed)
    if not (allow_credentials and _WILDCARD in names):
        return ", ".join(exposed), None
    listed = [name for name in names if name != _WILDCARD]
    skipped = _NEVER_EXPOSED | _ADDED_ON_PREPARE | {name.lower() for name in listed}

    def expose(headers: CIMultiDict[str]) -> str:
        own = {name.lower(): name for name in headers}
        names = [
            name
            for folded, name in own.items()
            if folded not in skipped and not folded.startswith(_ACCESS_CONTROL_PREFIX)
        ]
        return ", ".join([*listed, *names])

    return ", ".join(listed), expose


def _origin_deciders(
    allow_all: bool,
    allow_credentials: bool,
    origins: Collection[Origin] | None,
    extra: _Grant,
) -> tuple[
    Callable[[str | None], _Grant | None],
    Callable[[web.Request], Awaitable[_Grant]],
]:
    """Return ``match_origin(origin)`` and ``check_origin(request)``.

    ``match_origin`` decides from the exact origins and the regexes: the
    headers for an allowed origin, ``()`` for a refused one, ``None`` when the
    checks must decide, which ``check_origin`` then does. The headers of the
    exact origins are built now, so that the common case costs a dict hit.
    """
    exact, patterns, checks = _split_origins(origins)
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
    undecided = None if checks else _REFUSED

    def reflected(origin: str) -> _Grant:
        return ((ACCESS_CONTROL_ALLOW_ORIGIN, origin), *extra)

    def match_origin(origin: str | None) -> _Grant | None:
        if not origin:
            return _REFUSED
        found = granted.get(origin)
        if found is not None:
            return found
        if anyone is not None:
            return anyone
        # A reflected value goes back into a header: only ASCII is safe to send
        # (browsers always send ASCII origins).
        if not origin.isascii():
            return _REFUSED
        for match in patterns:
            if match(origin):
                return reflected(origin)
        return undecided

    # What the checks decided for the request of this task: the answers that
    # cors_on_response_prepare decides (a stream, aiohttp's own 500) then call
    # no check a second time, which may be a database query.
    checked: ContextVar[tuple[str, _Grant]] = ContextVar("cors_checked")

    async def check_origin(request: web.Request) -> _Grant:
        origin = request.headers.get(hdrs.ORIGIN, "")
        memo = checked.get(None)
        if memo is not None and memo[0] == origin:
            return memo[1]
        allowed = _REFUSED
        # A check sees only what a browser can send, never a list or junk that
        # a careless check would let back into the header.
        if origin == "null" or _SERIALISED_ORIGIN.fullmatch(origin):
            for check in checks:
                if await _passes(check, request, origin):
                    allowed = reflected(origin)
                    break
        checked.set((origin, allowed))
        return allowed

    return match_origin, check_origin


async def _passes(check: OriginCheck, request: web.Request, origin: str) -> bool:
    """Run one origin check; a failure counts as its refusal, never a 5xx."""
    try:
        result = check(request, origin)
        # An async def check returns an awaitable of its answer. A bool skips
        # isawaitable(), whose ABC check costs a sync check's request about
        # 2,900 instructions (1.2%).
        if not isinstance(result, bool) and inspect.isawaitable(result):
            result = await result
    except Exception:
        logger.exception(
            "origins check %s raised for Origin %r (%s %s): counted as a refusal",
            _name_of(check),
            origin,
            request.method,
            logged_path(request),
        )
        return False
    if isinstance(result, bool):
        return result
    logger.error(
        "origins check %s returned %r for Origin %r, not True or False: counted "
        "as a refusal",
        _name_of(check),
        result,
        origin,
    )
    return False


def _name_of(check: object) -> str:
    return getattr(check, "__qualname__", None) or repr(check)


def _match_any(origin: str) -> bool:
    return True


def _split_origins(
    origins: Collection[Origin] | None,
) -> tuple[
    frozenset[str], tuple[Callable[[str], object], ...], tuple[OriginCheck, ...]
]:
    exact: set[str] = set()
    patterns: list[Callable[[str], object]] = []
    checks: list[OriginCheck] = []
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
            # An exact origin goes out as Access-Control-Allow-Origin.
            check_field_values([str(item)], "origins")
            origin = _normalise_origin(str(item))
            if origin is None:
                logger.warning(
                    "origins holds %r, which is not a serialised origin "
                    "(scheme://host[:port]) and can never match",
                    str(item),
                )
            else:
                exact.add(origin)
        elif callable(item):
            checks.append(_checked_callable(item))
        else:
            raise TypeError(
                f"origins holds {type(item).__name__} {item!r}: each origin must be "
                "a str, a yarl.URL, a compiled str regex (re.compile) or a "
                "callable check(request, origin)"
            )
    return frozenset(exact), tuple(patterns), tuple(checks)


def _checked_callable(check: Callable[..., Any]) -> OriginCheck:
    # A check that cannot take (request, origin) would fail on every request:
    # say so now. Callables without a signature (some builtins) are trusted.
    try:
        signature = inspect.signature(check)
    except (TypeError, ValueError):
        return check
    try:
        signature.bind(None, None)
    except TypeError:
        raise TypeError(
            f"origins holds {_name_of(check)}{signature}, which cannot be called "
            "as check(request, origin)"
        ) from None
    return check


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
    methods: tuple[str, ...],
    headers: tuple[str, ...],
    max_age: str,
    *,
    allow_credentials: bool,
    allow_private_network: bool,
) -> Callable[[web.Request, str, _Grant], web.Response]:
    """Return ``answer(request, origin, allowed)``: the response to a preflight.

    The answer is returned, never raised, so that an outer middleware that turns
    exceptions into error pages lets it through. It lists what is configured,
    except a ``"*"`` with credentials, which stands for what the preflight asks.
    """
    header_names = _names(headers)
    method_names = _names(methods)
    any_method = allow_credentials and _WILDCARD in method_names
    any_header = allow_credentials and _WILDCARD in header_names
    keep_authorization = _NEVER_WILDCARD_HEADER in map(str.lower, header_names)
    vary = [hdrs.ORIGIN, ACCESS_CONTROL_REQUEST_METHOD, ACCESS_CONTROL_REQUEST_HEADERS]
    if allow_private_network:
        vary.append(ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK)
    refused = {hdrs.VARY: ", ".join(vary)}
    accepted = dict(
        _pairs(
            (hdrs.VARY, refused[hdrs.VARY]),
            (ACCESS_CONTROL_ALLOW_METHODS, "" if any_method else ", ".join(methods)),
            (ACCESS_CONTROL_ALLOW_HEADERS, "" if any_header else ", ".join(headers)),
            (ACCESS_CONTROL_MAX_AGE, max_age),
        )
    )
    check = _preflight_checker(method_names, header_names)

    def answer(request: web.Request, origin: str, allowed: _Grant) -> web.Response:
        if not allowed:
            logger.info("CORS preflight refused: origin %r is not allowed", origin)
            response = web.Response(status=403, text="", headers=refused)
            response[_ANSWERED] = True
            return response
        response = web.Response(text="", headers=accepted)
        response[_ANSWERED] = True
        response.headers.extend(allowed)
        asked = request.headers
        if any_method and (method := _asked_method(asked)):
            response.headers[ACCESS_CONTROL_ALLOW_METHODS] = method
        if any_header and (names := _asked_headers(asked, keep_authorization)):
            response.headers[ACCESS_CONTROL_ALLOW_HEADERS] = names
        if (
            allow_private_network
            and asked.get(ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK) == _TRUE
        ):
            response.headers[ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK] = _TRUE
        if logger.isEnabledFor(logging.INFO):
            check(asked, origin)
        return response

    return answer


def _asked_method(asked: CIMultiDictProxy[str]) -> str:
    # Sent back as asked, since Fetch compares methods case-sensitively; only
    # a valid method name may go back into a header.
    method = asked.get(ACCESS_CONTROL_REQUEST_METHOD, "")
    return method if is_token(method) else ""


def _asked_headers(asked: CIMultiDictProxy[str], keep_authorization: bool) -> str:
    names: dict[str, str] = {}
    for name in _names([asked.get(ACCESS_CONTROL_REQUEST_HEADERS, "")]):
        folded = name.lower()
        if is_token(name) and (keep_authorization or folded != _NEVER_WILDCARD_HEADER):
            names.setdefault(folded, name)
    return ", ".join(names.values())


def _preflight_checker(
    methods: list[str], headers: list[str]
) -> Callable[[CIMultiDictProxy[str], str], None]:
    """Return ``check(request_headers, origin)`` logging what a preflight lacks."""
    # Without credentials, the browser honours "*"; with them, the middleware
    # answers with what was asked. Either way it covers all but Authorization.
    any_method = _WILDCARD in methods
    any_header = _WILDCARD in headers
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
            for name in (part.lower() for part in _names([requested]))
            if name not in header_names
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


def _answer(response: web.StreamResponse, allowed: _Grant, expose: _Expose) -> None:
    """Give *response* the CORS headers of *allowed*, and mark it answered.

    The CORS headers that an inner middleware gave the response (or that an
    error middleware between copied from an exception) go: the outermost
    middleware decides.
    """
    response[_ANSWERED] = True
    headers = response.headers
    if ACCESS_CONTROL_ALLOW_ORIGIN in headers:
        _drop_cors_headers(headers)
    for name, value in allowed:
        headers[name] = value
    # Adds Vary in one call when the handler set none, the common case.
    if headers.setdefault(hdrs.VARY, hdrs.ORIGIN) != hdrs.ORIGIN:
        _vary_on_origin(headers)
    if expose is not None and allowed:
        # Never empty: Vary is one of the names.
        headers[ACCESS_CONTROL_EXPOSE_HEADERS] = expose(headers)


def _drop_cors_headers(headers: CIMultiDict[str]) -> None:
    names = {
        name for name in headers if name.lower().startswith(_ACCESS_CONTROL_PREFIX)
    }
    for name in names:
        headers.popall(name)


def _vary_on_origin(headers: CIMultiDict[str]) -> None:
    """Add ``Origin`` to the handler's ``Vary``, keeping every token it holds."""
    values = [value.strip() for value in headers.getall(hdrs.VARY)]
    tokens = {token.strip().lower() for value in values for token in value.split(",")}
    if "origin" in tokens or "*" in tokens:
        return
    values.append(hdrs.ORIGIN)
    headers[hdrs.VARY] = ", ".join(value for value in values if value)
