"""The shared matching module: rules, compiled form, configuration errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from aiohttp_middlewares import utils
from aiohttp_middlewares.annotations import Url, UrlDict
from aiohttp_middlewares.utils import (
    compile_url_map,
    compile_urls,
    match_path,
    match_request,
    to_str_tuple,
    to_tuple,
)


def test_str_matches_equal_path() -> None:
    assert match_path("/api", "/api")


def test_str_does_not_match_prefix() -> None:
    assert not match_path("/api", "/api/users")


def test_url_matches_by_its_string() -> None:
    assert match_path(URL("/api/users"), "/api/users")
    assert not match_path(URL("/api/users"), "/api")


def test_regex_is_anchored_at_start_only() -> None:
    pattern = re.compile(r"/api/")
    assert match_path(pattern, "/api/users")
    assert not match_path(pattern, "/v1/api/users")


def test_other_types_never_match() -> None:
    assert not match_path(42, "42")  # type: ignore[arg-type]
    assert not match_path(re.compile(rb"/"), "/")  # type: ignore[arg-type]


def test_collection_matches_when_any_item_matches() -> None:
    urls: list[Url] = ["/a", re.compile(r"^/b/\d+$")]
    assert match_request(urls, "GET", "/a")
    assert match_request(urls, "GET", "/b/12")
    assert not match_request(urls, "GET", "/c")


def test_dict_matches_method_of_matching_key() -> None:
    urls = {"/slow": ["POST"], "/export": "get"}
    assert match_request(urls, "POST", "/slow")
    assert not match_request(urls, "GET", "/slow")
    assert match_request(urls, "GET", "/export")


def test_dict_methods_are_case_insensitive() -> None:
    assert match_request({"/a": ["post"]}, "POST", "/a")
    assert match_request({"/a": ["POST"]}, "post", "/a")
    assert compile_urls({"/a": ["post"]})("POST", "/a")
    assert compile_urls({"/a": ["POST"]})("post", "/a")


def test_dict_naming_get_matches_head_too() -> None:
    # aiohttp answers HEAD with the GET handler (RFC 9110, section 9.3.2).
    urls = {"/api": "GET", "/other": ["post"]}
    assert match_request(urls, "HEAD", "/api")
    assert compile_urls(urls)("HEAD", "/api")
    assert not match_request(urls, "HEAD", "/other")
    assert not compile_urls(urls)("HEAD", "/other")


def test_dict_first_matching_key_decides() -> None:
    urls: UrlDict = {re.compile(r"^/api/"): ["GET"], "/api/export": ["POST"]}
    assert not match_request(urls, "POST", "/api/export")
    assert not compile_urls(urls)("POST", "/api/export")
    assert compile_urls(urls)("GET", "/api/export")


def test_dict_exact_key_before_regex_decides() -> None:
    urls: UrlDict = {"/api/export": ["POST"], re.compile(r"^/api/"): ["GET"]}
    assert compile_urls(urls)("POST", "/api/export")
    assert not compile_urls(urls)("GET", "/api/export")
    assert compile_urls(urls)("GET", "/api/other")


def test_compiled_collection_matches_exact_url_and_regex() -> None:
    match = compile_urls([URL("/a"), "/b", re.compile(r"/c")])
    assert match("GET", "/a")
    assert match("GET", "/b")
    assert match("GET", "/cat")
    assert not match("GET", "/d")


def test_empty_collection_matches_nothing() -> None:
    assert not compile_urls([])("GET", "/")


@pytest.mark.parametrize("urls", ["/api", b"/api"])
def test_bare_string_is_refused_naming_argument(urls: object) -> None:
    with pytest.raises(TypeError, match=r"^ignore must be a collection"):
        compile_urls(urls, argument="ignore")  # type: ignore[arg-type]


def test_non_iterable_is_refused_naming_argument() -> None:
    with pytest.raises(TypeError, match=r"^urls must be a collection"):
        compile_urls(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [42, None, ("/a",)])
def test_bad_key_is_refused_naming_argument(key: object) -> None:
    with pytest.raises(TypeError, match=r"^urls holds .*str, a compiled regex"):
        compile_urls([key])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^urls holds"):
        compile_urls({key: "GET"})  # type: ignore[dict-item]


def test_bytes_regex_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^ignore holds a bytes regex"):
        compile_urls([re.compile(rb"/")], argument="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("methods", [42, None, ["GET", 1], b"GET"])
def test_bad_methods_are_refused_naming_argument(methods: object) -> None:
    with pytest.raises(TypeError, match=r"^ignore\['/a'\] must be a method name"):
        compile_urls({"/a": methods}, argument="ignore")


@pytest.mark.parametrize(
    "urls", [[re.compile(r"/p\d+$")], {re.compile(r"/p\d+$"): "GET"}]
)
def test_cache_stays_bounded(urls: object) -> None:
    match = compile_urls(urls)  # type: ignore[arg-type]
    for number in range(utils.CACHE_SIZE + 1):
        assert match("GET", f"/p{number}")
    assert match.cache_info().currsize == utils.CACHE_SIZE
    assert not match("GET", "/p")
    assert match("GET", "/p0")  # forgotten, asked again: the same answer


def test_cache_answers_a_known_path_without_the_regex() -> None:
    match = compile_urls([re.compile(r"/a+$")])
    assert match("GET", "/aa")
    assert match("POST", "/aa")
    assert match.cache_info().hits == 1


def test_cache_answers_long_paths_without_keeping_them() -> None:
    match = compile_urls({re.compile(r"/a+$"): ["GET"]})
    long_path = "/" + "a" * utils.CACHE_PATH_LENGTH
    assert match("GET", long_path)
    assert match("GET", long_path)
    assert not match("POST", long_path)
    assert match.cache_info().currsize == 0


def test_exact_paths_need_no_cache() -> None:
    match = compile_urls({"/a": "GET", "/b": ["PUT"]})
    assert match("get", "/a")
    assert not match("GET", "/b")
    assert match.cache_info().currsize == 0


def test_methods_for_names_the_first_matching_keys_methods() -> None:
    match = compile_urls({re.compile(r"^/a"): "GET", "/ab": ["PUT"], "/c": ["POST"]})
    assert match.methods_for("/ab") == frozenset({"GET", "HEAD"})
    assert match.methods_for("/c") == frozenset({"POST"})
    assert match.methods_for("/d") == frozenset()
    assert compile_urls(["/x"]).methods_for("/x") is None


def seconds(value: object, name: str) -> float:
    assert isinstance(value, int | float), name
    return float(value)


def test_url_map_gives_the_value_of_the_first_matching_key() -> None:
    url_map = compile_url_map(
        {re.compile(r"^/api/"): 1, "/api/export": 2, URL("/x"): 3},
        seconds,
        0.5,
        argument="limits",
    )
    assert url_map.get("/api/export") == 1.0  # the regex comes first
    assert url_map.get("/x") == 3.0
    assert url_map.get("/other") == 0.5
    assert url_map.cache_info().currsize == 3


def test_url_map_names_the_key_of_a_refused_value() -> None:
    names: list[str] = []

    def refuse(value: object, name: str) -> float:
        names.append(name)
        raise ValueError(name)

    with pytest.raises(ValueError, match=r"^limits\['/a'\]$"):
        compile_url_map({"/a": 1}, refuse, 0.0, argument="limits")
    assert names == ["limits['/a']"]


@pytest.mark.parametrize("urls", [["/a"], "/a", None])
def test_url_map_must_be_a_dict_naming_argument(urls: object) -> None:
    with pytest.raises(TypeError, match=r"^limits must be a dict keyed by URL"):
        compile_url_map(urls, seconds, 0.0, argument="limits")


def test_url_map_refuses_a_bad_key_naming_argument() -> None:
    with pytest.raises(TypeError, match=r"^limits holds int 42"):
        compile_url_map({42: 1}, seconds, 0.0, argument="limits")


def test_to_tuple_keeps_order() -> None:
    assert to_tuple(iter(["b", "a"]), "x") == ("b", "a")


def test_to_str_tuple_returns_strings() -> None:
    assert to_str_tuple({"accept": 1}, "allow_headers") == ("accept",)


def test_to_str_tuple_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match=r"^allow_headers must hold strings only"):
        to_str_tuple(["accept", 1], "allow_headers")


# Property: the compiled matcher answers as match_request does, for random
# configurations over a small alphabet so that collisions (an exact key and a
# regex matching the same path, repeated keys) are common.
PATHS = st.text(alphabet="/ab1", min_size=1, max_size=5)
METHODS = st.sampled_from(["GET", "get", "Post", "POST", "PUT", "delete", "HEAD"])
REGEXES = st.builds(
    lambda prefix, suffix: re.compile(re.escape(prefix) + suffix),
    PATHS,
    st.sampled_from(["", "$", r"\d", ".*", "[ab]+$"]),
)
URLS = st.one_of(PATHS, PATHS.map(URL), REGEXES)
METHOD_VALUES = st.one_of(
    METHODS, st.lists(METHODS, max_size=3), st.frozensets(METHODS)
)


@given(
    urls=st.one_of(
        st.lists(URLS, max_size=6),
        st.dictionaries(URLS, METHOD_VALUES, max_size=6),
    ),
    requests=st.lists(st.tuples(METHODS, PATHS), min_size=1, max_size=8),
)
def test_compiled_matcher_equals_match_request(
    urls: object, requests: list[tuple[str, str]]
) -> None:
    # One matcher answers several requests, each twice: answers it remembers
    # (the memo of regex matches) stay the same as fresh ones.
    match = compile_urls(urls)  # type: ignore[arg-type]
    for method, path in requests * 2:
        assert match(method, path) == match_request(urls, method, path)  # type: ignore[arg-type]
