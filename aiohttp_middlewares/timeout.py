"""Timeout middleware: bound the time of every handler call.

A reverse proxy gives up on a slow upstream after its read timeout and answers
with its own error page. :func:`timeout_middleware` ends the handler a little
earlier and raises :class:`~aiohttp_middlewares.cancellation.RequestTimeout`,
an :class:`asyncio.TimeoutError`, so that the application answers instead:
with a JSON 504 when :func:`~aiohttp_middlewares.error.error_middleware` sits
before it, with aiohttp's own 504 otherwise. Each timeout is one ERROR line on
the ``aiohttp_middlewares.timeout`` logger, saying where the handler was
waiting; its traceback is logged at DEBUG.

One clock per event loop and per limit serves every request of a middleware
that runs under that limit (``seconds``, or one of ``limits``): the requests of
a clock have the same limit, so their deadlines come in the order they
started, and its one timer only ever waits for the oldest one. Expiring many
requests at once stays linear in their number, whatever the limits.

On Python 3.11+ cancellations are counted with
:meth:`asyncio.Task.cancelling`, as :func:`asyncio.timeout` does, so a
cancellation from elsewhere (a client gone, a server shutting down) stays a
:class:`asyncio.CancelledError`. Python 3.10 counts no cancellations: there,
as with ``async-timeout``, one arriving in the very loop turn of the deadline
is taken for the timeout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from asyncio import current_task, get_running_loop
from collections import OrderedDict
from collections.abc import Callable
from itertools import count
from typing import Any, NamedTuple

from aiohttp import web

from .annotations import Handler, Middleware, UrlLimits, Urls
from .cancellation import RequestTimeout, waiting_stack
from .utils import (
    UrlMap,
    check_seconds,
    compile_url_map,
    compile_urls,
    logged_path,
    routed_path,
)

__all__ = ("timeout_middleware",)

logger = logging.getLogger(__name__)

# Where asyncio's own modules live: their frames are where every handler waits.
_ASYNCIO_FILES = os.path.dirname(asyncio.__file__) + os.sep


def timeout_middleware(
    seconds: int | float,
    *,
    ignore: Urls | None = None,
    limits: UrlLimits | None = None,
) -> Middleware:
    """Ensure that request handling does not exceed *seconds*.

    Put it after :func:`~aiohttp_middlewares.error.error_middleware`, which
    turns the timeout into a JSON 504, and give it a limit a little below the
    reverse proxy's read timeout (``29.5`` for nginx's ``proxy_read_timeout
    30s``), so that the client sees the application's answer rather than the
    proxy's error page::

        app = web.Application(
            middlewares=[error_middleware(), timeout_middleware(29.5)]
        )

    When the limit passes, the handler is cancelled, the middleware logs one
    ERROR line (``GET /report -> 504: Request handling exceeded 29.5 seconds;
    the handler was waiting at app.py:42 in report``: the innermost frame of
    the handler's coroutine outside asyncio itself, a shielded handler's too,
    so the line that awaited ``asyncio.sleep()`` or ``Event.wait()``; the
    stack and traceback at DEBUG) and raises
    :class:`~aiohttp_middlewares.cancellation.RequestTimeout`
    (an :class:`asyncio.TimeoutError`), whose message, ``Request handling
    exceeded 29.5 seconds``, names the limit only. A
    cancellation that does not come from this limit (the client went away
    while aiohttp runs with ``handler_cancellation=True``, the server shuts
    down) stays an :class:`asyncio.CancelledError`. A handler that catches the
    cancellation and returns a response anyway has that response sent. The
    limit counts from the event loop turn the request starts in: requests
    starting in one turn share the deadline read by the first of them.

    :param seconds: The limit of each handler call, a positive finite ``int``
        or ``float``.
    :param ignore: Requests that run without a limit, such as streaming or
        export endpoints: a collection of URLs (exact path strings,
        :class:`yarl.URL` or compiled regexes matched with ``re.match``), or a
        dict of URL to a method or a collection of methods (case-insensitive),
        where the first key that matches the path decides, as in
        :func:`~aiohttp_middlewares.utils.match_request` (``GET`` frees
        ``HEAD`` too). For example ``{"/export": ["POST"],
        re.compile(r"^/stream/"): "GET"}``. The path is the one the router
        resolves (:func:`~aiohttp_middlewares.utils.routed_path`).
    :param limits: Other limits for some URLs: a dict of URL (same forms as
        in *ignore*) to seconds, checked like *seconds*. The first key that
        matches the path gives the request its limit, and the timeout's
        message names that limit: ``{"/api/export": 300,
        re.compile(r"^/reports/"): 120}``. A request that *ignore* frees runs
        without a limit, whatever *limits* says.
    :return: The middleware.
    :raises TypeError: When *seconds* or a value of *limits* is not an ``int``
        or a ``float`` (a ``bool`` is refused too), or when *ignore* or
        *limits* is malformed.
    :raises ValueError: When *seconds* or a value of *limits* is not positive
        and finite.
    """
    default = _limit(seconds, "seconds")
    ignored = None if ignore is None else compile_urls(ignore, argument="ignore").match
    if limits is None:
        return _bounded((default,), None, ignored)
    # Requests of one limit share a clock: the distinct limits, the default
    # first, and which one applies to a path.
    table = [default]

    def index(value: object, argument: str) -> int:
        limit = _limit(value, argument)
        if limit not in table:
            table.append(limit)
        return table.index(limit)

    chosen = compile_url_map(limits, index, 0, argument="limits")
    return _bounded(tuple(table), chosen, ignored)


class _Limit(NamedTuple):
    seconds: float
    message: str


def _limit(value: object, argument: str) -> _Limit:
    # The message shows the number as written: 29.5, or 14 for an int.
    seconds = check_seconds(value, argument)
    return _Limit(seconds, f"Request handling exceeded {value} seconds")


def _bounded(
    limits: tuple[_Limit, ...],
    chosen: UrlMap[int] | None,
    ignored: Callable[[str, str], bool] | None,
) -> Middleware:
    # Apps are built before their loop runs and tests use several loops, so
    # each loop gets its clocks, one per limit, when its first request arrives.
    clocks: dict[asyncio.AbstractEventLoop, tuple[_Clock, ...]] = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = routed_path(request)
        if ignored is not None and ignored(request.method, path):
            return await handler(request)
        loop = get_running_loop()
        task = current_task(loop)
        if task is None:
            raise RuntimeError("timeout_middleware must run inside an asyncio task")
        index = 0 if chosen is None else chosen.get(path)
        clock = (clocks.get(loop) or _add_clocks(clocks, loop, limits))[index]
        cancelling = _cancelling(task)
        key = clock.start(task)
        try:
            response = await handler(request)
        except BaseException as exc:
            # Our deadline cancelled the task: undo that whatever the handler
            # made of it, as asyncio.timeout() does. It was the only
            # cancellation when the count drops back to where it started.
            if (
                clock.stop(key)
                and _uncancel(task) <= cancelling
                and isinstance(exc, asyncio.CancelledError)
            ):
                message = limits[index].message
                _log_timeout(request, message, exc)
                raise RequestTimeout(message) from exc
            raise
        if clock.stop(key):
            _uncancel(task)  # the handler swallowed our cancellation
        return response

    return middleware


def _log_timeout(
    request: web.Request, message: str, cancellation: asyncio.CancelledError
) -> None:
    # One line an operator reads; the traceback, mostly asyncio's, at DEBUG.
    # The place is taken here, in the request's task, once per timeout: never
    # in the timer callback that may expire thousands of requests at once,
    # and not at all when nobody logs it.
    if not logger.isEnabledFor(logging.ERROR):
        return
    stack = waiting_stack(cancellation)
    place = _waiting_place(stack)
    logger.error(
        "%s %s -> 504: %s; the handler was waiting at %s:%s in %s",
        request.method,
        logged_path(request),
        message,
        place.filename,
        place.lineno,
        place.name,
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s: where the handler was waiting, innermost frame last:\n%s",
            request.method,
            logged_path(request),
            "".join(stack.format()),
            exc_info=cancellation,
        )


def _waiting_place(stack: traceback.StackSummary) -> traceback.FrameSummary:
    """The innermost frame of *stack* that is not asyncio's own.

    Every handler waits inside ``asyncio.sleep()``, ``Event.wait()`` or
    ``wait_for()`` in the end: the line that awaited them tells which wait
    it was. A stack of asyncio's frames alone gives its innermost.
    """
    outside = (f for f in reversed(stack) if not f.filename.startswith(_ASYNCIO_FILES))
    return next(outside, stack[-1])


def _add_clocks(
    clocks: dict[asyncio.AbstractEventLoop, tuple[_Clock, ...]],
    loop: asyncio.AbstractEventLoop,
    limits: tuple[_Limit, ...],
) -> tuple[_Clock, ...]:
    # A middleware outlives event loops (one per test, say): forget the
    # closed ones rather than keep them alive. list() copies the keys at once,
    # should loops of other threads add theirs meanwhile.
    for old in list(clocks):
        if old.is_closed():
            clocks.pop(old, None)
    added = clocks[loop] = tuple(_Clock(loop, limit.seconds) for limit in limits)
    return added


class _Clock:
    """The deadlines of one middleware's requests of one limit on one loop.

    Requests are keyed in the order they started, which is the order of
    their deadlines. While any is running, one timer is set for the oldest
    deadline still due; when no request runs, no timer is left behind.

    Time is read once per loop turn, by the turn's first request: the
    requests that start in the same turn share its deadline. A busy server
    starts many requests per turn, and most of them end within it; those cost
    neither a clock reading nor a timer. The timer is set at the next turn,
    if a request is still running then.
    """

    __slots__ = ("_deadlines", "_handle", "_keys", "_limit", "_loop", "_turn", "_when")

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: float) -> None:
        self._loop = loop
        self._limit = limit
        self._keys = count()
        # Running requests by key: their deadline and their task. Ordered, as
        # a dict is, and the oldest found at once however many were removed
        # before it, which a dict's iteration is not: expiring n requests
        # together then costs O(n), not O(n²).
        self._deadlines: OrderedDict[int, tuple[float, asyncio.Task[Any]]] = (
            OrderedDict()
        )
        # The deadline of the requests starting in this loop turn, once read.
        self._turn: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0

    def start(self, task: asyncio.Task[Any]) -> int:
        """Give *task* its deadline; return the key to stop it with."""
        deadline = self._turn
        if deadline is None:
            deadline = self._turn = self._loop.time() + self._limit
            self._loop.call_soon(self._end_turn)
        key = next(self._keys)
        self._deadlines[key] = (deadline, task)
        return key

    def stop(self, key: int) -> bool:
        """Forget a request; say whether its deadline cancelled its task."""
        if self._deadlines.pop(key, None) is None:
            return True
        if not self._deadlines and self._handle is not None:
            self._handle.cancel()
            self._handle = None
        return False

    def _end_turn(self) -> None:
        # The turn is over: the requests still running need the timer, unless
        # it is already set for an older deadline.
        self._turn = None
        if self._handle is None and self._deadlines:
            self._schedule(next(iter(self._deadlines.values()))[0])

    def _schedule(self, when: float) -> None:
        self._when = when
        self._handle = self._loop.call_at(when, self._expire)

    def _expire(self) -> None:
        # The timer was set for the oldest deadline then running; that
        # request may have finished since, so look at what is oldest now.
        self._handle = None
        deadlines = self._deadlines
        while deadlines:
            key, (deadline, task) = next(iter(deadlines.items()))
            if deadline > self._when:
                self._schedule(deadline)
                return
            del deadlines[key]
            task.cancel()


# Counting cancellation requests (3.11+) is how a deadline tells its own
# cancellation from anybody else's.
if sys.version_info >= (3, 11):
    _cancelling = asyncio.Task.cancelling
    _uncancel = asyncio.Task.uncancel
else:  # pragma: no cover - Python 3.10 counts no cancellations

    def _cancelling(task: asyncio.Task[Any]) -> int:
        return 0

    def _uncancel(task: asyncio.Task[Any]) -> int:
        return 0
