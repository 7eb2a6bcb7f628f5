"""shield_middleware and wait_shielded: shielded work is never lost silently."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import re
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import (
    IDEMPOTENT_METHODS,
    NON_IDEMPOTENT_METHODS,
    shield_middleware,
    timeout_middleware,
    wait_shielded,
)
from aiohttp_middlewares.annotations import Handler, Middleware
from aiohttp_middlewares.utils import request_key

from .helpers import Outcome, call, disconnect, send, serving

REQUEST_TASK = request_key("tests.request_task", asyncio.Task)
TRACE_ID: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id")


def running_task() -> asyncio.Task[Any]:
    task = asyncio.current_task()
    assert task is not None
    return task


@web.middleware
async def remember_task(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[REQUEST_TASK] = running_task()
    return await handler(request)


async def where(request: web.Request) -> web.Response:
    """Say whether the handler runs in a task of its own."""
    own = asyncio.current_task() is not request[REQUEST_TASK]
    return web.Response(text="shielded" if own else "direct")


def where_app(middleware: Middleware) -> web.Application:
    app = web.Application(middlewares=[remember_task, middleware])
    app.router.add_route("*", "/{tail:.*}", where)
    return app


async def run_in(client: Any, method: str, path: str) -> str:
    async with client.request(method, path) as response:
        assert response.status == 200
        return str(await response.text())


class Work:
    """A handler that says when it started and when its work was done.

    It also notes, weakly, each task it ran in: the test can cancel a shielded
    handler, or check that nothing keeps a finished one.
    """

    def __init__(self, error: Exception | None = None) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = asyncio.Event()
        self.cancelled = False
        self.error = error
        self.tasks: list[weakref.ref[asyncio.Task[Any]]] = []

    def task(self) -> asyncio.Task[Any]:
        """The task of the last run, which must still be alive."""
        task = self.tasks[-1]()
        assert task is not None
        return task

    async def handler(self, request: web.BaseRequest) -> web.Response:
        # No local variable: a logged traceback would keep the task alive.
        self.tasks.append(weakref.ref(running_task()))
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished.set()
        if self.error is not None:
            raise self.error
        return web.Response(text="saved")


def work_app(work: Work, *middlewares: Middleware) -> web.Application:
    app = web.Application(middlewares=middlewares)
    app.router.add_route("*", "/{tail:.*}", work.handler)
    return app


class Records(logging.Handler):
    """Log records of the shield logger, with an event for the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.logged = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.logged.set()


@pytest.fixture
def records() -> Iterator[Records]:
    logger = logging.getLogger("aiohttp_middlewares.shield")
    handler = Records()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def abandoned(work: Work, middleware: Middleware) -> None:
    """Run *work* for ``POST /save`` through *middleware*; cancel it mid-way."""
    request = make_mocked_request("POST", "/save")
    task = asyncio.create_task(call(middleware, request, work.handler))
    await work.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def still_waiting(waiter: asyncio.Task[None]) -> bool:
    # Bounded: asserting that something does not happen needs a limit.
    done, _ = await asyncio.wait({waiter}, timeout=0.05)
    return not done


# What is shielded


async def shielded_head(middleware: Middleware) -> bool:
    """Whether *middleware* runs the handler of ``HEAD /d`` in a task of its own."""
    tasks: list[asyncio.Task[Any] | None] = []

    async def handler(request: web.Request) -> web.Response:
        tasks.append(asyncio.current_task())
        return web.Response()

    await call(middleware, make_mocked_request("HEAD", "/d"), handler)
    return tasks[0] is not asyncio.current_task()


async def test_urls_naming_get_shield_head_too() -> None:
    # aiohttp answers HEAD with the GET handler.
    assert await shielded_head(shield_middleware(urls={"/d": "GET"}))
    assert not await shielded_head(shield_middleware(urls={"/d": "POST"}))


