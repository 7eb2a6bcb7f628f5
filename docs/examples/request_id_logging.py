"""Logging with the request id on every line, aiohttp's access log included.

The filter sits on the handler, which then sees the records of every logger
that propagates to it: the application's, the package's and aiohttp's.
``python -m docs.examples.request_id_logging`` serves the application of
``request_id_basic`` with this set-up; each request logs lines such as::

    INFO [6f1c...] shop: order 7 received
    INFO [6f1c...] aiohttp.access: 127.0.0.1 "GET /orders/7 HTTP/1.1" 200 70
"""

from __future__ import annotations

import logging.config
from typing import Any

from aiohttp import web

from docs.examples.request_id_basic import create_app

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "aiohttp_middlewares.RequestIdFilter"}},
    "formatters": {
        "with_id": {"format": "%(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "with_id",
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
}

# aiohttp's access log format: client, request line, status, body size.
ACCESS_LOG_FORMAT = '%a "%r" %s %b'


def main() -> None:
    logging.config.dictConfig(LOGGING)
    web.run_app(
        create_app(),
        host="127.0.0.1",
        port=8080,
        access_log_format=ACCESS_LOG_FORMAT,
    )


if __name__ == "__main__":
    main()
