"""Many requests reaching their deadline together cost time linear in their number.

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

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import timeout_middleware

from .helpers import call

LIMIT = 0.05
SMALL, LARGE = 2_000, 16_000


async def expiry_iteration(count: int) -> float:
    """Seconds of the loop iteration in which *count* deadlines expire together.

    A heartbeat callback runs first in every iteration and notes the time.
    The first handler to see its cancellation runs in the iteration after the
    expiring one, after that iteration's heartbeat.
    """
    loop = asyncio.get_running_loop()
    middleware = timeout_middleware(LIMIT)
    request = make_mocked_request("GET", "/")
    beats: list[float] = []
    first_cancelled: list[int] = []
    never = asyncio.Event()

    def beat() -> None:
        beats.append(time.perf_counter())
        if not first_cancelled:
            loop.call_soon(beat)

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            await never.wait()
        except asyncio.CancelledError:
            if not first_cancelled:
                first_cancelled.append(len(beats))
            raise
        raise AssertionError("never set")  # pragma: no cover

    tasks = [
        asyncio.ensure_future(call(middleware, request, handler)) for _ in range(count)
    ]
    loop.call_soon(beat)
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(task.exception(), asyncio.TimeoutError) for task in tasks)
    seen = first_cancelled[0]  # beats noted when the first handler saw it
    return beats[seen - 1] - beats[seen - 2]


async def test_expiring_8x_the_requests_costs_about_8x_not_64x(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.CRITICAL, logger="aiohttp_middlewares.timeout")
    gc.disable()  # a collection inside one measurement would skew it
    try:
        small = min([await expiry_iteration(SMALL) for _ in range(3)])
        large = min([await expiry_iteration(LARGE) for _ in range(3)])
    finally:
        gc.enable()
    assert large / small <= 12, (small, large)
