"""The package's public face: exported names, constants, type information."""

from __future__ import annotations

from pathlib import Path

import aiohttp_middlewares
from aiohttp_middlewares import IDEMPOTENT_METHODS, NON_IDEMPOTENT_METHODS

from .helpers import ROOT, package_imported_from

PUBLIC_NAMES = {
    "IDEMPOTENT_METHODS",
    "NON_IDEMPOTENT_METHODS",
    "REQUEST_ID_KEY",
    "ProxyAccessLogger",
    "RequestIdFilter",
    "cors_middleware",
    "current_request_id",
    "default_error_handler",
    "error_context",
    "error_middleware",
    "get_error_response",
    "https_middleware",
    "match_path",
    "problem_error_handler",
    "proxy_middleware",
    "request_id_middleware",
    "request_id_on_response_prepare",
    "shield_middleware",
    "timeout_middleware",
    "wait_shielded",
}


def test_all_lists_the_public_names() -> None:
    assert set(aiohttp_middlewares.__all__) == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(aiohttp_middlewares, name) is not None


def test_method_constants_are_tuples_in_the_documented_order() -> None:
    assert IDEMPOTENT_METHODS == ("GET", "HEAD", "OPTIONS", "TRACE")
    assert NON_IDEMPOTENT_METHODS == ("DELETE", "PATCH", "POST", "PUT")


def test_method_constants_extend_with_plus() -> None:
    assert NON_IDEMPOTENT_METHODS + ("PURGE",) == (  # noqa: RUF005  # "+" is the test
        "DELETE",
        "PATCH",
        "POST",
        "PUT",
        "PURGE",
    )


def test_method_constants_index_and_test_membership() -> None:
    assert IDEMPOTENT_METHODS[0] == "GET"
    assert NON_IDEMPOTENT_METHODS[-1] == "PUT"
    assert "POST" in NON_IDEMPOTENT_METHODS
    assert "POST" not in IDEMPOTENT_METHODS


def test_version_sorts_above_the_published_3_0_0() -> None:
    from packaging.version import Version

    assert Version(aiohttp_middlewares.__version__) > Version("3.0.0")


def test_version_is_defined_in_the_package() -> None:
    assert aiohttp_middlewares.__version__[0].isdigit()


def test_ships_py_typed() -> None:
    assert (Path(aiohttp_middlewares.__file__).parent / "py.typed").is_file()


def test_imports_from_a_plain_checkout(tmp_path: Path) -> None:
    # An interpreter with site-packages isolated from ours (-S would drop aiohttp,
    # so copy only the checkout's package onto PYTHONPATH and check it wins).
    assert package_imported_from(ROOT, tmp_path) == ROOT / "aiohttp_middlewares"


def test_imports_nothing_private_from_aiohttp() -> None:
    for source in (ROOT / "aiohttp_middlewares").glob("*.py"):
        text = source.read_text()
        assert "aiohttp._" not in text, source
        assert "from aiohttp import _" not in text, source
        assert "web._" not in text, source
