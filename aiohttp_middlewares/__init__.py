"""Drop-in, typed, fast collection of server middlewares for aiohttp.

Every factory returns an ``@web.middleware`` coroutine to put in
``web.Application(middlewares=[...])``. The recommended order, outermost first
(``proxy_middleware`` sets the scheme too: ``https_middleware`` is for the
scheme alone)::

    from aiohttp import web
    from aiohttp_middlewares import (
        cors_middleware,
        error_middleware,
        proxy_middleware,
        request_id_middleware,
        request_id_on_response_prepare,
        shield_middleware,
        timeout_middleware,
        NON_IDEMPOTENT_METHODS,
    )

    app = web.Application(
        middlewares=[
            request_id_middleware(),
            proxy_middleware(trusted_proxies=["127.0.0.1", "::1"]),
            cors_middleware(origins=["https://app.example.com"]),
            error_middleware(),
            timeout_middleware(29.5),
            shield_middleware(methods=NON_IDEMPOTENT_METHODS),
        ]
    )
    app.on_response_prepare.append(request_id_on_response_prepare)
"""

from .constants import IDEMPOTENT_METHODS, NON_IDEMPOTENT_METHODS
from .cors import cors_middleware
from .error import (
    default_error_handler,
    error_context,
    error_middleware,
    get_error_response,
    problem_error_handler,
)
from .https import https_middleware
from .proxy import ProxyAccessLogger, proxy_middleware
from .request_id import (
    REQUEST_ID_KEY,
    RequestIdFilter,
    current_request_id,
    request_id_middleware,
    request_id_on_response_prepare,
)
from .shield import shield_middleware, wait_shielded
from .timeout import timeout_middleware
from .utils import match_path

__all__ = (
    "IDEMPOTENT_METHODS",
    "NON_IDEMPOTENT_METHODS",
    "REQUEST_ID_KEY",
    "ProxyAccessLogger",
    "RequestIdFilter",
    "cors_middleware",
    "current_request_id",
    "default_error_handler",
    "error_context",
    "error_middleware",
    "get_error_response",
    "https_middleware",
    "match_path",
    "problem_error_handler",
    "proxy_middleware",
    "request_id_middleware",
    "request_id_on_response_prepare",
    "shield_middleware",
    "timeout_middleware",
    "wait_shielded",
)

__version__ = "4.0.0.dev0"
