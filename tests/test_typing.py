"""What a user's type checker sees: ``make typecheck`` runs ``mypy --strict`` here.

The quick start and one call of each factory type check as a user writes them.
Misuse is a type error: each ``# type: ignore[...]`` below marks one, and
mypy fails the run if the ignore is not needed (``warn_unused_ignores``, part
of ``--strict``). At run time the same calls run, so the file stays valid code.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from aiohttp_middlewares import (
    IDEMPOTENT_METHODS,
    NON_IDEMPOTENT_METHODS,
    RequestIdFilter,
    cors_middleware,
    current_request_id,
    default_error_handler,
    error_context,
    error_middleware,
    https_middleware,
    problem_error_handler,
    proxy_middleware,
    request_id_middleware,
    request_id_on_response_prepare,
    shield_middleware,
    timeout_middleware,
    wait_shielded,
)
from aiohttp_middlewares.annotations import Handler, Middleware
from aiohttp_middlewares.error import ERROR_KEY

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: Any, kind: Any) -> Any:
        return value


def quick_start() -> web.Application:
    # The README's quick start, as a user copies it into a file.
    app = web.Application(
        middlewares=[
            request_id_middleware(),
            proxy_middleware(trusted_proxies=["127.0.0.1", "::1"]),
            cors_middleware(origins=["https://app.example.com"]),
            error_middleware(),
            timeout_middleware(29.5),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    app.on_response_prepare.append(request_id_on_response_prepare)
    return app


def test_quick_start_builds_an_application() -> None:
    assert len(quick_start().middlewares) == 6


def test_every_factory_returns_a_middleware() -> None:
    made = [
        assert_type(
            cors_middleware(allow_all=True, urls=[re.compile("^/api/")]), Middleware
        ),
        assert_type(
            error_middleware(default_handler=problem_error_handler), Middleware
        ),
        assert_type(https_middleware({"Forwarded": "https"}), Middleware),
        assert_type(
            proxy_middleware(trusted_proxies=["10.0.0.0/8"], forwarded=True),
            Middleware,
        ),
        assert_type(timeout_middleware(5, ignore={"/slow": "POST"}), Middleware),
        assert_type(shield_middleware(urls={"/save": ["POST"]}), Middleware),
        assert_type(
            request_id_middleware(generator=lambda: "id", validator=str.isalnum),
            Middleware,
        ),
    ]
    assert all(callable(middleware) for middleware in made)


@web.middleware
async def own_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)


def test_own_middlewares_sit_beside_ours() -> None:
    app = web.Application(middlewares=[own_middleware, error_middleware()])
    app.on_shutdown.append(wait_shielded)
    assert app.middlewares[0] is own_middleware


async def json_errors(request: web.Request) -> web.StreamResponse:
    with error_context(request) as context:
        assert_type(context.status, int)
        err: Exception = request[ERROR_KEY]
        assert err is context.err
        return web.json_response(context.data, status=context.status)


def test_error_handlers_have_the_handler_shape() -> None:
    handler: Handler = default_error_handler
    assert handler is default_error_handler
    assert callable(
        error_middleware(default_handler=json_errors, config={"/": json_errors})
    )


def test_method_constants_are_tuples_of_str() -> None:
    assert_type(IDEMPOTENT_METHODS, tuple[str, ...])
    assert_type(NON_IDEMPOTENT_METHODS + ("PURGE",), tuple[str, ...])  # noqa: RUF005


def test_seconds_as_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="seconds"):
        timeout_middleware("5")  # type: ignore[arg-type]


async def wrong_shape(request: web.Request, extra: int) -> web.Response:
    return web.Response(text=str(extra))


def test_a_handler_of_the_wrong_shape_is_a_type_error() -> None:
    # Callable, so accepted at run time; wrong for the type checker.
    assert callable(error_middleware(default_handler=wrong_shape))  # type: ignore[arg-type]


def test_origins_as_a_bare_string_is_refused() -> None:
    # A str is a Collection[str] to a type checker: the factory refuses it.
    with pytest.raises(TypeError, match="origins"):
        cors_middleware(origins="https://app.example.com")


def test_request_id_pieces_have_their_types() -> None:
    assert isinstance(RequestIdFilter(), logging.Filter)
    assert assert_type(current_request_id(), str | None) is None


def test_a_generator_returning_no_str_is_a_type_error() -> None:
    # Callable, so accepted at run time; each request then gets a uuid4.
    assert callable(request_id_middleware(generator=lambda: 42))  # type: ignore[arg-type, return-value]
