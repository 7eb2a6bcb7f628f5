"""HTTPS middleware (being written: see the https issue)."""

from typing import Any


def https_middleware(match_headers: Any = None, **kwargs: Any) -> Any:
    """Middleware to set the scheme behind a TLS proxy (not written yet)."""
    raise NotImplementedError
