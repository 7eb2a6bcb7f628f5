"""Shield middleware: let chosen handlers finish even when their request is cancelled.

aiohttp cancels a handler when the server shuts down, when an outer
:func:`~aiohttp_middlewares.timeout.timeout_middleware` gives up, and, with
``handler_cancellation=True``, when the client disconnects. A handler that
writes to a database should rather finish what it started.
:func:`shield_middleware` runs such handlers in their own task, protected by
:func:`asyncio.shield`; every other request is awaited directly, as if the
middleware were not there.

Nothing a shielded handler does is lost silently: each middleware keeps the
tasks still running (:func:`wait_shielded` waits for them at shutdown), and a
handler that fails after its request was cancelled has its exception logged
with its traceback on the ``aiohttp_middlewares.shield`` logger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterator
from functools import partial
from types import CoroutineType, FunctionType
from typing import Any, TypeAlias
from weakref import WeakKeyDictionary

from aiohttp import web

from .annotations import Handler, Middleware, Urls
from .utils import compile_urls, to_str_tuple

__all__ = ("shield_middleware", "wait_shielded")

logger = logging.getLogger(__name__)

_Tasks: TypeAlias = set["asyncio.Future[web.StreamResponse]"]

# The running tasks of each shield middleware, for wait_shielded() to find
# through app.middlewares without anything stored in the application.
_tracked: WeakKeyDictionary[Callable[..., Any], _Tasks] = WeakKeyDictionary()


def shield_middleware(
    *,
    methods: Collection[str] | None = None,
    urls: Urls | None = None,
    ignore: Urls | None = None,
) -> Middleware:
    """Ensure that handler execution would not break on cancellation.

    Shield non-idempotent methods, and finish them on shutdown::

        app = web.Application(
            middlewares=[shield_middleware(methods=NON_IDEMPOTENT_METHODS)]
        )
        app.on_shutdown.append(wait_shielded)
        web.run_app(app, handler_cancellation=True)

    Or shield by URL, the first matching key deciding::

        shield_middleware(
            urls={
                re.compile(r"^/downloads/"): "GET",
                re.compile(r".*"): NON_IDEMPOTENT_METHODS,
            }
        )

    A shielded handler runs in a task of its own, with a copy of the request's
    context variables (as :func:`asyncio.create_task` makes), and keeps running
    when the request is cancelled; the cancelled request still sees
    :class:`asyncio.CancelledError`. If the handler then fails, its exception
    is logged at ``ERROR`` on ``aiohttp_middlewares.shield`` with the request's
    method and path; if it is cancelled in turn, a ``WARNING`` says so.
    Add :func:`wait_shielded` to ``app.on_shutdown`` so that the server waits
    for such handlers before it stops. Note that aiohttp cancels a handler when
    its client disconnects only when the server runs with
    ``handler_cancellation=True``.

    :param methods: Shield requests with these methods (case-insensitive), for
        example :data:`~aiohttp_middlewares.constants.NON_IDEMPOTENT_METHODS`.
        Do not mix with *urls*.
    :param urls: Shield requests to these URLs: a collection of URLs (exact
        path strings, :class:`yarl.URL` or compiled regexes matched with
        ``re.match``), or a dict of URL to a method or a collection of methods,
        where the first key that matches the path decides, as in
        :func:`~aiohttp_middlewares.utils.match_request`. Do not mix with
        *methods*.
    :param ignore: With *methods* only: requests to these URLs (same forms as
        *urls*) are not shielded.
    :return: The middleware.
    :raises ValueError: When neither *methods* nor *urls* is given, when both
        are, or when *ignore* comes with *urls*.
    :raises TypeError: When *methods* is not a collection of strings, or when
        *urls* or *ignore* is malformed.
    """
    shielded = _shielded(methods, urls, ignore)
    tasks: _Tasks = set()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not shielded(request.method, request.path):
            return await handler(request)
        # What asyncio.shield() does, with one future and one callback less.
        loop = asyncio.get_running_loop()
        awaitable = handler(request)
        task = (
            loop.create_task(awaitable)
            if type(awaitable) is CoroutineType  # nearly always: skip the checks
            else asyncio.ensure_future(awaitable, loop=loop)
        )
        tasks.add(task)
        waiter = loop.create_future()
        task.add_done_callback(partial(_finished, tasks, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            # From now on nobody awaits the handler: its outcome is ours to tell.
            task.add_done_callback(partial(_report, request))
            raise
        return task.result()

    _tracked[middleware] = tasks
    return middleware


async def wait_shielded(app: web.Application) -> None:
    """Wait until every shielded handler still running for *app* has finished.

    Made to be a shutdown signal handler; it needs no other set-up::

        app.on_shutdown.append(wait_shielded)

    aiohttp waits for the requests in progress when it shuts down, but not for
    a shielded handler whose request was already cancelled (its client gone,
    its time out): without this, the loop would stop under it. The shield
    middlewares of *app* and of its sub-applications (``add_subapp``,
    ``add_domain``) are found through ``app.middlewares``, so the middleware may
    be created before or after the application starts. A middleware shared
    between applications is waited for as a whole. The wait has no limit of its
    own: wrap the call in :func:`asyncio.timeout` to bound it.

    :param app: The application being shut down.
    """
    groups = [
        tasks
        for item in _middlewares(app)
        if isinstance(item, FunctionType) and (tasks := _tracked.get(item)) is not None
    ]
    # Handlers may still start while we wait: wait until none is left.
    while running := set().union(*groups):
        await asyncio.wait(running)


def _shielded(
    methods: Collection[str] | None, urls: Urls | None, ignore: Urls | None
) -> Callable[[str, str], bool]:
    """Return ``shielded(method, path)``: whether to shield a request."""
    if methods is not None and urls is not None:
        raise ValueError("shield_middleware takes methods or urls, not both")
    if urls is not None:
        if ignore is not None:
            raise ValueError(
                "shield_middleware takes ignore with methods only, not with urls: "
                "leave the ignored URLs out of urls"
            )
        return compile_urls(urls, argument="urls").match
    if methods is None:
        raise ValueError("shield_middleware needs methods or urls, got neither")
    names = frozenset(name.upper() for name in to_str_tuple(methods, "methods"))
    ignored = None if ignore is None else compile_urls(ignore, argument="ignore").match

    def shielded(method: str, path: str) -> bool:
        return method.upper() in names and not (ignored and ignored(method, path))

    return shielded


def _middlewares(app: web.Application) -> Iterator[object]:
    yield from app.middlewares
    for resource in app.router.resources():
        # Both add_subapp() and add_domain() make one of these.
        if isinstance(resource, web.PrefixedSubAppResource):
            yield from _middlewares(resource.get_info()["app"])


def _finished(
    tasks: _Tasks, waiter: asyncio.Future[None], task: asyncio.Future[Any]
) -> None:
    tasks.discard(task)
    if not waiter.done():  # a cancelled request no longer waits
        waiter.set_result(None)


def _report(request: web.BaseRequest, task: asyncio.Future[Any]) -> None:
    if task.cancelled():
        logger.warning(
            "Shielded handler of %s %s was cancelled before it finished",
            request.method,
            request.path,
        )
        return
    # Retrieving the exception also keeps asyncio from reporting it unretrieved.
    exc = task.exception()
    if exc is not None:
        logger.error(
            "Shielded handler of %s %s failed after its request was cancelled",
            request.method,
            request.path,
            exc_info=exc,
        )
