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
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import partial
from types import CoroutineType, FunctionType
from typing import Any, TypeAlias
from weakref import WeakKeyDictionary

from aiohttp import web

from .annotations import Handler, Middleware, Urls
from .cancellation import hand_over
from .utils import (
    check_seconds,
    compile_urls,
    logged_path,
    method_names,
    routed_path,
    to_str_tuple,
)

__all__ = ("shield_middleware", "wait_shielded")

logger = logging.getLogger(__name__)

# The running shielded handlers of a middleware, each with its request, whose
# method and path wait_shielded() names.
_Tasks: TypeAlias = dict["asyncio.Future[web.StreamResponse]", web.BaseRequest]

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
        example :data:`~aiohttp_middlewares.constants.NON_IDEMPOTENT_METHODS`;
        ``GET`` brings ``HEAD``, which aiohttp answers with the ``GET``
        handler. Do not mix with *urls*.
    :param urls: Shield requests to these URLs: a collection of URLs (exact
        path strings, :class:`yarl.URL` or compiled regexes matched with
        ``re.match``), or a dict of URL to a method or a collection of methods,
        where the first key that matches the path decides, as in
        :func:`~aiohttp_middlewares.utils.match_request`, on the path the
        router resolves (:func:`~aiohttp_middlewares.utils.routed_path`). Do
        not mix with *methods*.
    :param ignore: With *methods* only: requests to these URLs (same forms as
        *urls*) are not shielded.
    :return: The middleware.
    :raises ValueError: When neither *methods* nor *urls* is given, when both
        are, or when *ignore* comes with *urls*.
    :raises TypeError: When *methods* is not a collection of strings, or when
        *urls* or *ignore* is malformed.
    """
    shielded = _shielded(methods, urls, ignore)
    tasks: _Tasks = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not shielded(request.method, routed_path(request)):
            return await handler(request)
        # What asyncio.shield() does, with one future and one callback less
        # (a quarter of a shielded request's instructions).
        loop = asyncio.get_running_loop()
        work = handler(request)
        # ensure_future() costs 4,800 instructions more per shielded request
        # than create_task() (callgrind, in-process, 2026-12-01): only a
        # handler returning another awaitable than a coroutine needs it.
        task = (
            loop.create_task(work)
            if type(work) is CoroutineType
            else asyncio.ensure_future(work, loop=loop)
        )
        tasks[task] = request
        waiter = loop.create_future()
        task.add_done_callback(partial(_finished, tasks, waiter))
        try:
            await waiter
        except asyncio.CancelledError as cancellation:
            # From now on nobody awaits the handler: its outcome is ours to
            # tell, and where it waits is where its request was waiting.
            hand_over(cancellation, work)
            task.add_done_callback(partial(_report, request))
            raise
        return task.result()

    _tracked[middleware] = tasks
    return middleware


async def wait_shielded(app: web.Application, *, timeout: float | None = None) -> None:
    """Wait until every shielded handler still running for *app* has finished.

    Made to be a shutdown signal handler; it needs no other set-up::

        app.on_shutdown.append(wait_shielded)

    or, to wait 20 seconds at most::

        app.on_shutdown.append(functools.partial(wait_shielded, timeout=20))

    aiohttp waits for the requests in progress when it shuts down, but not for
    a shielded handler whose request was already cancelled (its client gone,
    its time out): without this, the loop would stop under it. The shield
    middlewares of *app* and of its sub-applications (``add_subapp``,
    ``add_domain``) are found through ``app.middlewares``, so the middleware may
    be created before or after the application starts. A middleware shared
    between applications is waited for as a whole.

    So that a stuck handler never hangs a shutdown in silence, it logs at
    ``INFO`` how many handlers it waits for, with their methods and paths.
    With *timeout*, when the time is up it logs at ``WARNING`` the handlers
    it abandons, still running, and returns: the event loop stopping then
    cancels them, which the middleware logs too.

    :param app: The application being shut down.
    :param timeout: The longest wait, in seconds; ``None`` (the default)
        waits as long as handlers run.
    :raises TypeError: When *timeout* is neither ``None`` nor a number.
    :raises ValueError: When *timeout* is not positive and finite.
    """
    limit = None if timeout is None else check_seconds(timeout, "timeout")
    groups = [
        tasks
        for item in _middlewares(app)
        if isinstance(item, FunctionType) and (tasks := _tracked.get(item)) is not None
    ]
    running = _running(groups)
    if running:
        logger.info(
            "Shutdown waits for %d shielded handler(s): %s",
            len(running),
            _listed(running.values()),
        )
    loop = asyncio.get_running_loop()
    deadline = None if limit is None else loop.time() + limit
    # Handlers may still start while we wait: wait until none is left.
    while running:
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            logger.warning(
                "Shutdown stopped waiting after %s seconds, abandoning %d shielded "
                "handler(s) still running: %s",
                timeout,
                len(running),
                _listed(running.values()),
            )
            return
        await asyncio.wait(running, timeout=left)
        running = _running(groups)


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
    names = method_names(to_str_tuple(methods, "methods"))
    ignored = None if ignore is None else compile_urls(ignore, argument="ignore").match

    def shielded(method: str, path: str) -> bool:
        return method.upper() in names and not (ignored and ignored(method, path))

    return shielded


def _running(groups: list[_Tasks]) -> _Tasks:
    return {task: request for tasks in groups for task, request in tasks.items()}


def _listed(requests: Iterable[web.BaseRequest], most: int = 10) -> str:
    # Thousands of handlers would make a line nobody reads: name the first.
    names = [f"{request.method} {logged_path(request)}" for request in requests]
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def _middlewares(app: web.Application) -> Iterator[object]:
    yield from app.middlewares
    for resource in app.router.resources():
        # Both add_subapp() and add_domain() make one of these.
        if isinstance(resource, web.PrefixedSubAppResource):
            yield from _middlewares(resource.get_info()["app"])


def _finished(
    tasks: _Tasks, waiter: asyncio.Future[None], task: asyncio.Future[Any]
) -> None:
    tasks.pop(task, None)
    if not waiter.done():  # a cancelled request no longer waits
        waiter.set_result(None)


def _report(request: web.BaseRequest, task: asyncio.Future[Any]) -> None:
    if task.cancelled():
        logger.warning(
            "Shielded handler of %s %s was cancelled before it finished",
            request.method,
            logged_path(request),
        )
        return
    # Retrieving the exception also keeps asyncio from reporting it unretrieved.
    exc = task.exception()
    if exc is not None:
        logger.error(
            "Shielded handler of %s %s failed after its request was cancelled",
            request.method,
            logged_path(request),
            exc_info=exc,
        )
