"""Request matching shared by every middleware of the package.

Two layers:

* :func:`match_path` and :func:`match_request` state the matching rules plainly.
  They are the reference: easy to read, and used by code that matches rarely.
* :func:`compile_urls` turns an ``urls``/``ignore`` argument into a matcher once,
  when a middleware factory is called. Exact paths land in a dict or frozenset,
  regexes keep their order, method names are upper-cased into frozensets, so
  matching a request costs a hash look-up plus one ``re.match`` per regex that
  comes before the exact hit. With regexes, a bounded memo keeps the answer
  for each recent short path, so a path seen before costs one dict look-up.
  Its answers are the same as :func:`match_request` (a property test checks
  it), and it rejects bad configuration with an error that names the
  argument.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeAlias, TypeVar

from yarl import URL

from .annotations import Url, Urls

__all__ = (
    "Matcher",
    "compile_urls",
    "match_path",
    "match_request",
    "to_str_tuple",
    "to_tuple",
)

#: A compiled matcher: ``matcher(method, path)`` says whether the request matches.
Matcher: TypeAlias = Callable[[str, str], bool]

_PatternMatch: TypeAlias = Callable[[str], "re.Match[str] | None"]
_T = TypeVar("_T")

_NO_METHODS: frozenset[str] = frozenset()
# How many answers each matcher remembers, and for paths up to what length.
_MEMO_SIZE = 1024
_MEMO_PATH_LENGTH = 256


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
        *method* is among that key's methods. Methods compare case-insensitively.
    :param method: The request method, as in ``request.method``.
    :param path: The request path, as in ``request.path``.
    :return: ``True`` when the request matches.
    """
    if isinstance(urls, Mapping):
        for item, methods in urls.items():
            if match_path(item, path):
                names = [methods] if isinstance(methods, str) else methods
                return method.upper() in {name.upper() for name in names}
        return False
    return any(match_path(item, path) for item in urls)


def compile_urls(urls: Urls, *, argument: str = "urls") -> Matcher:
    """Compile an ``urls``/``ignore`` argument into a fast matcher.

    :param urls: A collection of URLs, or a dict of URL to method(s), with the
        same meaning as in :func:`match_request`.
    :param argument: The name of the factory argument that *urls* came from;
        error messages name it.
    :return: A function ``matcher(method, path) -> bool`` that answers exactly
        as ``match_request(urls, method, path)`` would.
    :raises TypeError: When *urls* is a bare string (which would otherwise be
        read character by character) or not a collection, when a URL is not a
        ``str``, a compiled ``str`` regex or a :class:`yarl.URL`, or when a dict
        value is neither a method string nor a collection of method strings.
    """
    if isinstance(urls, Mapping):
        return _compile_dict(urls, argument)
    exact: set[str] = set()
    patterns: list[_PatternMatch] = []
    for item in to_tuple(urls, argument):
        key = _url_key(item, argument)
        if isinstance(key, str):
            exact.add(key)
        else:
            patterns.append(key)
    return _any_matcher(frozenset(exact), tuple(patterns))


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


def _compile_dict(urls: Mapping[Url, str | Collection[str]], argument: str) -> Matcher:
    # Each entry remembers its position so that the first matching key wins even
    # when an exact key (found by hash) comes after a regex that also matches.
    exact: dict[str, tuple[int, frozenset[str]]] = {}
    patterns: list[tuple[int, _PatternMatch, frozenset[str]]] = []
    for index, (item, value) in enumerate(urls.items()):
        key = _url_key(item, argument)
        methods = _method_set(value, argument, item)
        if isinstance(key, str):
            exact.setdefault(key, (index, methods))
        else:
            patterns.append((index, key, methods))
    return _first_key_matcher(exact, tuple(patterns))


def _any_matcher(exact: frozenset[str], patterns: tuple[_PatternMatch, ...]) -> Matcher:
    if not patterns:

        def match_exact(method: str, path: str) -> bool:
            return path in exact

        return match_exact

    def decide(path: str) -> bool:
        if path in exact:
            return True
        # A plain loop: any() over a generator costs a frame per call.
        for pattern_match in patterns:  # noqa: SIM110
            if pattern_match(path) is not None:
                return True
        return False

    memo: dict[str, bool] = {}

    def match(method: str, path: str) -> bool:
        found = memo.get(path)
        if found is None:
            found = _remember(memo, path, decide(path))
        return found

    return match


def _first_key_matcher(
    exact: dict[str, tuple[int, frozenset[str]]],
    patterns: tuple[tuple[int, _PatternMatch, frozenset[str]], ...],
) -> Matcher:
    def decide(path: str) -> frozenset[str]:
        # The methods of the first key that matches the path (none: no key does).
        hit = exact.get(path)
        limit = sys.maxsize if hit is None else hit[0]
        for index, pattern_match, methods in patterns:
            if index > limit:
                break
            if pattern_match(path) is not None:
                return methods
        return _NO_METHODS if hit is None else hit[1]

    # Without regexes the exact dict is the memo: every path is known up front.
    memo = {} if patterns else {path: methods for path, (_, methods) in exact.items()}
    remember = bool(patterns)

    def match(method: str, path: str) -> bool:
        methods = memo.get(path)
        if methods is None:
            methods = _remember(memo, path, decide(path)) if remember else _NO_METHODS
        if not methods:  # most paths match no key: no method to look at
            return False
        # Clients send upper-case methods almost always: that case costs no new
        # string.
        return method in methods or (not method.isupper() and method.upper() in methods)

    return match


def _remember(memo: dict[str, _T], path: str, answer: _T) -> _T:
    # A regex costs a microsecond or more per call, while a service sees the
    # same few paths again and again: remember the answers for short paths.
    # Bounded, so that a flood of distinct paths only ever empties the memo.
    if len(path) <= _MEMO_PATH_LENGTH:
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[path] = answer
    return answer


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
        return frozenset({value.upper()})
    if isinstance(value, Collection) and all(isinstance(name, str) for name in value):
        return frozenset(name.upper() for name in value)
    raise TypeError(
        f"{argument}[{key!r}] must be a method name or a collection of method "
        f"names, not {type(value).__name__}: {value!r}"
    )
