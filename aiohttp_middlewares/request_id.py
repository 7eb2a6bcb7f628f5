"""Request id middleware: tie every log line and every answer to its request.

:func:`request_id_middleware` gives each request an id: the one its
``X-Request-ID`` header brings, when it is valid and comes from a peer the
middleware trusts, else a new one (a uuid4 in hex by default). The id is then
in three places:

* on the request, as ``request[REQUEST_ID_KEY]`` (:data:`REQUEST_ID_KEY`);
* in a context variable, read by :func:`current_request_id` anywhere in the
  request's code, tasks it creates and shielded handlers included, and by
  :class:`RequestIdFilter`, which gives every log record a ``request_id``
  attribute for ``%(request_id)s``, aiohttp's access log line included;
* in the ``X-Request-ID`` header of the answer.

Put the middleware first (outermost), so that every answer of the inner
middlewares passes through it and every line they log carries the id.
Answers that it cannot see, those that their handler prepared itself
(streaming, WebSocket), aiohttp's own 500 for an uncaught exception and 504
for a timeout nobody caught, get the header from
:func:`request_id_on_response_prepare`, registered once::

    app.on_response_prepare.append(request_id_on_response_prepare)

The context variable is set in the task that aiohttp runs the request in,
and never reset: aiohttp writes its access log line in that task after the
middleware returned, and the next request on the connection runs in a task
of its own, which never sees it.

Everything is checked and prepared when the factory is called; a request
without an incoming id costs one header look-up, 16 random bytes turned into
hex, and three stores: on the request, in the context, on the answer.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Collection
from contextvars import ContextVar
from typing import Final, TypeAlias

from aiohttp import web

from .annotations import Handler, Middleware
from .forwarded import TrustedProxy, compile_trust
from .utils import check_bool, check_token, logged_path, request_key

__all__ = (
    "DEFAULT_HEADER",
    "MAX_LENGTH",
    "REQUEST_ID_KEY",
    "RequestIdFilter",
    "current_request_id",
    "request_id_middleware",
    "request_id_on_response_prepare",
)

logger = logging.getLogger(__name__)

#: The header that carries the id, in both directions, by default.
DEFAULT_HEADER: Final = "X-Request-ID"
#: The longest incoming id that the default validator accepts.
MAX_LENGTH: Final = 128

#: The key under which the middleware stores the id on the request
#: (``request[REQUEST_ID_KEY]``, a ``str``): a :class:`aiohttp.web.RequestKey`,
#: so aiohttp emits no warning about string keys. Where aiohttp has no
#: ``RequestKey`` (before 3.14) it is the string
#: ``"aiohttp_middlewares.request_id"``.
REQUEST_ID_KEY = request_key("request_id", str)

_Accept: TypeAlias = Callable[[str], object]

# The header and the id of the request whose code runs. Each request runs in
# a task of its own, with a copy of the context: what one sets, no other
# request sees.
_current: ContextVar[tuple[str, str] | None] = ContextVar(
    "aiohttp_middlewares.request_id", default=None
)

# The default validator: 1 to MAX_LENGTH characters of visible ASCII.
_VISIBLE: Final = re.compile(rf"[!-~]{{1,{MAX_LENGTH}}}")


def request_id_middleware(
    *,
    header: str = DEFAULT_HEADER,
    generator: Callable[[], str] | None = None,
    validator: Callable[[str], bool] | None = None,
    trusted_proxies: Collection[TrustedProxy] | None = None,
    keep_incoming: bool = True,
) -> Middleware:
    """Middleware giving every request an id, on its answer and in its logs.

    Put it first (outermost), and register the callback for the answers it
    cannot see::

        app = web.Application(
            middlewares=[
                request_id_middleware(),
                cors_middleware(origins=["https://app.example.com"]),
                error_middleware(),
            ]
        )
        app.on_response_prepare.append(request_id_on_response_prepare)

    The request keeps the id that its *header* brings when there is exactly
    one such header, its value is valid, and its connection comes from a
    trusted peer; otherwise it gets a new one. An id that is not kept is
    logged at ``DEBUG`` on ``aiohttp_middlewares.request_id`` (its
    ``repr``, cut at 80 characters) and never sent back. The id is stored as
    ``request[REQUEST_ID_KEY]``, read by :func:`current_request_id`, and set
    as *header* on the answer, replacing any that the handler set: on a
    returned response, on a raised :class:`aiohttp.web.HTTPException`, and,
    through :func:`request_id_on_response_prepare`, on every other answer.
    When a handler prepared its response without the id (the callback is not
    registered), a ``WARNING`` says so, once per middleware.

    :param header: The header that brings the id and carries it back, a
        header name (an :rfc:`9110` token). By default: ``"X-Request-ID"``.
    :param generator: A function without arguments returning a new id. Each
        result is checked: when it is not a ``str`` that *validator*
        accepts, or when the function raises, the request gets a uuid4 in hex
        instead and an ``ERROR`` is logged. By default: a uuid4 in hex, as
        ``uuid.uuid4().hex`` makes it.
    :param validator: A function that takes an id and says whether it is
        acceptable, for incoming ids and for the results of *generator*.
        Whatever it says, an id must be visible ASCII, with spaces inside
        only, to be kept, since it travels in a header and in log lines; a
        validator that raises refuses (and an ``ERROR`` is logged). By
        default: 1 to 128 characters of visible ASCII (``!`` to ``~``).
    :param trusted_proxies: With it, an incoming id counts only when the
        direct peer of the connection is one of these proxies: addresses and
        networks as strings (``"10.0.0.0/8"``, ``"::1"``) or :mod:`ipaddress`
        objects, and ``"*"`` for every peer, as in
        :func:`~aiohttp_middlewares.https.https_middleware`; a Unix socket
        counts as trusted. By default: ``None``, an id counts from any peer.
    :param keep_incoming: Whether an incoming id is kept at all. ``False``
        gives every request a new id and ignores the header. By default:
        ``True``.
    :return: The middleware.
    :raises TypeError: When *header* is not a ``str``, *generator* or
        *validator* is not callable, *keep_incoming* is not a ``bool``, or
        *trusted_proxies* is a bare string other than ``"*"``, not a
        collection, or holds something other than a string or an
        :mod:`ipaddress` object.
    :raises ValueError: When *header* is not a header name, an item of
        *trusted_proxies* is not ``"*"``, an address or a network,
        *trusted_proxies* comes with ``keep_incoming=False``, or *validator*
        refuses the uuid4 ids that the default generator makes.
    """
    header = check_token(header, "header")
    accept = _acceptor(validator)
    generate = _generator(generator, accept)
    if not check_bool(keep_incoming, "keep_incoming") and trusted_proxies is not None:
        raise ValueError(
            "trusted_proxies decides whose ids are kept: it has no use with "
            "keep_incoming=False"
        )
    trust = None if trusted_proxies is None else compile_trust(trusted_proxies)
    warned = False

    def incoming(request: web.Request) -> str | None:
        lines = request.headers.getall(header, None)
        if lines is None:
            return None
        if trust is not None and not trust.peer(request.transport):
            logger.debug(
                "%s from untrusted peer %s ignored: %.80r",
                header,
                request.remote,
                lines,
            )
            return None
        # Two lines leave it open which one a proxy wrote: neither counts.
        if len(lines) == 1 and accept(lines[0]):
            return lines[0]
        logger.debug("Invalid %s ignored: %.80r", header, lines)
        return None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal warned
        found = incoming(request) if keep_incoming else None
        request_id = generate() if found is None else found
        request[REQUEST_ID_KEY] = request_id
        _current.set((header, request_id))
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[header] = request_id
            raise
        if not response.prepared:
            response.headers[header] = request_id
        elif not warned and response.headers.get(header) != request_id:
            warned = True
            logger.warning(
                "%s %s: the handler prepared its response before "
                "request_id_middleware could add %s; add "
                "app.on_response_prepare.append(request_id_on_response_prepare)",
                request.method,
                logged_path(request),
                header,
            )
        return response

    return middleware


async def request_id_on_response_prepare(
    request: web.Request, response: web.StreamResponse
) -> None:
    """Give the request id header to the answers request_id_middleware cannot see.

    A handler that calls ``await response.prepare(request)`` (server-sent
    events, chunked downloads, WebSocket) sends its headers before the
    middleware sees the response; aiohttp's own 500 for an uncaught exception
    (and 504 for an uncaught timeout), and the answer of a middleware placed
    outside ``request_id_middleware``, are made after it. Register this
    callback on the application, and those answers carry the id too::

        app.on_response_prepare.append(request_id_on_response_prepare)

    It sets the header and the id of the request whose code runs, as
    :func:`current_request_id` reads it, so the answer gets its request's id
    whatever clones of the request the middlewares made, and whichever
    request aiohttp prepares its own answers with. Prepare a response in the
    request's own task or in one it created: a task that runs for no request
    (made at start-up, say) gets no id from it, one created while another
    request ran would give that request's. The answer to a request that never
    reached the middleware gets none either.

    :param request: The request being answered.
    :param response: The response about to send its headers.
    """
    current = _current.get()
    if current is not None:
        header, request_id = current
        response.headers[header] = request_id


def current_request_id() -> str | None:
    """The id of the request whose code runs, or ``None`` outside a request.

    It is the id that :func:`request_id_middleware` gave the request, in the
    request's handler, in the middlewares inside it, in tasks they create
    (which copy the context, as :func:`asyncio.create_task` does) and in
    shielded handlers. It stays set until the request's task ends, so
    aiohttp's access log line, written after the middleware returned, still
    reads it.
    """
    current = _current.get()
    return None if current is None else current[1]


class RequestIdFilter(logging.Filter):
    """A logging filter that puts ``record.request_id`` on every record it sees.

    The attribute is :func:`current_request_id`, or ``"-"`` outside a
    request; a record that already has one (``extra={"request_id": ...}``)
    keeps it. It never drops a record. Attach it to the *handlers* whose
    format uses ``%(request_id)s``: a filter on a handler sees every record
    the handler writes, those propagated from other loggers (aiohttp's
    access log, the package's loggers) included, whereas a filter on a logger
    sees only the records logged on that very logger. With a
    :class:`logging.handlers.QueueHandler`, attach it to the queue handler,
    which runs in the request's code, rather than to those of the listener.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set ``record.request_id`` unless it is set; keep the record."""
        fields = record.__dict__
        if "request_id" not in fields:
            fields["request_id"] = current_request_id() or "-"
        return True


def _acceptor(validator: object) -> _Accept:
    """Return ``accept(value)``, truthy when *value* is an id to keep."""
    if validator is None:
        return _VISIBLE.fullmatch
    check = _callable(validator, "validator")

    def accept(value: str) -> bool:
        if not _sendable(value):
            return False
        try:
            return bool(check(value))
        except Exception:
            # A request is never answered 500 because of what it sent.
            logger.exception(
                "validator %r failed on %.80r; the id counts as invalid", check, value
            )
            return False

    return accept


def _generator(generator: object, accept: _Accept) -> Callable[[], str]:
    """Return ``generate()``: a new id, checked when the user's function made it."""
    if generator is None:
        if not accept(_uuid4_hex()):
            raise ValueError(
                "validator refuses the uuid4 hex ids that the default generator "
                "makes: give a generator whose ids it accepts"
            )
        return _uuid4_hex
    make = _callable(generator, "generator")

    def generate() -> str:
        try:
            value = make()
        except Exception:
            logger.exception("generator %r failed; the request gets a uuid4 id", make)
            return _uuid4_hex()
        if isinstance(value, str) and accept(value):
            return value
        logger.error(
            "generator %r returned %.80r, not a str that the validator accepts; "
            "the request gets a uuid4 id",
            make,
            value,
        )
        return _uuid4_hex()

    return generate


def _uuid4_hex() -> str:
    # What uuid.uuid4().hex makes, without the UUID object, whose checks cost
    # 11,000 instructions a request (a quarter of the middleware with them):
    # 16 random bytes, then the version (4) in the high half of byte 6 and
    # the variant (binary 10) in the top bits of byte 8 (RFC 9562, 5.4).
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


def _sendable(value: str) -> bool:
    # What a header carries and a log line shows as it is: visible ASCII, with
    # spaces inside only (header parsers drop those at either end).
    return (
        value != ""
        and value.isascii()
        and value.isprintable()
        and value.strip() == value
    )


def _callable(value: object, argument: str) -> Callable[..., object]:
    if not callable(value):
        raise TypeError(
            f"{argument} must be callable, not {type(value).__name__}: {value!r}"
        )
    return value
