"""Many requests reaching their deadline together cost time linear in their number.

Whatever the limits: requests under another limit have a clock of their own.

When an upstream fails, every request waiting on it times out at once. The
timer that expires them runs inside one event loop iteration, during which
nothing else runs (health checks included): that iteration must grow with the
number of requests, not with its square. Each request then logs its timeout
in its own task, in later iterations: the logger is off here, so that tens of
thousands of records are not kept.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import timeout_middleware
from aiohttp_middlewares.annotations import UrlLimits

from .helpers import call

LIMIT = 0.05
SMALL, LARGE = 2_000, 16_000


async def expiry_time(count: int, limits: UrlLimits | None) -> float:
    """CPU seconds of the timer callback that expires *count* deadlines at once.

    With *limits*, as many requests to ``/other``, started in between, wait
    under another limit meanwhile. Spied on through ``loop.call_at``, the
    callback is measured alone: nothing else that the loop iteration may hold
    (the start of tens of thousands of tasks on a slow machine) counts, nor
    does the time a loaded machine gives to other processes (CPU time of the
    loop's thread).
    """
    loop = asyncio.get_running_loop()
    middleware = timeout_middleware(LIMIT, limits=limits)
    paths = ["/"] if limits is None else ["/", "/other"]
    requests = [make_mocked_request("GET", path) for path in paths]
    spent: list[float] = []
    call_at = loop.call_at

    def timed_call_at(
        when: float, callback: Callable[..., object], *args: Any
    ) -> asyncio.TimerHandle:
        def timed(*args: Any) -> None:
            begin = time.thread_time()
            callback(*args)
            spent.append(time.thread_time() - begin)

        return call_at(when, timed, *args)

    async def handler(request: web.Request) -> web.StreamResponse:
        # A future of its own: the waiters of one shared asyncio.Event leave
        # it one deque.remove() each, quadratic when every other one goes.
        await loop.create_future()
        raise AssertionError("never set")  # pragma: no cover

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, "call_at", timed_call_at)
        tasks = [
            asyncio.ensure_future(call(middleware, request, handler))
            for _ in range(count)
            for request in requests
        ]
        await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(task.exception(), asyncio.TimeoutError) for task in tasks)
    return spent[0]  # the first deadline's: the one of /


@pytest.mark.parametrize(
    "limits",
    [None, {"/other": 2 * LIMIT}],
    ids=["one-limit", "half-under-another-limit"],
)
async def test_expiring_8x_the_requests_costs_about_8x_not_64x(
    caplog: pytest.LogCaptureFixture, limits: UrlLimits | None
) -> None:
    caplog.set_level(logging.CRITICAL, logger="aiohttp_middlewares.timeout")
    gc.disable()  # a collection inside one measurement would skew it
    try:
        small = min([await expiry_time(SMALL, limits) for _ in range(3)])
        large = min([await expiry_time(LARGE, limits) for _ in range(3)])
    finally:
        gc.enable()
    assert large / small <= 12, (small, large)
