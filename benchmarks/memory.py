"""Memory: many requests through the full stack leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from aiohttp import web

from aiohttp_middlewares import wait_shielded

from . import stack as config
from .inprocess import CASES, chain, make_request

LIMIT = 64 * 1024


async def settle(app: web.Application) -> None:
    """Wait for the shielded handlers still running, then collect garbage.

    Bounded: wait_shielded() would never return if the shield middleware kept
    a finished handler's task.
    """
    await asyncio.wait_for(wait_shielded(app), 10)
    gc.collect()


async def run(first: int, second: int) -> tuple[int, int, int]:
    app = web.Application(middlewares=config.middlewares("full"))
    requests = [
        make_request(app, method, headers) for method, headers in CASES.values()
    ]
    handle = chain(app)

    async def drive(count: int) -> None:
        for index in range(count):
            await handle(requests[index % len(requests)])

    await drive(1_000)  # warm-up: caches, interned strings, free lists
    tracemalloc.start()
    try:
        await drive(first)
        await settle(app)
        after_first = tracemalloc.get_traced_memory()[0]
        await drive(second - first)
        await settle(app)
        after_second = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Every shielded handler has finished: no task but this one is left.
    alive = len(asyncio.all_tasks() - {asyncio.current_task()})
    return after_first, after_second, alive


def main(first: int = 10_000, second: int = 100_000) -> str:
    after_first, after_second, alive = asyncio.run(run(first, second))
    growth = after_second - after_first
    verdict = "ok" if growth < LIMIT else f"OVER the {LIMIT // 1024} KiB limit"
    return (
        f"Memory: traced after {first:,} requests {after_first / 1024:,.1f} KiB, "
        f"after {second:,} {after_second / 1024:,.1f} KiB: "
        f"growth {growth / 1024:,.1f} KiB ({verdict}); "
        f"tasks still alive: {alive}"
    )
