"""HTTP method sets shared by the middlewares.

Both are frozensets of upper-case method names, so they can be passed as
``methods`` to :func:`~aiohttp_middlewares.shield.shield_middleware` or used as
values of an ``urls``/``ignore`` dict.
"""

from __future__ import annotations

__all__ = ("IDEMPOTENT_METHODS", "NON_IDEMPOTENT_METHODS")

#: Methods that are safe to repeat: ``GET``, ``HEAD``, ``OPTIONS``, ``TRACE``.
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

#: Methods that change state on the server: ``DELETE``, ``PATCH``, ``POST``, ``PUT``.
NON_IDEMPOTENT_METHODS: frozenset[str] = frozenset({"DELETE", "PATCH", "POST", "PUT"})
