"""What the middlewares share: request matching, argument checks, state keys.

Request matching has a reference and an engine:

* :func:`match_path` and :func:`match_request` state the matching rules plainly,
  for code that matches rarely.
* :func:`compile_urls` turns an ``urls``/``ignore`` argument into a
  :class:`Matcher` once, when a middleware factory is called, rejecting bad
  configuration with an error that names the argument. It answers as
  :func:`match_request` does (a property test checks it), at the cost of a
  dict look-up per request. :func:`compile_url_map` does the same for a dict
  of URL to any value (``timeout_middleware(limits=...)``), as a
  :class:`UrlMap`, the engine that :class:`Matcher` is made of.

Middlewares match the path as the router resolves it (:func:`routed_path`),
so that a URL decision always concerns the handler that runs, and wherever a
list of methods names ``GET`` it names ``HEAD`` too (:func:`method_names`):
aiohttp answers a ``HEAD`` with the ``GET`` handler.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final, Generic, TypeAlias, TypeVar

from aiohttp import web
from yarl import URL

from .annotations import Url, Urls

__all__ = (
    "CACHE_PATH_LENGTH",
    "CACHE_SIZE",
    "TCHARS",
    "Matcher",
    "UrlMap",
    "check_bool",
    "check_field_values",
    "check_seconds",
    "check_token",
    "compile_url_map",
    "compile_urls",
    "is_token",
    "logged_path",
    "match_path",
    "match_request",
    "method_names",
    "request_key",
    "response_key",
    "routed_path",
    "to_str_tuple",
    "to_tuple",
)

_T = TypeVar("_T")
_V = TypeVar("_V")
_PatternMatch: TypeAlias = Callable[[str], "re.Match[str] | None"]
# A key's methods: None stands for every method (a key of a collection).
_Methods: TypeAlias = "frozenset[str] | None"

#: How many paths a :class:`Matcher` with regexes remembers the answer for.
CACHE_SIZE: Final = 1024
#: Longer paths are matched afresh every time, so that a flood of long
#: distinct paths cannot make the cache hold megabytes.
CACHE_PATH_LENGTH: Final = 256

_NO_KEY: Final[frozenset[str]] = frozenset()
#: An :rfc:`9110` token (section 5.6.2: one or more tchar), as a regex: what a
#: header name is, and a parameter name of ``Forwarded``.
TCHARS: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN: Final = re.compile(TCHARS)
# What an HTTP field value may not hold (RFC 9110, section 5.5): CR, LF, NUL
# and the other control characters; HTAB is allowed.
_NOT_FIELD_VALUE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def match_path(item: Url, path: str) -> bool:
    """Say whether one configured URL matches a request path.

    :param item: A ``str`` matches when it equals *path*; a :class:`yarl.URL`
        when its string equals *path*; a compiled regex when
        ``item.match(path)`` succeeds (anchored at the start of the path, as
        :func:`re.match` is, not at its end). Anything else never matches.
    :param path: The request path, as in ``request.path``.
    :return: ``True`` when *item* matches *path*.
    """
    if isinstance(item, str):
        return item == path
    if isinstance(item, URL):
        return str(item) == path
    if isinstance(item, re.Pattern) and isinstance(item.pattern, str):
        return item.match(path) is not None
    return False


def match_request(urls: Urls, method: str, path: str) -> bool:
    """Say whether a request matches an ``urls``/``ignore`` argument.

    :param urls: Either a collection of URLs (see :func:`match_path`), which
        matches when any of them matches *path*; or a dict of URL to a method or
        a collection of methods. With a dict, the **first** key in insertion
        order whose URL matches *path* decides alone: the request matches when
        *method* is among that key's methods. Methods compare case-insensitively,
        and ``GET`` brings ``HEAD`` along (:func:`method_names`).
    :param method: The request method, as in ``request.method``.
    :param path: The request path, as in ``request.path``.
    :return: ``True`` when the request matches.
    """
    if isinstance(urls, Mapping):
        for item, methods in urls.items():
            if match_path(item, path):
                names = [methods] if isinstance(methods, str) else methods
                return method.upper() in method_names(names)
        return False
    return any(match_path(item, path) for item in urls)


def compile_urls(urls: Urls, *, argument: str = "urls") -> Matcher:
    """Compile an ``urls``/``ignore`` argument into a fast matcher.

    :param urls: A collection of URLs, or a dict of URL to method(s), with the
        same meaning as in :func:`match_request`.
    :param argument: The name of the factory argument that *urls* came from;
        error messages name it.
    :return: A :class:`Matcher`: ``matcher(method, path)`` answers exactly as
        ``match_request(urls, method, path)`` would.
    :raises TypeError: When *urls* is a bare string (which would otherwise be
        read character by character) or not a collection, when a URL is not a
        ``str``, a compiled ``str`` regex or a :class:`yarl.URL`, or when a dict
        value is neither a method string nor a collection of method strings.
    """
    rules: list[tuple[str | _PatternMatch, _Methods]]
    if isinstance(urls, Mapping):
        rules = [
            (_url_key(item, argument), _method_set(value, argument, item))
            for item, value in urls.items()
        ]
    else:
        rules = [(_url_key(item, argument), None) for item in to_tuple(urls, argument)]
    return Matcher(rules)


def compile_url_map(
    urls: object,
    value: Callable[[object, str], _V],
    default: _V,
    *,
    argument: str,
) -> UrlMap[_V]:
    """Compile a dict of URL to value into a :class:`UrlMap`.

    :param urls: The dict, in the order its keys are to be tried; each key is
        a URL as in :func:`match_path`.
    :param value: Checks and converts a value: ``value(item, name)``, where
        *name* (``"limits['/export']"``) is for its error messages.
    :param default: What the map gives for a path that no key matches.
    :param argument: The name of the factory argument that *urls* came from.
    :raises TypeError: When *urls* is not a dict, or a key is not a URL (as in
        :func:`compile_urls`); *value* raises what it refuses.
    """
    if not isinstance(urls, Mapping):
        raise TypeError(
            f"{argument} must be a dict keyed by URL, not {type(urls).__name__}: "
            f"{urls!r}"
        )
    return UrlMap(
        [
            (_url_key(item, argument), value(item_value, f"{argument}[{item!r}]"))
            for item, item_value in urls.items()
        ],
        default,
    )


class UrlMap(Generic[_V]):
    """URLs mapped to values, compiled: the value of the first key that matches.

    ``url_map.get(path)`` gives the value of the first key, in order, whose
    URL matches *path*, and the default when none does. Exact paths are found
    with one dict look-up; regexes are tried in order, up to the position of
    an exact hit, so that the first matching key wins. With regexes, the
    answers for the last :data:`CACHE_SIZE` paths of up to
    :data:`CACHE_PATH_LENGTH` characters are kept in a
    :func:`functools.lru_cache` (see :meth:`cache_info`): a service sees the
    same few paths again and again, and a regex costs ten times a look-up.
    """

    __slots__ = ("_cached", "_default", "_exact", "_patterns")

    def __init__(
        self, rules: Iterable[tuple[str | _PatternMatch, _V]], default: _V
    ) -> None:
        self._default = default
        # Each entry keeps its position, so that an exact key found by hash
        # still loses to an earlier regex that matches too.
        self._exact: dict[str, tuple[int, _V]] = {}
        patterns: list[tuple[int, _PatternMatch, _V]] = []
        for index, (key, value) in enumerate(rules):
            if isinstance(key, str):
                self._exact.setdefault(key, (index, value))
            else:
                patterns.append((index, key, value))
        self._patterns = tuple(patterns)
        self._cached = functools.lru_cache(CACHE_SIZE)(self.first)

    def get(self, path: str) -> _V:
        """The value of the first key that matches *path*, else the default."""
        if self._patterns and len(path) <= CACHE_PATH_LENGTH:
            return self._cached(path)
        return self.first(path)

    def first(self, path: str) -> _V:
        """What :meth:`get` gives, found afresh: no cache is read or filled."""
        hit = self._exact.get(path)
        for index, pattern_match, value in self._patterns:
            if hit is not None and index > hit[0]:
                break
            if pattern_match(path) is not None:
                return value
        return self._default if hit is None else hit[1]

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and size of the path cache (unused without regexes)."""
        return self._cached.cache_info()


