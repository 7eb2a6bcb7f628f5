"""A multi-tenant API: which origins may call it is known only at run time.

Each tenant's front end has an origin of its own, kept with the tenant's
record (here a dict; a database in real life), and some tenants bring their
own domain. ``origins`` holds the one exact origin every tenant shares, then
two checks, tried in this order for any other origin:

1. ``own_subdomain`` allows ``https://<tenant>.app.example.com`` when the
   request is for ``<tenant>.api.example.com``: derived from the request, no
   look-up at all.
2. ``registered_domain`` asks the tenant store, asynchronously, whether the
   origin is a custom domain that a tenant registered.

``python -m docs.examples.cors_tenants`` serves it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import cors_middleware, error_middleware

#: What the tenant store knows: custom front-end origins, by tenant.
CUSTOM_DOMAINS = {"acme": "https://portal.acme.test", "beta": "https://beta.test"}
TENANTS = web.AppKey("tenants", dict[str, str])


def own_subdomain(request: web.Request, origin: str) -> bool:
    # request.host is what the browser asked for: acme.api.example.com.
    tenant, _, rest = request.host.partition(".")
    return rest == "api.example.com" and origin == f"https://{tenant}.app.example.com"


async def registered_domain(request: web.Request, origin: str) -> bool:
    # A real store is a database: await it. Any exception raised here is
    # logged at ERROR and counts as a refusal; the request is still served.
    return origin in request.app[TENANTS].values()


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"host": request.host})


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            cors_middleware(
                origins=[
                    "https://console.example.com",
                    own_subdomain,
                    registered_domain,
                ],
                allow_credentials=True,
            ),
            error_middleware(),
        ]
    )
    app[TENANTS] = dict(CUSTOM_DOMAINS)
    app.router.add_get("/whoami", whoami)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
