"""HTTP method names shared by the middlewares.

Both are tuples of upper-case method names, as in the library this one
replaces: pass them as ``methods`` to
:func:`~aiohttp_middlewares.shield.shield_middleware` or as values of an
``urls``/``ignore`` dict, test membership with ``in``, or extend them
(``NON_IDEMPOTENT_METHODS + ("PURGE",)``).
"""

from __future__ import annotations

__all__ = ("IDEMPOTENT_METHODS", "NON_IDEMPOTENT_METHODS")

#: Methods that are safe to repeat: ``GET``, ``HEAD``, ``OPTIONS``, ``TRACE``.
IDEMPOTENT_METHODS: tuple[str, ...] = ("GET", "HEAD", "OPTIONS", "TRACE")

#: Methods that change state on the server: ``DELETE``, ``PATCH``, ``POST``, ``PUT``.
NON_IDEMPOTENT_METHODS: tuple[str, ...] = ("DELETE", "PATCH", "POST", "PUT")