class Matcher(UrlMap[_Methods]):
    """A compiled ``urls``/``ignore`` argument, made by :func:`compile_urls`.

    ``matcher.match(method, path)``, or ``matcher(method, path)``, says whether
    a request matches. A collection of URLs is read as a dict in which every
    URL stands for every method. It is a :class:`UrlMap` of URL to methods,
    and finds the key the same way.
    """

    __slots__ = ()

    def __init__(self, rules: Iterable[tuple[str | _PatternMatch, _Methods]]) -> None:
        super().__init__(rules, _NO_KEY)

    def match(self, method: str, path: str) -> bool:
        """Say whether a request matches, as :func:`match_request` would."""
        methods = self.get(path)
        return methods is None or method.upper() in methods

    # Middlewares call match, a bound method, which costs less per request
    # than calling the instance.
    __call__ = match

    def methods_for(self, path: str) -> frozenset[str] | None:
        """The methods of the first key that matches *path*.

        :return: ``None`` when that key stands for every method; an empty set
            when no key matches.
        """
        return self.first(path)


def routed_path(request: web.BaseRequest) -> str:
    """The request path as aiohttp's router resolves it: match URLs against it.

    ``request.path`` decodes every percent-escape, ``%2F`` included, while the
    router keeps an encoded ``/`` (and ``%``) inside its segment, matching
    ``request.rel_url.path_safe``: ``/api%2Fpublic/x`` runs the handler of
    ``/{name}/x``, not that of ``/api/public/x``. A URL decision made on
    ``request.path`` could concern another handler than the one that runs
    (:rfc:`3986#section-2.2`: an encoded reserved character is data, not a
    delimiter). Paths without such escapes read the same either way.
    """
    return request.rel_url.path_safe