async def test_methods_naming_get_shield_head_too() -> None:
    assert await shielded_head(shield_middleware(methods=["GET"]))
    assert not await shielded_head(shield_middleware(methods=["POST"]))


async def test_unshielded_request_is_awaited_directly(aiohttp_client: Any) -> None:
    client = await aiohttp_client(
        where_app(shield_middleware(methods=NON_IDEMPOTENT_METHODS))
    )
    assert await run_in(client, "GET", "/") == "direct"


async def test_shielded_request_runs_in_its_own_task(aiohttp_client: Any) -> None:
    client = await aiohttp_client(
        where_app(shield_middleware(methods=NON_IDEMPOTENT_METHODS))
    )
    assert await run_in(client, "POST", "/") == "shielded"


async def test_configured_methods_are_case_insensitive(aiohttp_client: Any) -> None:
    client = await aiohttp_client(where_app(shield_middleware(methods=["post"])))
    assert await run_in(client, "POST", "/") == "shielded"


async def test_lower_case_request_method_is_shielded() -> None:
    middleware = shield_middleware(methods=["POST"])
    request = make_mocked_request("POST", "/save").clone(method="post")
    request[REQUEST_TASK] = running_task()
    response = await middleware(request, where)
    assert isinstance(response, web.Response)
    assert response.text == "shielded"


async def test_methods_minus_ignored_urls(aiohttp_client: Any) -> None:
    middleware = shield_middleware(
        methods=NON_IDEMPOTENT_METHODS, ignore={"/api/comments"}
    )
    client = await aiohttp_client(where_app(middleware))
    assert await run_in(client, "POST", "/api/comments") == "direct"
    assert await run_in(client, "POST", "/api/documents") == "shielded"


async def test_urls_collection_shields_every_method(aiohttp_client: Any) -> None:
    middleware = shield_middleware(urls=["/", re.compile(r"^/about")])
    client = await aiohttp_client(where_app(middleware))
    assert await run_in(client, "GET", "/about-us") == "shielded"
    assert await run_in(client, "DELETE", "/") == "shielded"
    assert await run_in(client, "GET", "/contact") == "direct"


async def test_urls_dict_first_matching_key_decides(aiohttp_client: Any) -> None:
    middleware = shield_middleware(
        urls={
            re.compile(r"^/downloads/.*$"): "GET",
            re.compile(r".*"): NON_IDEMPOTENT_METHODS,
        }
    )
    client = await aiohttp_client(where_app(middleware))
    assert await run_in(client, "GET", "/downloads/report.pdf") == "shielded"
    assert await run_in(client, "POST", "/downloads/report.pdf") == "direct"
    assert await run_in(client, "POST", "/orders") == "shielded"
    assert await run_in(client, "GET", "/orders") == "direct"


async def test_shielded_handler_sees_the_requests_context(
    aiohttp_client: Any,
) -> None:
    @web.middleware
    async def trace(request: web.Request, handler: Handler) -> web.StreamResponse:
        TRACE_ID.set("trace-42")
        return await handler(request)

    async def traced(request: web.Request) -> web.Response:
        return web.Response(text=TRACE_ID.get("missing"))

    app = web.Application(
        middlewares=[trace, shield_middleware(methods=NON_IDEMPOTENT_METHODS)]
    )
    app.router.add_post("/", traced)
    client = await aiohttp_client(app)
    async with client.post("/") as response:
        assert await response.text() == "trace-42"


async def test_works_on_mocked_requests() -> None:
    request = make_mocked_request("POST", "/save")  # its app is a mock
    work = Work()
    work.release.set()
    response = await shield_middleware(methods=["POST"])(request, work.handler)
    assert response.status == 200


async def test_handler_returning_a_future_is_shielded_too() -> None:
    # Handlers return coroutines; any other awaitable is awaited as well.
    async def respond() -> web.Response:
        return web.Response(text="saved")

    def handler(request: web.BaseRequest) -> asyncio.Future[web.Response]:
        return asyncio.ensure_future(respond())

    request = make_mocked_request("POST", "/save")
    response = await shield_middleware(methods=["POST"])(request, handler)
    assert response.text == "saved"  # type: ignore[attr-defined]


