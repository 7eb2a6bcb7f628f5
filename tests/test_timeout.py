"""timeout_middleware: bounded handlers, the right error, no stray timers."""

from __future__ import annotations

import asyncio
import gc
import inspect
import math
import re
import sys
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_middleware, timeout_middleware
from aiohttp_middlewares.annotations import Handler, Middleware, UrlLimits

from .helpers import Outcome, call, disconnect, send, serving

LIMIT = 0.05
SLOW = 2 * LIMIT  # slow work: a handler taking this long outlasts the limit


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(SLOW)
    return web.Response(text="done")


async def fast(request: web.Request) -> web.Response:
    return web.Response(text="done")


def slow_app(*middlewares: Middleware) -> web.Application:
    app = web.Application(middlewares=middlewares)
    app.router.add_route("*", "/{tail:.*}", slow)
    return app


class Gate:
    """A handler that says when it started and waits to be released."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def handler(self, request: web.BaseRequest) -> web.Response:
        self.started.set()
        await self.release.wait()
        return web.Response(text="released")


class Reacting:
    """A handler that waits forever and, once cancelled, does what it is told."""

    def __init__(self, react: Callable[[], web.Response]) -> None:
        self.started = asyncio.Event()
        self.react = react

    async def handler(self, request: web.BaseRequest) -> web.Response:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return self.react()
        raise AssertionError("the event never fires")  # pragma: no cover


def partial_response() -> web.Response:
    return web.Response(text="partial")


class Lingering(Reacting):
    """Once cancelled, awaits once more before it answers."""

    async def handler(self, request: web.BaseRequest) -> web.Response:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0)
            return self.react()
        raise AssertionError("the event never fires")  # pragma: no cover


def give_up() -> web.Response:
    raise LookupError("gave up")


class Clock:
    """The running loop's clock, moved forward by the test.

    Timers fall due as soon as the loop looks at them again, so a deadline of
    any length passes at once and exactly when the test says. Only for tests
    without a server, whose own timers would fall due too.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.offset = 0.0
        self._real = loop.time

    def time(self) -> float:
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
async def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    loop = asyncio.get_running_loop()
    clock = Clock(loop)
    monkeypatch.setattr(loop, "time", clock.time)
    return clock


@pytest.fixture
async def timers(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.TimerHandle]:
    """Every timer set on the running loop during the test."""
    loop = asyncio.get_running_loop()
    handles: list[asyncio.TimerHandle] = []
    call_at = loop.call_at

    def spy(
        when: float, callback: Callable[..., object], *args: Any, **kwargs: Any
    ) -> Any:
        handle = call_at(when, callback, *args, **kwargs)
        handles.append(handle)
        return handle

    monkeypatch.setattr(loop, "call_at", spy)
    return handles


def pending(handles: list[asyncio.TimerHandle]) -> list[asyncio.TimerHandle]:
    now = asyncio.get_running_loop().time()
    return [h for h in handles if not h.cancelled() and h.when() > now]


def not_cancelling(task: asyncio.Task[Any]) -> bool:
    """Whether *task* is free of cancellation requests (3.11+ counts them)."""
    return sys.version_info < (3, 11) or task.cancelling() == 0


def start(
    middleware: Middleware, handler: Handler, path: str = "/"
) -> asyncio.Task[web.StreamResponse]:
    """Run *middleware* on a mocked ``GET <path>`` in a task of its own."""
    request = make_mocked_request("GET", path)
    return asyncio.create_task(call(middleware, request, handler))


# With a server


async def test_slow_handler_answers_json_504_with_error_middleware(
    aiohttp_client: Any,
) -> None:
    client = await aiohttp_client(
        slow_app(error_middleware(), timeout_middleware(LIMIT))
    )
    async with client.get("/") as response:
        assert response.status == 504
        assert response.content_type == "application/json"
        assert await response.json() == {
            "detail": f"Request handling exceeded {LIMIT} seconds"
        }