def logged_path(request: web.BaseRequest) -> str:
    """The request path for a log line: still percent-encoded, as sent.

    ``request.path`` decodes ``%0A`` into a line break, with which a client
    could write a line of its own choosing into the log.
    """
    return request.rel_url.raw_path


def method_names(methods: Iterable[str]) -> frozenset[str]:
    """Upper-case *methods*, with ``HEAD`` wherever ``GET`` is named.

    aiohttp answers a ``HEAD`` request with the ``GET`` handler (RFC 9110,
    section 9.3.2: the same answer without its body), so a rule written for
    ``GET`` holds for ``HEAD`` too.
    """
    names = {name.upper() for name in methods}
    if "GET" in names:
        names.add("HEAD")
    return frozenset(names)


def check_bool(value: object, argument: str) -> bool:
    """Return *value* if it is a ``bool``.

    :raises TypeError: Naming *argument*, for anything else: ``"false"`` read
        from an environment variable is truthy and would silently mean
        ``True``.
    """
    if not isinstance(value, bool):
        raise TypeError(
            f"{argument} must be True or False, not {type(value).__name__}: {value!r}"
        )
    return value


def check_seconds(value: object, argument: str) -> float:
    """Return a duration in seconds as a positive finite ``float``.

    :raises TypeError: Naming *argument*, when *value* is not an ``int`` or a
        ``float`` (a ``bool`` is refused too).
    :raises ValueError: Naming *argument*, when it is not positive and finite.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{argument} must be an int or a float, not {type(value).__name__}: "
            f"{value!r}"
        )
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float is no usable limit
        seconds = math.inf
    if not 0 < seconds < math.inf:  # NaN fails both comparisons
        raise ValueError(f"{argument} must be positive and finite, not {value!r}")
    return seconds


def check_field_values(values: Iterable[str], argument: str) -> None:
    """Refuse header values that aiohttp could not send.

    :raises ValueError: Naming *argument*, when a value holds a CR, an LF, a
        NUL or another control character (HTAB aside): aiohttp would refuse to
        write such a header, and every answer carrying it would fail.
    """
    for value in values:
        if _NOT_FIELD_VALUE.search(value):
            raise ValueError(
                f"{argument} holds {value!r}: a header value cannot contain "
                "CR, LF or other control characters"
            )


# Type checked against the newest aiohttp and the oldest that pyproject admits,
# which has neither key class: there they are Any, and the ignores that the
# newest needs none of say so ("unused-ignore").
def request_key(name: str, kind: type[_T]) -> web.RequestKey[_T]:  # type: ignore[name-defined, unused-ignore]
    """A key to store a value on the request, for ``request[key]``.

    An :class:`aiohttp.web.RequestKey` where aiohttp has one (3.14+, which
    warns about string keys); the string ``"aiohttp_middlewares.<name>"`` on
    older aiohttp.
    """
    return _state_key("RequestKey", name, kind)  # type: ignore[no-any-return, unused-ignore]


def response_key(name: str, kind: type[_T]) -> web.ResponseKey[_T]:  # type: ignore[name-defined, unused-ignore]
    """A key to store a value on a response, for ``response[key]``.

    An :class:`aiohttp.web.ResponseKey` where aiohttp has one (3.14+), the
    string ``"aiohttp_middlewares.<name>"`` on older aiohttp.
    """
    return _state_key("ResponseKey", name, kind)  # type: ignore[no-any-return, unused-ignore]


def to_tuple(value: object, argument: str) -> tuple[object, ...]:
    """Return a collection argument as a tuple, refusing a bare string.

    :param value: The argument as the user gave it.
    :param argument: Its name, for the error message.
    :raises TypeError: When *value* is a ``str``/``bytes`` or not iterable.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(
            f"{argument} must be a collection (list, tuple, set ...), "
            f"not {type(value).__name__}: {value!r}"
        )
    return tuple(value)


