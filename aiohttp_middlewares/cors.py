"""CORS middleware (being written: see the CORS issue)."""

from typing import Any


def cors_middleware(**kwargs: Any) -> Any:
    """Middleware to provide CORS headers (not written yet)."""
    raise NotImplementedError
