"""Shield middleware (being written: see the timeout and shield issue)."""

from typing import Any


def shield_middleware(**kwargs: Any) -> Any:
    """Middleware to shield handlers from cancellation (not written yet)."""
    raise NotImplementedError


def wait_shielded(app: Any) -> Any:
    """Wait for shielded handlers (not written yet)."""
    raise NotImplementedError
