"""The CORS examples that docs/cors.rst and docs/aiohttp-cors.rst include run and
do what the pages say."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docs.examples import cors_basic, cors_credentials, cors_public, cors_streaming
from docs.examples.cors_paths import create_app as paths_app
from docs.examples.cors_tenants import TENANTS
from docs.examples.cors_tenants import create_app as tenants_app
from docs.examples.from_aiohttp_cors_defaults import create_app as defaults_app
from docs.examples.from_aiohttp_cors_options import create_app as options_app
from docs.examples.from_aiohttp_cors_origins import create_app as origins_app
from docs.examples.from_aiohttp_cors_routes import create_app as routes_app
from docs.examples.from_aiohttp_cors_views import create_app as views_app

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


def preflight(origin: str, method: str, headers: str = "") -> dict[str, str]:
    asked = {"Access-Control-Request-Headers": headers} if headers else {}
    return {"Origin": origin, "Access-Control-Request-Method": method, **asked}


async def test_tenants_exact_origin_is_allowed_without_a_check(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(tenants_app())
    response = await client.get(
        "/whoami", headers={"Origin": "https://console.example.com"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == (
        "https://console.example.com"
    )


async def test_tenants_own_subdomain_follows_the_request_host(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(tenants_app())
    origin = "https://acme.app.example.com"
    own = await client.get(
        "/whoami", headers={"Origin": origin, "Host": "acme.api.example.com"}
    )
    other = await client.get(
        "/whoami", headers={"Origin": origin, "Host": "beta.api.example.com"}
    )
    assert own.headers["Access-Control-Allow-Origin"] == origin
    assert own.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_tenants_registered_domain_is_looked_up_for_preflights_too(
    aiohttp_client: AiohttpClient,
) -> None:
    app = tenants_app()
    client = await aiohttp_client(app)
    actual = await client.get("/whoami", headers={"Origin": "https://beta.test"})
    asked = await client.options(
        "/whoami", headers=preflight("https://beta.test", "PUT")
    )
    app[TENANTS].pop("beta")
    gone = await client.options(
        "/whoami", headers=preflight("https://beta.test", "PUT")
    )
    assert actual.headers["Access-Control-Allow-Origin"] == "https://beta.test"
    assert asked.status == 200
    assert gone.status == 403


async def test_paths_public_paths_are_open_without_cookies(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(paths_app())
    for path in ("/api/status", "/public/rates"):
        response = await client.get(path, headers={"Origin": "https://any.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_paths_api_is_for_the_front_end_with_cookies(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(paths_app())
    front = await client.get("/api/orders", headers={"Origin": APP})
    other = await client.get("/api/orders", headers={"Origin": "https://any.example"})
    asked = await client.options(
        "/api/orders", headers=preflight(APP, "POST", "x-csrf-token")
    )
    assert front.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert asked.headers["Access-Control-Allow-Headers"] == "content-type, x-csrf-token"


async def test_paths_the_outer_public_policy_decides_for_status(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(paths_app())
    response = await client.options("/api/status", headers=preflight(APP, "GET"))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_from_defaults_covers_every_route_with_names_for_stars(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(defaults_app())
    actual = await client.get("/hello", headers={"Origin": APP})
    asked = await client.options("/hello", headers=preflight(APP, "PUT", "x-token"))
    assert "X-Custom-Server-Header" in actual.headers["Access-Control-Expose-Headers"]
    assert asked.headers["Access-Control-Allow-Headers"] == "x-token"
    assert asked.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE"


async def test_from_options_sends_every_field(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(options_app())
    origin = "http://client.example.org"
    actual = await client.get("/hello", headers={"Origin": origin})
    asked = await client.options("/hello", headers=preflight(origin, "POST"))
    assert actual.headers["Access-Control-Allow-Credentials"] == "true"
    assert actual.headers["Access-Control-Expose-Headers"] == "X-Custom-Server-Header"
    assert asked.headers["Access-Control-Allow-Headers"] == (
        "X-Requested-With, Content-Type"
    )
    assert asked.headers["Access-Control-Max-Age"] == "3600"
    assert asked.headers["Access-Control-Allow-Methods"] == "GET, POST"


async def test_from_routes_leaves_routes_not_listed_alone(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(routes_app())
    origin = "http://client.example.org"
    hello = await client.get("/hello", headers={"Origin": origin})
    private = await client.get("/private", headers={"Origin": origin})
    assert hello.headers["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Origin" not in private.headers
    assert "Vary" not in private.headers


async def test_from_views_gives_each_method_its_options(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(views_app())
    post = await client.options("/items", headers=preflight(APP, "POST", "x-token"))
    get = await client.options("/items", headers=preflight(APP, "GET", "x-token"))
    listed = await client.get("/items", headers={"Origin": APP})
    assert post.headers["Access-Control-Allow-Headers"] == "x-token"
    assert get.headers["Access-Control-Allow-Headers"] == "X-Request-ID"
    assert await listed.json() == {"items": []}
    assert listed.headers["Access-Control-Allow-Credentials"] == "true"


async def test_from_origins_shares_options_by_list_and_splits_by_path(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(origins_app())
    admin = await client.get(
        "/api/profile", headers={"Origin": "https://admin.example.com"}
    )
    anyone = await client.get(
        "/public/catalogue", headers={"Origin": "https://any.example"}
    )
    refused = await client.get(
        "/api/profile", headers={"Origin": "https://any.example"}
    )
    assert admin.headers["Access-Control-Allow-Credentials"] == "true"
    assert anyone.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in refused.headers
