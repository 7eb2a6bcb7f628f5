"""Memory: many requests through the full stack leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from aiohttp import web

from aiohttp_middlewares import shield as shield_module
from aiohttp_middlewares import wait_shielded

from . import stack as config
from .inprocess import CASES, chain, make_request

LIMIT = 64 * 1024


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
        await wait_shielded(app)
        gc.collect()
        after_first = tracemalloc.get_traced_memory()[0]
        await drive(second - first)
        await wait_shielded(app)
        gc.collect()
        after_second = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The package's own bookkeeping, read here only to show that it is empty.
    tracked = sum(len(shield_module._tracked.get(mw, ())) for mw in app.middlewares)
    return after_first, after_second, tracked


def main(first: int = 10_000, second: int = 100_000) -> str:
    after_first, after_second, tracked = asyncio.run(run(first, second))
    growth = after_second - after_first
    verdict = "ok" if growth < LIMIT else f"OVER the {LIMIT // 1024} KiB limit"
    return (
        f"Memory: traced after {first:,} requests {after_first / 1024:,.1f} KiB, "
        f"after {second:,} {after_second / 1024:,.1f} KiB: "
        f"growth {growth / 1024:,.1f} KiB ({verdict}); "
        f"shielded tasks still tracked: {tracked}"
    )
