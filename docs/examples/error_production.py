"""Error answers for production: no internals in an unexpected error's answer.

A bug's message can hold SQL, file paths or credentials. With
``hide_unexpected_messages=True`` an exception that is no ``HTTPException``
and has no ``status`` or ``data`` of its own is answered with its status
phrase only; the log keeps its message and traceback. What the application
means to say (an ``HTTPException``'s reason, an exception's own status or
data) still reaches the client. ``python -m docs.examples.error_production``
serves it on port 8080.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_middlewares import error_middleware, problem_error_handler


async def report(request: web.Request) -> web.Response:
    # Stands for a driver error: 500 "Internal Server Error", nothing more.
    raise RuntimeError("cannot connect to postgresql://app:s3cret@10.0.0.5/reports")


async def item(request: web.Request) -> web.Response:
    # Meant for the client: 404 "No item 9".
    raise web.HTTPNotFound(reason=f"No item {request.match_info['id']}")


def create_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(
                default_handler=problem_error_handler,
                hide_unexpected_messages=True,
            )
        ]
    )
    app.router.add_get("/report", report)
    app.router.add_get("/items/{id}", item)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