async def test_handler_error_reaches_the_request_when_not_cancelled(
    aiohttp_client: Any,
) -> None:
    work = Work(error=web.HTTPConflict())
    work.release.set()
    client = await aiohttp_client(work_app(work, shield_middleware(methods=["POST"])))
    async with client.post("/save") as response:
        assert response.status == 409


# Cancellation


async def client_gone(work: Work, method: str) -> Outcome:
    """Serve *work* shielding non-idempotent methods; drop a request mid-way."""
    outcome = Outcome()
    middleware = shield_middleware(methods=NON_IDEMPOTENT_METHODS)
    async with serving(work_app(work, outcome.middleware, middleware)) as port:
        _, writer = await send(port, method, "/orders")
        await work.started.wait()
        await disconnect(writer)
        await outcome.done.wait()
    return outcome


async def test_shielded_post_completes_after_client_disconnects() -> None:
    work = Work()
    outcome = await client_gone(work, "POST")
    assert type(outcome.error) is asyncio.CancelledError
    work.release.set()
    await asyncio.wait_for(work.finished.wait(), 5)
    assert not work.cancelled


async def test_unshielded_get_is_cancelled_when_client_disconnects() -> None:
    work = Work()
    await client_gone(work, "GET")
    assert work.cancelled
    assert not work.finished.is_set()


async def test_shielded_handler_outlives_an_outer_timeout(aiohttp_client: Any) -> None:
    work = Work()
    app = work_app(work, timeout_middleware(0.05), shield_middleware(methods=["POST"]))
    client = await aiohttp_client(app)
    async with client.post("/save") as response:
        assert response.status == 504
    work.release.set()
    await asyncio.wait_for(work.finished.wait(), 5)
    assert not work.cancelled


async def test_shielded_handler_outlives_server_shutdown() -> None:
    work, outcome = Work(), Outcome()
    app = work_app(work, outcome.middleware, shield_middleware(methods=["POST"]))
    runner = web.AppRunner(app, shutdown_timeout=0.05)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    _, writer = await send(runner.addresses[0][1], "POST", "/save")
    await work.started.wait()
    await runner.cleanup()  # cancels the request still running after 0.05 s
    await outcome.done.wait()
    assert type(outcome.error) is asyncio.CancelledError
    work.release.set()
    await asyncio.wait_for(work.finished.wait(), 5)
    assert not work.cancelled
    await disconnect(writer)


# Nothing lost silently


async def test_failure_after_disconnect_is_logged_with_traceback(
    records: Records,
) -> None:
    work = Work(error=RuntimeError("disk full"))
    await client_gone(work, "POST")
    work.release.set()
    await asyncio.wait_for(records.logged.wait(), 5)
    [record] = records.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "Shielded handler of POST /orders failed after its request was cancelled"
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert record.exc_info[2] is not None  # the traceback


async def test_failure_after_cancellation_is_never_reported_unretrieved() -> None:
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    middleware = shield_middleware(methods=["POST"])
    work = Work(error=RuntimeError("disk full"))
    await abandoned(work, middleware)
    work.release.set()
    app = web.Application(middlewares=[middleware])
    await asyncio.wait_for(wait_shielded(app), 5)
    gc.collect()  # an unretrieved exception is reported when its task is freed
    assert reported == []


async def test_cancelled_shielded_handler_is_logged_as_warning(
    records: Records,
) -> None:
    work = Work()
    middleware = shield_middleware(methods=["POST"])
    await abandoned(work, middleware)
    work.task().cancel()  # as asyncio.run() does to the tasks left at its end
    await asyncio.wait_for(records.logged.wait(), 5)
    [record] = records.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Shielded handler of POST /save was cancelled before it finished"
    )


