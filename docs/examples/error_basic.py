"""A JSON API whose every failure answers JSON, with the right status.

``python -m docs.examples.error_basic`` serves it on port 8080.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from aiohttp_middlewares import error_middleware

ITEMS = {"1": {"id": "1", "name": "first"}}


class ValidationError(Exception):
    """Bad input: its ``status`` and ``data`` make the error response."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Invalid item")
        self.data: dict[str, Any] = {"detail": "Invalid item", "errors": errors}


async def get_item(request: web.Request) -> web.Response:
    item_id = request.match_info["id"]
    if item_id not in ITEMS:
        # The reason becomes the detail: {"detail": "No item 9"}.
        raise web.HTTPNotFound(reason=f"No item {item_id}")
    return web.json_response(ITEMS[item_id])


async def add_item(request: web.Request) -> web.Response:
    item = await request.json()
    if not item.get("name"):
        raise ValidationError({"name": "This field is required."})
    item["id"] = str(len(ITEMS) + 1)
    ITEMS[item["id"]] = item
    return web.json_response(item, status=201)


async def old_items(request: web.Request) -> web.Response:
    # Not an error: the redirect reaches the client as it is.
    raise web.HTTPMovedPermanently("/api/items/1")


async def broken(request: web.Request) -> web.Response:
    # A bug: 500 {"detail": "division by zero"}, logged with its traceback.
    return web.json_response({"ratio": 1 / 0})


def create_app() -> web.Application:
    app = web.Application(middlewares=[error_middleware()])
    app.router.add_get("/api/items/{id}", get_item)
    app.router.add_post("/api/items", add_item)
    app.router.add_get("/api/old-items", old_items)
    app.router.add_get("/api/broken", broken)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
