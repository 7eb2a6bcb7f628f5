"""In-process overhead: the middleware chain awaited on one request, as aiohttp
composes it, without sockets or HTTP parsing."""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from . import stack as config
from .stack import FACTORIES

STACKS = ["bare", *FACTORIES, "full"]
CASES = {
    "GET": ("GET", config.HEADERS),
    "POST": ("POST", config.HEADERS),
    "preflight": ("OPTIONS", config.PREFLIGHT_HEADERS),
}


@dataclass
class Result:
    stack: str
    case: str
    ns: float


class _Transport:
    # A plain transport: a Mock would make every attribute read cost
    # microseconds that a real server never pays.
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return False


def make_request(app: web.Application, method: str, headers: dict[str, str]) -> Any:
    transport = _Transport()
    protocol = SimpleNamespace(
        ssl_context=None,
        peername=("127.0.0.1", 40000),
        sockname=("127.0.0.1", 8080),
        transport=transport,
        max_field_size=8190,
        max_line_length=8190,
        max_headers=128,
    )
    return make_mocked_request(
        method,
        config.PATH,
        headers=headers,
        app=app,
        protocol=protocol,
        transport=transport,
    )


def chain(app: web.Application) -> Any:
    """Compose the app's middlewares around the handler as aiohttp does."""
    handler: Any = config.handler
    for middleware in reversed(app.middlewares):
        handler = functools.partial(middleware, handler=handler)
    return handler


async def run_all(count: int, repeat: int) -> list[Result]:
    """Time every stack on every case; keep each one's best round.

    The stacks of a case take turns, round after round, so that the machine
    slowing down or speeding up meanwhile falls on all of them alike.
    """
    results = []
    for case, (method, headers) in CASES.items():
        runs = {}
        for stack in STACKS:
            app = web.Application(middlewares=config.middlewares(stack))
            runs[stack] = (make_request(app, method, headers), chain(app))
        for request, run in runs.values():
            for _ in range(min(count, 1000)):  # warm caches before timing
                await run(request)
        best = dict.fromkeys(STACKS, float("inf"))
        for _ in range(repeat):
            for stack, (request, run) in runs.items():
                start = time.perf_counter_ns()
                for _ in range(count):
                    await run(request)
                best[stack] = min(best[stack], (time.perf_counter_ns() - start) / count)
        results += [Result(stack, case, best[stack]) for stack in STACKS]
    return results


def table(results: list[Result]) -> str:
    ns = {(r.stack, r.case): r.ns for r in results}
    lines = [
        "In-process: ns per request (overhead over bare = (t - bare) / bare)",
        f"{'stack':<10}" + "".join(f"{case:>24}" for case in CASES),
    ]
    for stack_name in STACKS:
        cells = []
        for case in CASES:
            bare, t = ns["bare", case], ns[stack_name, case]
            cells.append(f"{t:>12,.0f} ({(t - bare) / bare:>6.2f}x)")
        lines.append(f"{stack_name:<10}" + "".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)


def main(count: int = 5_000, repeat: int = 20) -> str:
    return table(asyncio.run(run_all(count, repeat)))
