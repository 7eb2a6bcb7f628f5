"""Type aliases used in the signatures of the middleware factories.

Import them to annotate your own error handlers and middlewares::

    from aiohttp_middlewares.annotations import Handler
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Protocol, TypeAlias

from aiohttp import web
from yarl import URL

__all__ = (
    "DictStrAny",
    "DictStrStr",
    "ExceptionType",
    "Handler",
    "IntCollection",
    "Middleware",
    "StrCollection",
    "Url",
    "UrlCollection",
    "UrlDict",
    "UrlLimits",
    "Urls",
)

DictStrAny: TypeAlias = dict[str, Any]
DictStrStr: TypeAlias = dict[str, str]
IntCollection: TypeAlias = Collection[int]
StrCollection: TypeAlias = Collection[str]

#: An exception class, as accepted by ``ignore_exceptions``.
ExceptionType: TypeAlias = type[Exception]

#: A request handler (or an error handler): takes the request, returns a response.
Handler: TypeAlias = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Middleware(Protocol):
    """What every factory of this package returns: an ``@web.middleware`` coroutine.

    The same protocol as aiohttp's own ``Middleware`` type, so the factories'
    results type check in ``web.Application(middlewares=[...])``, and so does
    any ``async def middleware(request, handler)`` of your own.
    """

    def __call__(
        self, request: web.Request, handler: Handler
    ) -> Awaitable[web.StreamResponse]: ...


#: One URL to match a request path against: an exact path string, a
#: :class:`yarl.URL` (compared by its string) or a compiled regex (``re.match``).
Url: TypeAlias = str | re.Pattern[str] | URL

#: Several URLs: any of them may match.
UrlCollection: TypeAlias = Collection[Url]

#: URLs mapped to the method (a string) or methods that they apply to.
UrlDict: TypeAlias = Mapping[Url, str | StrCollection]

#: What the ``urls`` and ``ignore`` arguments accept.
Urls: TypeAlias = UrlCollection | UrlDict

#: URLs mapped to a time limit in seconds, as ``timeout_middleware(limits=...)``
#: takes them (an ``int`` is a ``float`` here too).
UrlLimits: TypeAlias = Mapping[Url, float]
