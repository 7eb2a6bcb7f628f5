"""What the middlewares tell each other about a request its time limit cancelled.

:func:`~aiohttp_middlewares.timeout.timeout_middleware` raises
:class:`RequestTimeout` when a request exceeds its limit, once it has logged
where the handler was waiting (:func:`waiting_stack`), and
:func:`~aiohttp_middlewares.error.error_middleware` does not log that timeout
again. A handler that :func:`~aiohttp_middlewares.shield.shield_middleware`
runs in a task of its own waits elsewhere than its cancelled request: the
shield hands its coroutine over (:func:`hand_over`), so that the place found
is the handler's, not the shield's.

No middleware module imports another: each of those three imports this one.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from types import FrameType
from weakref import WeakKeyDictionary

__all__ = ("RequestTimeout", "hand_over", "waiting_stack")

# A cancellation that shield_middleware let through, and the handler that goes
# on in a task of its own. Weak: an entry goes with its exception.
_handed_over: WeakKeyDictionary[BaseException, object] = WeakKeyDictionary()


class RequestTimeout(asyncio.TimeoutError):
    """What ``timeout_middleware`` raises for a request that exceeded its limit.

    An :class:`asyncio.TimeoutError` (the builtin :class:`TimeoutError` on
    Python 3.11+) whose message names the limit that applied: ``Request
    handling exceeded 29.5 seconds``. Its ``status`` is 504, so that
    ``error_middleware`` answers it with that message even under
    ``hide_unexpected_messages=True``: the package wrote it, it tells nothing
    of the application. ``timeout_middleware`` has logged it, with where the
    handler was waiting; ``error_middleware`` does not log it again.
    """

    status = 504


def hand_over(cancellation: BaseException, handler: object) -> None:
    """Say that the handler of a cancelled request goes on as *handler*.

    :param cancellation: The :class:`asyncio.CancelledError` that the request
        raises, unchanged.
    :param handler: The awaitable the handler returned, which goes on running
        in a task of its own.
    """
    _handed_over[cancellation] = handler


def waiting_stack(cancellation: BaseException) -> traceback.StackSummary:
    """Where the handler of a cancelled request was waiting, innermost frame last.

    The frames of the coroutines that the handler handed over with
    :func:`hand_over` awaits, while it still runs (walked down ``cr_await``,
    as :mod:`inspect` names it); else the frames that *cancellation* went
    through on its way out, from the one that caught it. Source lines are read
    only when the summary is formatted.
    """
    handler = _handed_over.pop(cancellation, None)
    stack = traceback.StackSummary.extract(_awaiting(handler), lookup_lines=False)
    return stack or traceback.StackSummary.extract(
        traceback.walk_tb(cancellation.__traceback__), lookup_lines=False
    )


def _awaiting(awaitable: object) -> Iterator[tuple[FrameType, int]]:
    # A suspended coroutine has a frame and awaits the next one; the chain ends
    # at a future (no frame) or at a coroutine that is done (frame None).
    # Generator-based coroutines name the same things gi_frame, gi_yieldfrom.
    while True:
        frame = getattr(awaitable, "cr_frame", None) or getattr(
            awaitable, "gi_frame", None
        )
        if frame is None:
            return
        yield frame, frame.f_lineno
        awaitable = getattr(awaitable, "cr_await", None) or getattr(
            awaitable, "gi_yieldfrom", None
        )
