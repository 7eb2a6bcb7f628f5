"""Several cors_middleware in one application: one policy per path.

Disjoint ``urls`` give each path its own policy. Where ``urls`` overlap, the
outermost middleware covering a request decides for it, for the preflight and
the actual request alike: what an inner one answered is replaced.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware
from aiohttp_middlewares.annotations import Middleware
from aiohttp_middlewares.cors import (
    ACCESS_CONTROL_REQUEST_METHOD,
    cors_on_response_prepare,
)

from .helpers import ORIGIN, OTHER, cors_headers

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

API = re.compile(r"^/api/")
PUBLIC = re.compile(r"^/public/")


async def item(request: web.Request) -> web.Response:
    return web.Response(text="item", headers={"X-Total": "1"})


async def missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def varies(request: web.Request) -> web.Response:
    return web.Response(text="varies", headers={"Vary": "Accept-Encoding"})


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"tick")
    return response


def app_with(*middlewares: Middleware) -> web.Application:
    app = web.Application(middlewares=middlewares)
    for prefix in ("/api", "/public"):
        app.router.add_route("*", f"{prefix}/item", item)
        app.router.add_get(f"{prefix}/missing", missing)
        app.router.add_get(f"{prefix}/varies", varies)
        app.router.add_get(f"{prefix}/stream", stream)
    app.on_response_prepare.append(cors_on_response_prepare)
    return app


def disjoint() -> web.Application:
    return app_with(
        cors_middleware(
            origins=[ORIGIN], urls=[API], allow_credentials=True, max_age=60
        ),
        cors_middleware(allow_all=True, urls=[PUBLIC], allow_methods=["GET"]),
    )


def preflight(origin: str, method: str = "PUT") -> dict[str, str]:
    return {"Origin": origin, ACCESS_CONTROL_REQUEST_METHOD: method}


async def test_disjoint_policies_answer_actual_requests_by_path(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(disjoint())
    api = await client.get("/api/item", headers={"Origin": ORIGIN})
    public = await client.get("/public/item", headers={"Origin": OTHER})
    api_other = await client.get("/api/item", headers={"Origin": OTHER})
    assert cors_headers(api.headers) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }
    assert cors_headers(public.headers) == {"access-control-allow-origin": "*"}
    assert cors_headers(api_other.headers) == {}


async def test_disjoint_policies_answer_preflights_by_path(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(disjoint())
    api = await client.options("/api/item", headers=preflight(ORIGIN))
    public = await client.options("/public/item", headers=preflight(OTHER, "GET"))
    api_other = await client.options("/api/item", headers=preflight(OTHER))
    assert api.status == 200
    assert api.headers["Access-Control-Max-Age"] == "60"
    assert api.headers["Access-Control-Allow-Credentials"] == "true"
    assert public.status == 200
    assert cors_headers(public.headers) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET",
        "access-control-allow-headers": (
            "accept, accept-encoding, authorization, content-type, dnt, origin, "
            "user-agent, x-csrftoken, x-requested-with"
        ),
    }
    assert api_other.status == 403


def overlapping(*extra: Middleware) -> web.Application:
    # The outer instance allows ORIGIN without credentials; the inner one
    # allows ORIGIN and OTHER with credentials and exposed headers.
    return app_with(
        cors_middleware(origins=[ORIGIN], urls=[API]),
        *extra,
        cors_middleware(
            origins=[ORIGIN, OTHER],
            urls=[API],
            allow_credentials=True,
            expose_headers=["X-Total"],
        ),
    )


@pytest.mark.parametrize("path", ["/api/item", "/api/missing", "/api/stream"])
async def test_overlap_outer_refusal_holds_on_actual_requests(
    aiohttp_client: AiohttpClient, path: str
) -> None:
    client = await aiohttp_client(overlapping())
    response = await client.get(path, headers={"Origin": OTHER})
    await response.read()
    assert cors_headers(response.headers) == {}
    assert response.headers.getall("Vary") == ["Origin"]


async def test_overlap_outer_refusal_holds_on_preflights(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(overlapping())
    response = await client.options("/api/item", headers=preflight(OTHER))
    assert response.status == 403
    assert cors_headers(response.headers) == {}


@pytest.mark.parametrize("path", ["/api/item", "/api/missing", "/api/stream"])
async def test_overlap_outer_grant_replaces_the_inner_one(
    aiohttp_client: AiohttpClient, path: str
) -> None:
    client = await aiohttp_client(overlapping())
    response = await client.get(path, headers={"Origin": ORIGIN})
    await response.read()
    assert cors_headers(response.headers) == {"access-control-allow-origin": ORIGIN}
    assert response.headers.getall("Access-Control-Allow-Origin") == [ORIGIN]


async def test_overlap_outer_grant_decides_the_preflight(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(overlapping())
    response = await client.options("/api/item", headers=preflight(ORIGIN))
    assert response.status == 200
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_overlap_keeps_vary_merged_once(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(overlapping())
    response = await client.get("/api/varies", headers={"Origin": OTHER})
    assert response.headers.getall("Vary") == ["Accept-Encoding, Origin"]


async def test_overlap_decides_through_an_error_middleware_between(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(overlapping(error_middleware()))
    response = await client.get("/api/missing", headers={"Origin": OTHER})
    assert response.status == 404
    assert await response.json() == {"detail": "Not Found"}
    assert cors_headers(response.headers) == {}


async def test_an_inner_policy_decides_where_the_outer_does_not_reach(
    aiohttp_client: AiohttpClient,
) -> None:
    app = app_with(
        cors_middleware(origins=[ORIGIN], urls=[API]),
        cors_middleware(allow_all=True),
    )
    client = await aiohttp_client(app)
    public = await client.get("/public/item", headers={"Origin": OTHER})
    api = await client.get("/api/item", headers={"Origin": OTHER})
    assert cors_headers(public.headers) == {"access-control-allow-origin": "*"}
    assert cors_headers(api.headers) == {}


async def test_the_root_application_decides_over_a_sub_application(
    aiohttp_client: AiohttpClient,
) -> None:
    sub = web.Application(middlewares=[cors_middleware(allow_all=True)])
    sub.router.add_get("/item", item)
    sub.router.add_get("/stream", stream)
    root = web.Application(middlewares=[cors_middleware(origins=[ORIGIN])])
    root.add_subapp("/api", sub)
    root.on_response_prepare.append(cors_on_response_prepare)
    client = await aiohttp_client(root)
    for path in ("/api/item", "/api/stream"):
        refused = await client.get(path, headers={"Origin": OTHER})
        allowed = await client.get(path, headers={"Origin": ORIGIN})
        await refused.read()
        await allowed.read()
        assert cors_headers(refused.headers) == {}
        assert cors_headers(allowed.headers) == {"access-control-allow-origin": ORIGIN}


async def test_a_handler_own_allow_origin_gives_way_to_the_decision(
    aiohttp_client: AiohttpClient,
) -> None:
    async def own_headers(request: web.Request) -> web.Response:
        return web.Response(
            text="own",
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Credentials": "true",
            },
        )

    app = web.Application(middlewares=[cors_middleware(origins=[ORIGIN])])
    app.router.add_get("/", own_headers)
    client = await aiohttp_client(app)
    refused = await client.get("/", headers={"Origin": OTHER})
    allowed = await client.get("/", headers={"Origin": ORIGIN})
    assert cors_headers(refused.headers) == {}
    assert cors_headers(allowed.headers) == {"access-control-allow-origin": ORIGIN}
