"""aiohttp-cors's ``CorsViewMixin``, for a class-based view.

With aiohttp-cors::

    class ItemView(web.View, aiohttp_cors.CorsViewMixin):
        cors_config = {
            "https://app.example.com": aiohttp_cors.ResourceOptions(
                allow_credentials=True, allow_headers="X-Request-ID"
            )
        }

        async def get(self): ...

        @aiohttp_cors.custom_cors({
            "https://app.example.com": aiohttp_cors.ResourceOptions(
                allow_credentials=True, allow_headers="*"
            )
        })
        async def post(self): ...

    cors.add(app.router.add_route("*", "/items", ItemView), webview=True)

A view needs no mixin: the middleware sees its requests like any other. The
options of one method are an instance whose ``urls`` name that method, placed
before the instance for the whole view; a preflight is matched by the method
it asks for. ``python -m docs.examples.from_aiohttp_cors_views`` serves it on
port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware

APP_ORIGIN = "https://app.example.com"


class ItemView(web.View):
    async def get(self) -> web.Response:
        return web.json_response({"items": []})

    async def post(self) -> web.Response:
        return web.json_response(await self.request.json(), status=201)


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            # The custom_cors of post(): any request header.
            cors_middleware(
                origins=[APP_ORIGIN],
                urls={"/items": "POST"},
                allow_headers=["*"],
                allow_credentials=True,
            ),
            # The cors_config of the view.
            cors_middleware(
                origins=[APP_ORIGIN],
                urls=["/items"],
                allow_headers=["X-Request-ID"],
                allow_credentials=True,
            ),
        ]
    )
    app.router.add_view("/items", ItemView)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