async def test_slow_handler_answers_504_without_error_middleware(
    aiohttp_client: Any,
) -> None:
    client = await aiohttp_client(slow_app(timeout_middleware(LIMIT)))
    async with client.get("/") as response:
        assert response.status == 504


async def test_fast_handler_answers_normally(aiohttp_client: Any) -> None:
    app = web.Application(middlewares=[timeout_middleware(LIMIT)])
    app.router.add_get("/", fast)
    client = await aiohttp_client(app)
    async with client.get("/") as response:
        assert response.status == 200
        assert await response.text() == "done"


async def status(client: Any, method: str, path: str) -> int:
    async with client.request(method, path) as response:
        return int(response.status)


async def test_ignored_path_runs_without_limit(aiohttp_client: Any) -> None:
    client = await aiohttp_client(slow_app(timeout_middleware(LIMIT, ignore={"/slow"})))
    assert await status(client, "GET", "/slow") == 200
    assert await status(client, "GET", "/other") == 504


async def test_ignore_dict_frees_only_its_methods(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(LIMIT, ignore={"/slow": ["POST"]})
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "POST", "/slow") == 200
    assert await status(client, "GET", "/slow") == 504


async def test_ignore_dict_naming_get_frees_head_too(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(LIMIT, ignore={"/slow": "GET"})
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "HEAD", "/slow") == 200
    assert await status(client, "HEAD", "/other") == 504


async def test_ignore_dict_methods_are_case_insensitive(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(LIMIT, ignore={"/slow": "post"})
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "POST", "/slow") == 200


async def test_ignore_regex_matches_from_the_start(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(LIMIT, ignore=[re.compile(r"/stream/")])
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "GET", "/stream/1") == 200
    assert await status(client, "GET", "/api/stream/1") == 504


async def test_client_disconnect_stays_a_cancellation() -> None:
    gate, outcome = Gate(), Outcome()
    app = web.Application(middlewares=[outcome.middleware, timeout_middleware(10)])
    app.router.add_get("/", gate.handler)
    async with serving(app) as port:
        _, writer = await send(port, "GET", "/")
        await gate.started.wait()
        await disconnect(writer)
        await outcome.done.wait()
    assert type(outcome.error) is asyncio.CancelledError


# Direct calls, on the loop's clock


@pytest.mark.parametrize(("seconds", "shown"), [(29.5, "29.5"), (14, "14")])
async def test_timeout_error_says_the_limit_as_given(
    clock: Clock, seconds: float, shown: str
) -> None:
    gate = Gate()
    task = start(timeout_middleware(seconds), gate.handler)
    await gate.started.wait()
    clock.advance(seconds)
    with pytest.raises(asyncio.TimeoutError) as caught:
        await task
    assert str(caught.value) == f"Request handling exceeded {shown} seconds"


async def test_request_is_not_cancelled_before_its_deadline(clock: Clock) -> None:
    gate = Gate()
    task = start(timeout_middleware(10), gate.handler)
    await gate.started.wait()
    clock.advance(9)
    # A timer falling due at 9 s would run before the handler is woken.
    asyncio.get_running_loop().call_at(clock.time(), gate.release.set)
    response = await task
    assert isinstance(response, web.Response)
    assert response.text == "released"


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python 3.10 counts no cancellations"
)
async def test_cancellation_racing_the_deadline_stays_a_cancellation(
    clock: Clock,
) -> None:
    gate = Gate()
    task = start(timeout_middleware(10), gate.handler)
    await gate.started.wait()
    # Both timers run in one loop turn, the deadline's first, before the task
    # wakes up to two cancellations.
    asyncio.get_running_loop().call_at(clock.time() + 10.5, task.cancel)
    clock.advance(11)
    with pytest.raises(asyncio.CancelledError):
        await task


