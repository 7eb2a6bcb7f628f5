"""A session cookie shared with the front end on another origin of the site.

The page on ``https://app.example.com`` calls the API on
``https://api.example.com`` with ``fetch(url, {credentials: "include"})``.
Both are the same *site* (``example.com``), so a ``SameSite=Lax`` cookie
travels; the API must name the page's origin exactly and allow credentials.
``python -m docs.examples.cors_credentials`` serves the API on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware

APP_ORIGIN = "https://app.example.com"


async def login(request: web.Request) -> web.Response:
    response = web.json_response({"user": "ada"})
    response.set_cookie(
        "session", "ada-session", httponly=True, secure=True, samesite="Lax"
    )
    return response


async def me(request: web.Request) -> web.Response:
    if request.cookies.get("session") != "ada-session":
        raise web.HTTPUnauthorized()
    return web.json_response({"user": "ada"})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(origins=[APP_ORIGIN], allow_credentials=True),
            error_middleware(),
        ]
    )
    app.router.add_post("/login", login)
    app.router.add_get("/me", me)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
