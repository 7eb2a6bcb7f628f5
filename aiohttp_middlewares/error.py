"""Error middleware (being written: see the error issue)."""

from typing import Any


def error_middleware(**kwargs: Any) -> Any:
    """Middleware to handle exceptions (not written yet)."""
    raise NotImplementedError


def default_error_handler(request: Any) -> Any:
    """Default error handler (not written yet)."""
    raise NotImplementedError


def problem_error_handler(request: Any) -> Any:
    """RFC 9457 error handler (not written yet)."""
    raise NotImplementedError


def error_context(request: Any) -> Any:
    """Error context (not written yet)."""
    raise NotImplementedError


def get_error_response(request: Any, err: Any, **kwargs: Any) -> Any:
    """Response for an error (not written yet)."""
    raise NotImplementedError