async def overlapping(
    clock: Clock,
) -> tuple[
    Gate, asyncio.Task[web.StreamResponse], Gate, asyncio.Task[web.StreamResponse]
]:
    """Start two requests 5 s apart through one 10 s middleware."""
    middleware = timeout_middleware(10)
    first, second = Gate(), Gate()
    early = start(middleware, first.handler)
    await first.started.wait()
    clock.advance(5)
    late = start(middleware, second.handler)
    await second.started.wait()
    return first, early, second, late


async def test_earlier_request_finishing_keeps_later_deadline(clock: Clock) -> None:
    first, early, _, late = await overlapping(clock)
    first.release.set()
    await early
    clock.advance(10)
    with pytest.raises(asyncio.TimeoutError, match="exceeded 10 seconds"):
        await asyncio.wait_for(late, 5)  # not forever if the deadline is lost


async def test_expired_request_leaves_later_one_running(clock: Clock) -> None:
    _, early, second, late = await overlapping(clock)
    clock.advance(6)
    with pytest.raises(asyncio.TimeoutError):
        await early
    second.release.set()
    response = await late
    assert isinstance(response, web.Response)
    assert response.text == "released"


async def test_requests_starting_in_one_loop_turn_share_its_deadline(
    clock: Clock,
) -> None:
    # Time is read once per loop turn: the second request, started in the
    # same turn 4 s later, gets the deadline of the first.
    middleware = timeout_middleware(10)
    first, second = Gate(), Gate()

    async def slow_start(request: web.BaseRequest) -> web.Response:
        clock.advance(4)  # as if the handler computed for 4 s before awaiting
        return await first.handler(request)

    early = start(middleware, slow_start)
    late = start(middleware, second.handler)
    await second.started.wait()
    clock.advance(6)
    for task in (early, late):
        with pytest.raises(asyncio.TimeoutError, match="exceeded 10 seconds"):
            await asyncio.wait_for(task, 1)  # not 4 s later, by its own deadline


