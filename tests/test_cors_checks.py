"""Origins decided at run time: callables in ``origins``, sync or async."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_ALLOW_CREDENTIALS,
    ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_REQUEST_METHOD,
    OriginCheck,
    cors_middleware,
    cors_on_response_prepare,
)

from .helpers import (
    CORS_LOGGER,
    ORIGIN,
    OTHER,
    api_app,
    cors_headers,
    event_stream,
    serve,
)

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

TENANT = "https://acme.tenant.example"
PREFLIGHT = {ACCESS_CONTROL_REQUEST_METHOD: "PUT"}


class Calls:
    """Checks that record each call, answering as told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str]] = []

    def sync(self, name: str, answer: object) -> OriginCheck:
        def check(request: web.Request, origin: str) -> bool:
            self.seen.append((name, request.method, request.path, origin))
            return answer  # type: ignore[return-value]  # wrong on purpose too

        return check

    def async_(self, name: str, answer: bool) -> OriginCheck:
        async def check(request: web.Request, origin: str) -> bool:
            self.seen.append((name, request.method, request.path, origin))
            return answer

        return check

    def raising(self, name: str) -> OriginCheck:
        def check(request: web.Request, origin: str) -> bool:
            self.seen.append((name, request.method, request.path, origin))
            raise LookupError("tenant database is down")

        return check

    @property
    def names(self) -> list[str]:
        return [name for name, *_ in self.seen]


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_check_allows_an_origin_it_accepts(
    aiohttp_client: AiohttpClient, calls: Calls, kind: str
) -> None:
    check = calls.sync("c", True) if kind == "sync" else calls.async_("c", True)
    client = await serve(aiohttp_client, origins=[check], allow_credentials=True)
    response = await client.get("/", headers={"Origin": TENANT})
    assert cors_headers(response.headers) == {
        "access-control-allow-origin": TENANT,
        "access-control-allow-credentials": "true",
    }
    assert calls.seen == [("c", "GET", "/", TENANT)]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_check_refuses_an_origin_it_rejects(
    aiohttp_client: AiohttpClient, calls: Calls, kind: str
) -> None:
    check = calls.sync("c", False) if kind == "sync" else calls.async_("c", False)
    client = await serve(aiohttp_client, origins=[check])
    response = await client.get("/", headers={"Origin": TENANT})
    assert await response.text() == "hello"
    assert cors_headers(response.headers) == {}
    assert response.headers["Vary"] == "Origin"


async def test_a_check_gets_the_origin_as_sent(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("c", True)])
    response = await client.get("/", headers={"Origin": "HTTPS://Acme.example:443"})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == "HTTPS://Acme.example:443"
    assert calls.seen == [("c", "GET", "/", "HTTPS://Acme.example:443")]


async def test_exact_origins_and_regexes_are_tried_before_checks(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[
            calls.sync("c", True),
            ORIGIN,
            re.compile(r"^https://[a-z]+\.regex\.example$"),
        ],
    )
    await client.get("/", headers={"Origin": ORIGIN})
    await client.get("/", headers={"Origin": "https://a.regex.example"})
    assert calls.seen == []
    await client.get("/", headers={"Origin": TENANT})
    assert calls.names == ["c"]


async def test_checks_are_tried_in_order_until_one_allows(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[
            calls.sync("first", False),
            calls.async_("second", True),
            calls.sync("third", True),
        ],
    )
    response = await client.get("/", headers={"Origin": TENANT})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT
    assert calls.names == ["first", "second"]


async def test_a_failing_check_is_logged_and_counts_as_its_refusal(
    aiohttp_client: AiohttpClient, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(
        aiohttp_client, origins=[calls.raising("broken"), calls.sync("next", True)]
    )
    with caplog.at_level(logging.ERROR, logger=CORS_LOGGER):
        response = await client.get("/", headers={"Origin": TENANT})
    assert response.status == 200
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT
    assert calls.names == ["broken", "next"]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], LookupError)
    assert "check" in record.getMessage()
    assert repr(TENANT) in record.getMessage()


async def test_only_failing_checks_refuse_without_a_5xx(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(aiohttp_client, origins=[calls.raising("broken")])
    actual = await client.get("/", headers={"Origin": TENANT})
    preflight = await client.options("/", headers={"Origin": TENANT, **PREFLIGHT})
    assert actual.status == 200
    assert cors_headers(actual.headers) == {}
    assert preflight.status == 403


@pytest.mark.parametrize("answer", [None, 1, "yes", [TENANT]])
async def test_a_check_answering_no_bool_is_logged_and_refuses(
    aiohttp_client: AiohttpClient,
    calls: Calls,
    caplog: pytest.LogCaptureFixture,
    answer: object,
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("odd", answer)])
    with caplog.at_level(logging.ERROR, logger=CORS_LOGGER):
        response = await client.get("/", headers={"Origin": TENANT})
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "not True or False" in record.getMessage()


async def test_preflights_use_the_checks(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(
        aiohttp_client,
        origins=[calls.async_("tenants", True)],
        allow_credentials=True,
    )
    response = await client.options("/items", headers={"Origin": TENANT, **PREFLIGHT})
    assert response.status == 200
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT
    assert response.headers[ACCESS_CONTROL_ALLOW_CREDENTIALS] == "true"
    assert calls.seen == [("tenants", "OPTIONS", "/items", TENANT)]


async def test_a_refusing_check_refuses_the_preflight(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("tenants", False)])
    response = await client.options("/", headers={"Origin": TENANT, **PREFLIGHT})
    assert response.status == 403
    assert cors_headers(response.headers) == {}


