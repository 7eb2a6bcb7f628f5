"""error_middleware checks its arguments when the factory is called.

A bad argument fails at once with a TypeError or ValueError naming it, not
at the first error of a request; get_error_response checks the same way.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from aiohttp_middlewares import error_middleware, get_error_response

from .helpers import answering


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"default_handler": "handler"}, "default_handler"),
        ({"config": [("/", answering("x"))]}, "config"),
        ({"config": {b"/": answering("x")}}, "config"),
        ({"config": {"/": None}}, r"config\['/'\]"),
        ({"ignore_exceptions": ValueError("x")}, "ignore_exceptions"),
        ({"ignore_exceptions": (ValueError, 1)}, "ignore_exceptions"),
        ({"ignore_exceptions": "ValueError"}, "ignore_exceptions"),
        ({"ignore_exceptions": int}, "ignore_exceptions"),
        ({"exception_handlers": [(KeyError, answering("x"))]}, "exception_handlers"),
        ({"exception_handlers": {"KeyError": answering("x")}}, "exception_handlers"),
        (
            {"exception_handlers": {KeyboardInterrupt: answering("x")}},
            "exception_handlers",
        ),
        ({"exception_handlers": {int: answering("x")}}, "exception_handlers"),
        ({"exception_handlers": {True: answering("x")}}, "exception_handlers"),
        (
            {"exception_handlers": {KeyError: None}},
            r"exception_handlers\[<class 'KeyError'>\]",
        ),
        ({"exception_handlers": {404: "page"}}, r"exception_handlers\[404\]"),
        ({"hide_unexpected_messages": "false"}, "hide_unexpected_messages"),
        ({"hide_unexpected_messages": 1}, "hide_unexpected_messages"),
    ],
    ids=repr,
)
def test_bad_configuration_fails_naming_the_argument(
    options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError, match=f"^{argument}"):
        error_middleware(**options)


@pytest.mark.parametrize("status", [200, 302, 399, 600, -404])
def test_status_key_that_is_no_error_status_fails_naming_it(status: int) -> None:
    with pytest.raises(
        ValueError, match=rf"^exception_handlers holds status {status}:"
    ):
        error_middleware(exception_handlers={status: answering("x")})


async def test_get_error_response_checks_its_arguments_too() -> None:
    request = make_mocked_request("GET", "/")
    with pytest.raises(TypeError, match=r"^hide_unexpected_messages"):
        await get_error_response(request, ValueError(), hide_unexpected_messages=None)  # type: ignore[arg-type]