async def test_request_failing_beside_another_keeps_its_timer(
    timers: list[asyncio.TimerHandle],
) -> None:
    middleware = timeout_middleware(10)
    gate = Gate()
    running = start(middleware, gate.handler)
    await gate.started.wait()

    async def broken(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(0)
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await middleware(make_mocked_request("GET", "/"), broken)
    assert pending(timers)  # the running request still has its deadline
    gate.release.set()
    await running
    assert pending(timers) == []


async def past_deadline(
    clock: Clock, react: Callable[[], web.Response]
) -> asyncio.Task[web.StreamResponse]:
    """Run a :class:`Reacting` handler through a 10 s limit, and pass it."""
    reacting = Reacting(react)
    task = start(timeout_middleware(10), reacting.handler)
    await reacting.started.wait()
    clock.advance(10)
    return task


async def test_handler_swallowing_the_timeout_has_its_response_sent(
    clock: Clock,
) -> None:
    task = await past_deadline(clock, partial_response)
    response = await task
    assert isinstance(response, web.Response)
    assert response.text == "partial"
    assert not_cancelling(task)


async def test_handler_swallowing_the_timeout_then_awaiting_answers(
    clock: Clock,
) -> None:
    lingering = Lingering(partial_response)
    task = start(timeout_middleware(10), lingering.handler)
    await lingering.started.wait()
    clock.advance(10)
    response = await task
    assert isinstance(response, web.Response)
    assert response.text == "partial"
    assert not_cancelling(task)


async def test_handler_swallowing_the_timeout_leaves_no_timer(
    timers: list[asyncio.TimerHandle],
) -> None:
    stubborn = Reacting(partial_response).handler
    await timeout_middleware(LIMIT)(make_mocked_request("GET", "/"), stubborn)
    assert timers
    assert pending(timers) == []


async def test_request_done_within_its_loop_turn_sets_no_timer(
    timers: list[asyncio.TimerHandle],
) -> None:
    response = await timeout_middleware(10)(make_mocked_request("GET", "/"), fast)
    assert response.status == 200
    assert timers == []


async def yielding(request: web.BaseRequest) -> web.Response:
    # Lets the loop turn once, as any handler that awaits I/O does.
    await asyncio.sleep(0)
    return web.Response(text="done")


async def test_finished_request_leaves_no_timer(
    timers: list[asyncio.TimerHandle],
) -> None:
    await timeout_middleware(10)(make_mocked_request("GET", "/"), yielding)
    assert timers  # the loop turned: the request got its timer
    assert pending(timers) == []


async def test_failed_request_leaves_no_timer(
    timers: list[asyncio.TimerHandle],
) -> None:
    async def broken(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(0)  # let the loop turn, so the timer is armed
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await timeout_middleware(10)(make_mocked_request("GET", "/"), broken)
    assert timers
    assert pending(timers) == []


async def test_handlers_own_timeout_error_passes_unchanged() -> None:
    error = asyncio.TimeoutError("database did not answer")

    async def waiting(request: web.BaseRequest) -> web.Response:
        raise error

    with pytest.raises(asyncio.TimeoutError) as caught:
        await timeout_middleware(10)(make_mocked_request("GET", "/"), waiting)
    assert caught.value is error


async def test_handler_turning_the_timeout_into_an_error_raises_it(
    clock: Clock,
) -> None:
    task = await past_deadline(clock, give_up)
    with pytest.raises(LookupError, match="gave up"):
        await task
    assert not_cancelling(task)


async def test_outside_a_task_raises_runtime_error() -> None:
    loop = asyncio.get_running_loop()
    coroutine = timeout_middleware(10)(make_mocked_request("GET", "/"), fast)
    assert inspect.iscoroutine(coroutine)
    outcome: asyncio.Future[BaseException] = loop.create_future()

    def drive() -> None:  # a plain callback: the loop runs, no task does
        try:
            coroutine.send(None)
        except BaseException as exc:
            outcome.set_result(exc)

    loop.call_soon(drive)
    error = await outcome
    assert isinstance(error, RuntimeError)
    assert "inside an asyncio task" in str(error)


# Event loops


MIDDLEWARE_MADE_WITHOUT_LOOP = timeout_middleware(LIMIT)


def test_one_middleware_serves_several_event_loops() -> None:
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def timed_out() -> bool:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        request = make_mocked_request("GET", "/")
        try:
            await MIDDLEWARE_MADE_WITHOUT_LOOP(request, Gate().handler)
        except asyncio.TimeoutError:
            return True
        return False  # pragma: no cover

    still_open = asyncio.new_event_loop()
    try:
        assert still_open.run_until_complete(timed_out())
        assert [asyncio.run(timed_out()) for _ in range(2)] == [True, True]
        assert still_open.run_until_complete(timed_out())
    finally:
        still_open.close()
    assert asyncio.run(timed_out())
    del still_open
    gc.collect()
    # Closed loops are let go of once another loop comes.
    assert [ref() is None for ref in loops[:-1]] == [True] * 4


# Per-URL limits


async def test_limits_give_their_urls_another_limit(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(
        LIMIT, limits={"/export": 20 * SLOW, re.compile(r"^/reports/"): 20 * SLOW}
    )
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "GET", "/export") == 200
    assert await status(client, "GET", "/reports/2026") == 200
    assert await status(client, "GET", "/search") == 504


async def test_the_504_names_the_limit_that_applied(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(10, limits={"/report": LIMIT})
    client = await aiohttp_client(slow_app(error_middleware(), middleware))
    async with client.get("/report") as response:
        assert response.status == 504
        assert await response.json() == {
            "detail": f"Request handling exceeded {LIMIT} seconds"
        }


async def test_limits_first_matching_key_wins(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(
        LIMIT,
        limits={
            re.compile(r"^/api/"): 20 * SLOW,
            "/api/slow": LIMIT / 2,  # never reached: the regex matches first
            "/exact": 20 * SLOW,
            re.compile(r"^/ex"): LIMIT / 2,
        },
    )
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "GET", "/api/slow") == 200
    assert await status(client, "GET", "/exact") == 200
    assert await status(client, "GET", "/export") == 504


async def test_ignore_wins_over_limits(aiohttp_client: Any) -> None:
    middleware = timeout_middleware(
        LIMIT, ignore={"/stream": "GET"}, limits={"/stream": LIMIT / 2}
    )
    client = await aiohttp_client(slow_app(middleware))
    assert await status(client, "GET", "/stream") == 200
    assert await status(client, "POST", "/stream") == 504


async def test_requests_of_two_limits_end_each_at_its_own_deadline(
    clock: Clock,
) -> None:
    # The later request has the shorter limit: it ends first, and the earlier
    # one keeps its own deadline.
    middleware = timeout_middleware(10, limits={"/short": 5})
    first, second = Gate(), Gate()
    long = start(middleware, first.handler)
    await first.started.wait()
    clock.advance(1)
    short = start(middleware, second.handler, "/short")
    await second.started.wait()
    clock.advance(5)
    with pytest.raises(asyncio.TimeoutError, match="exceeded 5 seconds"):
        await asyncio.wait_for(short, 5)  # not forever if the deadline is lost
    assert not long.done()
    clock.advance(4)
    with pytest.raises(asyncio.TimeoutError, match="exceeded 10 seconds"):
        await asyncio.wait_for(long, 5)


@pytest.mark.parametrize(
    ("limits", "path", "shown"),
    [
        ({"/": 10.0}, "/", "10.0"),  # equal to seconds, but written otherwise
        ({"/a": 10, "/b": 5, "/": 5}, "/", "5"),  # one limit for two keys
        ({"/": 10}, "/", "10"),  # the very limit of seconds
    ],
    ids=["as-written", "shared", "same-as-seconds"],
)
async def test_timeout_says_the_limit_as_written(
    clock: Clock, limits: UrlLimits, path: str, shown: str
) -> None:
    gate = Gate()
    task = start(timeout_middleware(10, limits=limits), gate.handler, path)
    await gate.started.wait()
    clock.advance(10)
    with pytest.raises(
        asyncio.TimeoutError, match=rf"^Request handling exceeded {shown} seconds$"
    ):
        await task


@pytest.mark.parametrize(
    ("limits", "error", "argument"),
    [
        ([("/x", 1)], TypeError, "limits"),
        ("/x", TypeError, "limits"),
        ({42: 1}, TypeError, "limits"),
        ({"/x": 0}, ValueError, r"limits\['/x'\]"),
        ({"/x": math.inf}, ValueError, r"limits\['/x'\]"),
        ({"/x": "30"}, TypeError, r"limits\['/x'\]"),
        ({"/x": True}, TypeError, r"limits\['/x'\]"),
    ],
    ids=repr,
)
def test_bad_limits_are_refused_naming_them(
    limits: Any, error: type[Exception], argument: str
) -> None:
    with pytest.raises(error, match=f"^{argument}"):
        timeout_middleware(1, limits=limits)


# Configuration


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (-0.5, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (10**400, ValueError),
        (True, TypeError),
        ("30", TypeError),
        (None, TypeError),
    ],
)
def test_bad_seconds_is_refused_naming_it(seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="seconds"):
        timeout_middleware(seconds)


@pytest.mark.parametrize("ignore", ["/slow", [42], {"/slow": 42}])
def test_bad_ignore_is_refused_naming_it(ignore: Any) -> None:
    with pytest.raises(TypeError, match="ignore"):
        timeout_middleware(1, ignore=ignore)


def test_middleware_is_new_style() -> None:
    middleware: Callable[..., Awaitable[Any]] = timeout_middleware(1)
    assert getattr(middleware, "__middleware_version__", None) == 1
