"""Property tests of how https_middleware reads Forwarded and X-Forwarded-Proto.

The middleware runs on mocked requests here, so that hypothesis can try many
header values quickly, including values larger than a real server accepts.
No test has a deadline: the machines that run them are shared, and a slow
example is no failure.
"""

from __future__ import annotations

import string

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_middlewares import https_middleware
from aiohttp_middlewares.annotations import Middleware

TCHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
FORWARDED = https_middleware({"Forwarded": "https"})
X_FORWARDED_PROTO = https_middleware()

tokens = st.text(TCHARS, min_size=1, max_size=12)
# Characters a quoted-string may hold (escaped or not): no controls but HTAB.
quotable = st.characters(blacklist_categories=["Cs", "Cc"]) | st.just("\t")
values = st.text(quotable, max_size=12)
pairs = st.lists(
    st.tuples(tokens.filter(lambda name: name.lower() != "proto"), values),
    max_size=3,
    unique_by=lambda pair: pair[0].lower(),
)


async def scheme(middleware: Middleware, headers: list[tuple[str, str]]) -> str:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.scheme)

    response = await middleware(make_mocked_request("GET", "/", headers), handler)
    assert isinstance(response, web.Response)
    return str(response.text)


@st.composite
def serialized(draw: st.DrawFn, value: str) -> str:
    """*value* as a token when it can be one, else as a quoted-string."""
    if value and all(char in TCHARS for char in value) and draw(st.booleans()):
        return value
    # Any character may be escaped; '"' and '\\' must be.
    escape_all = draw(st.booleans())
    return (
        '"'
        + "".join(
            "\\" + char if escape_all or char in '"\\' else char for char in value
        )
        + '"'
    )


@st.composite
def elements(draw: st.DrawFn) -> tuple[str, str | None]:
    """One Forwarded element, and its proto (None when it has none)."""
    items = draw(pairs)
    proto = draw(st.none() | st.sampled_from(["https", "HTTPS", "http"]) | values)
    if proto is not None:
        name = draw(st.sampled_from(["proto", "Proto", "PROTO"]))
        items.insert(draw(st.integers(0, len(items))), (name, proto))
    text = ";".join(f"{name}={draw(serialized(value))}" for name, value in items)
    return text, proto


@st.composite
def forwarded(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str | None]:
    """Forwarded header lines, and the proto of the last non-empty element."""
    drawn = draw(st.lists(elements() | st.just(("", None)), min_size=1, max_size=5))
    last = next((proto for text, proto in reversed(drawn) if text), None)
    texts = [text for text, _ in drawn]
    cut = draw(st.integers(1, len(texts)))
    separator = draw(st.sampled_from([",", ", ", " , ", ",\t"]))
    lines = [texts[:cut], texts[cut:]] if cut < len(texts) else [texts]
    return [("Forwarded", separator.join(line)) for line in lines], last


@settings(deadline=None)
@given(forwarded())
async def test_forwarded_last_hop_decides(
    header: tuple[list[tuple[str, str]], str | None],
) -> None:
    lines, last = header
    expected = "https" if last is not None and last.lower() == "https" else "http"
    assert await scheme(FORWARDED, lines) == expected


@settings(deadline=None)
@given(forwarded())
async def test_forwarded_proto_round_trips(
    header: tuple[list[tuple[str, str]], str | None],
) -> None:
    lines, last = header
    if last is not None:
        assert await scheme(https_middleware({"Forwarded": last}), lines) == "https"


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(["https", "HTTPS", "http", "wss"]) | tokens, min_size=1),
    st.sampled_from([",", ", ", " ,"]),
    st.booleans(),
)
async def test_x_forwarded_proto_last_value_decides(
    protos: list[str], separator: str, one_line: bool
) -> None:
    if one_line:
        lines = [("X-Forwarded-Proto", separator.join(protos))]
    else:
        lines = [("X-Forwarded-Proto", proto) for proto in protos]
    expected = "https" if protos[-1].lower() == "https" else "http"
    assert await scheme(X_FORWARDED_PROTO, lines) == expected


@settings(deadline=None)
@given(st.text(), st.sampled_from(["Forwarded", "X-Forwarded-Proto"]))
async def test_arbitrary_text_never_raises(value: str, name: str) -> None:
    lines = [(name, value)]
    assert await scheme(https_middleware({name: "https"}), lines) in {"http", "https"}


@settings(deadline=None, max_examples=25)
@given(
    st.text(min_size=1, max_size=8),
    st.integers(10_000, 200_000),
    st.sampled_from(["Forwarded", "X-Forwarded-Proto"]),
)
async def test_huge_values_never_raise(fragment: str, count: int, name: str) -> None:
    lines = [(name, "proto=https;" + fragment * count)]
    assert await scheme(https_middleware({name: "https"}), lines) in {"http", "https"}
