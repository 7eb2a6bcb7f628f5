"""Timeout middleware (being written: see the timeout and shield issue)."""

from typing import Any


def timeout_middleware(seconds: Any, **kwargs: Any) -> Any:
    """Middleware to bound handler time (not written yet)."""
    raise NotImplementedError