def to_str_tuple(value: object, argument: str) -> tuple[str, ...]:
    """Return a collection of strings as a tuple, checking every item.

    :param value: The argument as the user gave it.
    :param argument: Its name, for the error message.
    :raises TypeError: When *value* is not a collection (see :func:`to_tuple`)
        or when one of its items is not a ``str``.
    """
    items = to_tuple(value, argument)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(
                f"{argument} must hold strings only, got {type(item).__name__}: "
                f"{item!r}"
            )
    return items  # type: ignore[return-value]  # every item checked above


def is_token(text: str) -> bool:
    """Whether *text* is an :rfc:`9110` token, as a header name must be."""
    return _TOKEN.fullmatch(text) is not None


def check_token(value: object, argument: str) -> str:
    """Return *value* if it is an :rfc:`9110` token, as a header name must be.

    :raises TypeError: Naming *argument*, when *value* is not a ``str``.
    :raises ValueError: Naming *argument*, when it is empty or holds a
        character that a token cannot: a space, a colon, CR, LF, any other
        control character, a non-ASCII character, one of ``"(),/;<=>?@[\\]{}``.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"{argument} must be a str, not {type(value).__name__}: {value!r}"
        )
    if not is_token(value):
        raise ValueError(
            f"{argument} must be a header name (an RFC 9110 token), not {value!r}"
        )
    return value


def _state_key(key_class: str, name: str, kind: type[object]) -> Any:
    full_name = f"aiohttp_middlewares.{name}"
    factory = getattr(web, key_class, None)
    return full_name if factory is None else factory(full_name, kind)


def _url_key(item: object, argument: str) -> str | _PatternMatch:
    if isinstance(item, str):
        return item
    if isinstance(item, URL):
        return str(item)
    if isinstance(item, re.Pattern):
        if isinstance(item.pattern, str):
            return item.match
        raise TypeError(f"{argument} holds a bytes regex {item!r}: use a str pattern")
    raise TypeError(
        f"{argument} holds {type(item).__name__} {item!r}: each URL must be a str, "
        "a compiled regex (re.compile) or a yarl.URL"
    )


def _method_set(value: object, argument: str, key: object) -> frozenset[str]:
    if isinstance(value, str):
        return method_names([value])
    if isinstance(value, Collection) and all(isinstance(name, str) for name in value):
        return method_names(value)
    raise TypeError(
        f"{argument}[{key!r}] must be a method name or a collection of method "
        f"names, not {type(value).__name__}: {value!r}"
    )