async def test_success_after_cancellation_logs_nothing(records: Records) -> None:
    work = Work()
    middleware = shield_middleware(methods=["POST"])
    await abandoned(work, middleware)
    work.release.set()
    # The done callbacks, ours included, have run when the wait ends.
    await asyncio.wait_for(wait_shielded(web.Application(middlewares=[middleware])), 5)
    assert work.finished.is_set()
    assert records.records == []


async def test_finished_shielded_handlers_are_let_go_of(aiohttp_client: Any) -> None:
    middleware = shield_middleware(methods=["POST"])
    work = Work()
    work.release.set()
    client = await aiohttp_client(work_app(work, middleware))
    for _ in range(100):
        async with client.post("/save") as response:
            assert response.status == 200
    leftovers = [Work(), Work(error=ValueError("bad"))]
    for leftover in leftovers:
        await abandoned(leftover, middleware)
    gc.collect()
    # Nothing keeps the tasks of the 100 finished requests...
    assert len(work.tasks) == 100
    assert [ref() for ref in work.tasks] == [None] * 100
    # ... while both handlers still running are waited for, and then let go of.
    waiter = asyncio.create_task(wait_shielded(client.app))
    first, second = leftovers
    first.release.set()
    await first.finished.wait()
    assert await still_waiting(waiter)
    second.release.set()
    await asyncio.wait_for(waiter, 5)
    gc.collect()
    assert [leftover.tasks[0]() for leftover in leftovers] == [None, None]


# wait_shielded


async def test_wait_shielded_lets_in_flight_save_finish_on_shutdown() -> None:
    work, outcome = Work(), Outcome()
    order: list[str] = []

    async def shutdown_begins(app: web.Application) -> None:
        work.release.set()

    async def shutdown_ends(app: web.Application) -> None:
        order.append("shutdown ends")

    async def saved(request: web.BaseRequest) -> web.Response:
        response = await work.handler(request)
        for _ in range(3):  # a save that takes a few loop turns
            await asyncio.sleep(0)
        order.append("saved")
        return response

    app = web.Application(
        middlewares=[outcome.middleware, shield_middleware(methods=["POST"])]
    )
    app.router.add_post("/orders", saved)
    app.on_shutdown.extend([shutdown_begins, wait_shielded, shutdown_ends])
    async with serving(app) as port:
        _, writer = await send(port, "POST", "/orders")
        await work.started.wait()
        await disconnect(writer)
        await outcome.done.wait()
    assert order == ["saved", "shutdown ends"]


async def test_wait_shielded_waits_for_handlers_shielded_meanwhile() -> None:
    middleware = shield_middleware(methods=["POST"])
    first, second = Work(), Work()
    await abandoned(first, middleware)
    waiter = asyncio.create_task(
        wait_shielded(web.Application(middlewares=[middleware]))
    )
    await abandoned(second, middleware)
    first.release.set()
    await first.finished.wait()
    assert await still_waiting(waiter)
    second.release.set()
    await asyncio.wait_for(waiter, 5)


async def test_wait_shielded_says_what_it_waits_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    middleware = shield_middleware(methods=["POST"])
    work = Work()
    await abandoned(work, middleware)
    waiter = asyncio.create_task(
        wait_shielded(web.Application(middlewares=[middleware]))
    )
    with caplog.at_level(logging.INFO, logger="aiohttp_middlewares.shield"):
        assert await still_waiting(waiter)
        work.release.set()
        await asyncio.wait_for(waiter, 5)
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == "Shutdown waits for 1 shielded handler(s): POST /save"


async def test_wait_shielded_with_timeout_abandons_a_stuck_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    middleware = shield_middleware(methods=["POST"])
    stuck = Work()
    await abandoned(stuck, middleware)
    app = web.Application(middlewares=[middleware])
    with caplog.at_level(logging.INFO, logger="aiohttp_middlewares.shield"):
        await asyncio.wait_for(wait_shielded(app, timeout=0.05), 5)
    info, warning = caplog.records
    assert info.levelno == logging.INFO
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == (
        "Shutdown stopped waiting after 0.05 seconds, abandoning 1 shielded "
        "handler(s) still running: POST /save"
    )
    assert not stuck.finished.is_set()
    stuck.release.set()
    await stuck.finished.wait()


