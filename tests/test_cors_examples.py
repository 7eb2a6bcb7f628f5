"""The CORS examples that docs/cors.rst includes run and do what the page says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docs.examples import cors_basic, cors_credentials, cors_public, cors_streaming

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpClient

APP = "https://app.example.com"
PREVIEW = "https://pr-12.preview.example.com"


async def test_basic_lists_items_for_the_front_end(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_basic.create_app())
    response = await client.get("/api/items", headers={"Origin": APP})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total-Count"
    assert response.headers["X-Total-Count"] == "2"


async def test_basic_admits_previews_but_not_lookalikes(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_basic.create_app())
    preview = await client.get("/api/items", headers={"Origin": PREVIEW})
    lookalike = await client.get(
        "/api/items", headers={"Origin": f"{PREVIEW}.evil.test"}
    )
    assert preview.headers["Access-Control-Allow-Origin"] == PREVIEW
    assert "Access-Control-Allow-Origin" not in lookalike.headers


async def test_basic_preflight_allows_put_and_is_cached(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_basic.create_app())
    response = await client.options(
        "/api/items/1",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status == 200
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Max-Age"] == "600"


async def test_basic_error_answer_is_readable_cross_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_basic.create_app())
    response = await client.put("/api/items/9", json={}, headers={"Origin": APP})
    assert response.status == 404
    assert await response.json() == {"detail": "Not Found"}
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_basic_leaves_paths_outside_api_alone(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_basic.create_app())
    response = await client.get("/", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


async def test_credentials_session_cookie_round_trip(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_credentials.create_app())
    login = await client.post("/login", headers={"Origin": APP})
    # The test server speaks plain http: send back the Secure cookie by hand.
    me = await client.get(
        "/me", headers={"Origin": APP, "Cookie": "session=ada-session"}
    )
    assert login.headers["Access-Control-Allow-Credentials"] == "true"
    assert "SameSite=Lax" in login.headers["Set-Cookie"]
    assert await me.json() == {"user": "ada"}
    assert me.headers["Access-Control-Allow-Origin"] == APP


async def test_credentials_refused_without_session(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_credentials.create_app())
    response = await client.get("/me", headers={"Origin": APP})
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


async def test_public_answers_any_origin_with_star(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_public.create_app())
    response = await client.get("/rates", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await response.json() == {"EUR": 1.0, "USD": 1.08}


async def test_streaming_ticks_carry_cors_headers(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(cors_streaming.create_app())
    response = await client.get("/ticks", headers={"Origin": APP})
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert await response.text() == "data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n"
