"""error_middleware checks its arguments when the factory is called.

A bad argument fails at once with a TypeError naming it, not at the first
error of a request.
"""

from __future__ import annotations

from typing import Any

import pytest

from aiohttp_middlewares import error_middleware

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
    ],
    ids=repr,
)
def test_bad_configuration_fails_naming_the_argument(
    options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError, match=f"^{argument}"):
        error_middleware(**options)