async def test_wait_shielded_lists_ten_handlers_and_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    middleware = shield_middleware(methods=["POST"])
    works = [Work() for _ in range(12)]
    for work in works:
        await abandoned(work, middleware)
    app = web.Application(middlewares=[middleware])
    with caplog.at_level(logging.INFO, logger="aiohttp_middlewares.shield"):
        await wait_shielded(app, timeout=0.01)
    assert caplog.records[0].getMessage().endswith("POST /save and 2 more")
    for work in works:
        work.release.set()
        await work.finished.wait()


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
async def test_wait_shielded_refuses_a_bad_timeout(timeout: float) -> None:
    app = web.Application(middlewares=[shield_middleware(methods=["POST"])])
    with pytest.raises(ValueError, match=r"^timeout must be positive and finite"):
        await wait_shielded(app, timeout=timeout)


async def test_wait_shielded_refuses_a_timeout_of_another_type() -> None:
    app = web.Application(middlewares=[shield_middleware(methods=["POST"])])
    with pytest.raises(TypeError, match=r"^timeout must be an int or a float"):
        await wait_shielded(app, timeout="20")  # type: ignore[arg-type]


async def test_wait_shielded_returns_at_once_when_idle() -> None:
    app = web.Application(middlewares=[shield_middleware(methods=["POST"])])
    await asyncio.wait_for(wait_shielded(app), 1)


@pytest.mark.parametrize("mount", ["app", "subapp", "domain", "nested"])
async def test_wait_shielded_finds_middlewares_of_sub_apps(mount: str) -> None:
    middleware = shield_middleware(methods=["POST"])
    app = web.Application(middlewares=[remember_task])
    owner = web.Application(middlewares=[middleware])
    if mount == "app":
        app = owner
    elif mount == "subapp":
        app.add_subapp("/api/", owner)
    elif mount == "domain":
        app.add_domain("api.example.com", owner)
    else:
        middle = web.Application()
        middle.add_subapp("/v1/", owner)
        app.add_subapp("/api/", middle)
    work = Work()
    await abandoned(work, middleware)
    waiter = asyncio.create_task(wait_shielded(app))
    assert await still_waiting(waiter)
    work.release.set()
    await asyncio.wait_for(waiter, 5)
    assert work.finished.is_set()


async def test_wait_shielded_ignores_other_middlewares() -> None:
    class Plain:
        __slots__ = ()  # not a function, and no weak reference can be made to it

        async def __call__(
            self, request: web.Request, handler: Handler
        ) -> web.StreamResponse:
            return await handler(request)  # pragma: no cover

    app = web.Application(middlewares=[remember_task, Plain()])
    await asyncio.wait_for(wait_shielded(app), 1)


# Configuration


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs methods or urls, got neither"),
        ({"ignore": ["/a"]}, "needs methods or urls, got neither"),
        ({"methods": ["POST"], "urls": ["/a"]}, "methods or urls, not both"),
        ({"urls": ["/a"], "ignore": ["/b"]}, "ignore with methods only, not with urls"),
    ],
)
def test_wrong_combination_is_refused_saying_which(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        shield_middleware(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"methods": "POST"}, "methods"),
        ({"methods": [1]}, "methods"),
        ({"urls": [42]}, "urls"),
        ({"urls": {"/a": 42}}, "urls"),
        ({"methods": ["POST"], "ignore": "/a"}, "ignore"),
    ],
)
def test_bad_argument_is_refused_naming_it(
    kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError, match=argument):
        shield_middleware(**kwargs)


def test_middleware_is_new_style() -> None:
    middleware = shield_middleware(methods=IDEMPOTENT_METHODS)
    assert getattr(middleware, "__middleware_version__", None) == 1