async def test_the_prepare_callback_uses_the_checks(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"tick")
        return response

    app = api_app(cors_middleware(origins=[calls.async_("tenants", True)]))
    app.router.add_get("/stream", stream)
    app.on_response_prepare.append(cors_on_response_prepare)
    client = await aiohttp_client(app)
    response = await client.get("/stream", headers={"Origin": TENANT})
    assert await response.text() == "tick"
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": ""}, {"Origin": "https://é.example"}],
    ids=["no-origin", "empty", "non-ascii"],
)
async def test_checks_never_see_a_missing_or_unsendable_origin(
    aiohttp_client: AiohttpClient, calls: Calls, headers: dict[str, str]
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("c", True)])
    response = await client.get("/", headers=headers)
    assert response.status == 200
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    assert calls.seen == []


@pytest.mark.parametrize(
    "origin",
    [
        "https://a b, https://acme.tenant.example",
        "https://a.tenant.example,https://acme.tenant.example",
        "https://acme.tenant.example/path",
        "https://user@acme.tenant.example",
        "acme.tenant.example",
    ],
)
async def test_checks_never_see_what_no_browser_sends_as_an_origin(
    aiohttp_client: AiohttpClient, calls: Calls, origin: str
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("c", True)])
    response = await client.get("/", headers={"Origin": origin})
    assert response.status == 200
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    assert calls.seen == []


@pytest.mark.parametrize(
    "origin", ["null", "http://[::1]:8080", "https://xn--bcher-kva.example"]
)
async def test_checks_see_every_origin_a_browser_sends(
    aiohttp_client: AiohttpClient, calls: Calls, origin: str
) -> None:
    client = await serve(aiohttp_client, origins=[calls.sync("c", True)])
    response = await client.get("/", headers={"Origin": origin})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == origin
    assert calls.names == ["c"]


@pytest.mark.parametrize("path", ["/stream", "/broken"], ids=["stream", "aiohttp-500"])
async def test_the_prepare_callback_asks_no_check_again(
    aiohttp_client: AiohttpClient, calls: Calls, path: str
) -> None:
    # The middleware asked the check; the callback, which gives these answers
    # their headers, reuses its decision (a check may query a database).
    app = api_app(cors_middleware(origins=[calls.async_("tenants", True)]))
    app.router.add_get("/stream", event_stream)
    app.on_response_prepare.append(cors_on_response_prepare)
    client = await aiohttp_client(app)
    response = await client.get(path, headers={"Origin": TENANT})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT
    assert calls.names == ["tenants"]


async def test_each_request_asks_the_checks_afresh(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    # Two requests on one keep-alive connection: no decision carries over.
    client = await serve(aiohttp_client, origins=[calls.sync("c", True)])
    for _ in range(2):
        response = await client.get("/", headers={"Origin": TENANT})
        assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == TENANT
    assert calls.names == ["c", "c"]


async def test_checks_are_not_called_with_allow_all(
    aiohttp_client: AiohttpClient, calls: Calls
) -> None:
    client = await serve(aiohttp_client, allow_all=True, origins=[calls.sync("c", 0)])
    response = await client.get("/", headers={"Origin": OTHER})
    assert response.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == "*"
    assert calls.seen == []


async def test_a_check_can_decide_from_the_request_host(
    aiohttp_client: AiohttpClient,
) -> None:
    def same_tenant(request: web.Request, origin: str) -> bool:
        # acme.api.example is called by https://acme.example.
        return origin == f"https://{request.host.split('.')[0]}.example"

    client = await serve(aiohttp_client, origins=[same_tenant])
    allowed = await client.get(
        "/", headers={"Origin": "https://acme.example", "Host": "acme.api.example"}
    )
    other_tenant = await client.get(
        "/", headers={"Origin": "https://acme.example", "Host": "beta.api.example"}
    )
    assert allowed.headers[ACCESS_CONTROL_ALLOW_ORIGIN] == "https://acme.example"
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in other_tenant.headers


@pytest.mark.parametrize(
    "check",
    [lambda origin: True, lambda request, origin, extra: True, lambda: True],
    ids=["one-argument", "three-arguments", "none"],
)
def test_a_check_that_cannot_take_request_and_origin_is_a_type_error(
    check: OriginCheck,
) -> None:
    with pytest.raises(TypeError, match=r"^origins holds .*check\(request, origin\)"):
        cors_middleware(origins=[check])


async def test_a_callable_without_a_signature_is_accepted_and_fails_softly(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    # max() has no introspectable signature: it is trusted at factory time,
    # and comparing a request with a str then raises at run time.
    client = await serve(aiohttp_client, origins=[max])
    with caplog.at_level(logging.ERROR, logger=CORS_LOGGER):
        response = await client.get("/", headers={"Origin": TENANT})
    assert response.status == 200
    assert ACCESS_CONTROL_ALLOW_ORIGIN not in response.headers
    [record] = caplog.records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], TypeError)
