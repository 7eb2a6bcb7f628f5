"""request_id_middleware checks its arguments when the factory is called.

A bad argument fails at once with a TypeError or a ValueError naming it, not
at the first request.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from aiohttp_middlewares import request_id_middleware


@pytest.mark.parametrize(
    "header",
    ["", "X Request ID", "X-Request-ID:", "X-Id\r\nX-Evil", "X-\u00efd", "X(Id)"],
    ids=repr,
)
def test_header_that_is_not_a_token_is_a_value_error(header: str) -> None:
    with pytest.raises(ValueError, match=r"^header must be a header name"):
        request_id_middleware(header=header)


# RFC 9110, section 5.6.2: a token is one or more of these.
TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_every_token_character_makes_a_header_name() -> None:
    assert callable(request_id_middleware(header=TCHARS))


@pytest.mark.parametrize(
    "char", sorted(set(map(chr, range(0x100))) - set(TCHARS)), ids=ascii
)
def test_every_other_character_is_refused_in_a_header_name(char: str) -> None:
    with pytest.raises(ValueError, match=r"^header must be a header name"):
        request_id_middleware(header=f"X-{char}-Id")


@pytest.mark.parametrize("header", [b"X-Request-ID", 42, None], ids=repr)
def test_header_that_is_not_a_str_is_a_type_error(header: Any) -> None:
    with pytest.raises(TypeError, match=r"^header must be a str"):
        request_id_middleware(header=header)


@pytest.mark.parametrize("argument", ["generator", "validator"])
@pytest.mark.parametrize("value", ["uuid4", 42, ["f"]], ids=repr)
def test_function_argument_that_is_not_callable_is_a_type_error(
    argument: str, value: Any
) -> None:
    with pytest.raises(TypeError, match=f"^{argument} must be callable"):
        request_id_middleware(**{argument: value})


@pytest.mark.parametrize("value", ["false", 0, 1, None], ids=repr)
def test_keep_incoming_must_be_a_bool(value: object) -> None:
    with pytest.raises(TypeError, match=r"^keep_incoming must be True or False"):
        request_id_middleware(keep_incoming=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("proxies", "error", "message"),
    [
        ("10.0.0.1", TypeError, r"^trusted_proxies must be a collection"),
        (42, TypeError, r"^trusted_proxies must be a collection"),
        ([b"10.0.0.1"], TypeError, r"^trusted_proxies holds bytes"),
        (["10.0.0.300"], ValueError, r"^trusted_proxies holds '10.0.0.300'"),
        (["proxy.internal"], ValueError, r"^trusted_proxies holds"),
    ],
    ids=repr,
)
def test_bad_trusted_proxies_fail_naming_the_argument(
    proxies: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_id_middleware(trusted_proxies=proxies)


@pytest.mark.parametrize(
    "proxies",
    [["10.0.0.0/8", "::1"], "*", [ipaddress.ip_network("192.0.2.0/24")], ()],
    ids=repr,
)
def test_every_form_of_trusted_proxies_is_accepted(proxies: Any) -> None:
    assert callable(request_id_middleware(trusted_proxies=proxies))


def test_trusted_proxies_without_keeping_incoming_ids_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^trusted_proxies decides whose ids"):
        request_id_middleware(keep_incoming=False, trusted_proxies=["10.0.0.0/8"])


def test_validator_refusing_the_default_ids_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^validator refuses the uuid4 hex ids"):
        request_id_middleware(validator=lambda value: value.startswith("req-"))


def test_validator_refusing_the_default_ids_is_fine_with_a_generator() -> None:
    middleware = request_id_middleware(
        generator=lambda: "req-1", validator=lambda value: value.startswith("req-")
    )
    assert callable(middleware)
