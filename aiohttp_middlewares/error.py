"""Turn every failure of a request handler into a clean error response.

:func:`error_middleware` wraps the handlers of an application. When a handler
raises, it picks an *error handler* (the ``exception_handlers`` key that fits
the error best, else the first ``config`` key that matches the request path,
else ``default_handler``), stores the exception on the request and lets that
error handler answer; the error handler reads the exception through
:func:`error_context`. Two error handlers ship with the package:
:func:`default_error_handler` (JSON ``{"detail": ...}``) and
:func:`problem_error_handler` (RFC 9457 ``application/problem+json``).

Not everything raised is an application error, and the middleware leaves the
rest of HTTP working:

* a :class:`aiohttp.web.HTTPException` below 400 (``HTTPFound``,
  ``HTTPNoContent`` ...) is raised again unchanged, so redirects keep their
  status and ``Location``;
* the headers and cookies that an ``HTTPException`` carries (``Allow``,
  ``WWW-Authenticate``, ``Retry-After``, ``Set-Cookie`` ...) are kept on the
  error response;
* a timeout (:class:`asyncio.TimeoutError`, as ``timeout_middleware`` raises)
  answers 504 Gateway Timeout; ``timeout_middleware``'s own is not logged
  again, it logs it itself;
* a request body that aiohttp cannot read (a broken chunked body, a failed
  decompression: :class:`aiohttp.web.RequestPayloadError`) is the client's
  fault: it answers 400 Bad Request, logged at INFO;
* a client that closed its connection is logged at INFO as 499, the way nginx
  counts it, and no error handler runs;
* ``asyncio.CancelledError``, ``KeyboardInterrupt`` and ``SystemExit`` are never
  caught.

Everything is prepared when the factory is called; a request that raises
nothing costs one ``try`` around the awaited handler.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NamedTuple, TypeAlias

from aiohttp import web
from aiohttp.http import HttpProcessingError

from .annotations import ExceptionType, Handler, Middleware, Url
from .cancellation import RequestTimeout
from .utils import (
    Matcher,
    check_bool,
    compile_urls,
    logged_path,
    request_key,
    routed_path,
    to_tuple,
)

__all__ = (
    "ERROR_KEY",
    "ErrorContext",
    "default_error_handler",
    "error_context",
    "error_middleware",
    "get_error_response",
    "problem_error_handler",
)

logger = logging.getLogger(__name__)

#: The key under which the middleware stores the exception on the request
#: (``request[ERROR_KEY]``): a :class:`aiohttp.web.RequestKey`, so aiohttp
#: emits no warning about string keys. Where aiohttp has no ``RequestKey``
#: (before 3.14) it is the string ``"aiohttp_middlewares.error"``.
ERROR_KEY = request_key("error", Exception)

# nginx's "499 Client Closed Request", for a client gone before the answer.
_CLIENT_CLOSED = 499

# One class from Python 3.11 on; before, the builtin one is an OSError (socket
# timeouts raise it) apart from asyncio's. Both answer 504 on every version.
_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)

# These describe the exception's own body, not the error response's.
_BODY_HEADERS = frozenset(
    {"content-encoding", "content-length", "content-type", "transfer-encoding"}
)

_PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})

_Respond: TypeAlias = Callable[[web.Request, Exception], Awaitable[web.StreamResponse]]
_Config: TypeAlias = Mapping[Url, Handler]
_IgnoreExceptions: TypeAlias = ExceptionType | tuple[ExceptionType, ...]
_ExceptionHandlers: TypeAlias = Mapping[ExceptionType | int, Handler]


@dataclass
class ErrorContext:
    """What an error handler knows about the error it answers.

    :param err: The exception raised by the request handler.
    :param message: ``str(err)``; when that is empty, the phrase of *status*
        (``"Gateway Timeout"`` for a bare :class:`asyncio.TimeoutError`).
    :param status: The exception's integer ``status`` attribute when it is an
        error status (400 to 599); else 504 for a timeout, 400 for a request
        body that aiohttp could not read, and 500 for anything else.
    :param data: The exception's ``data`` attribute when it has one (not
        ``None``); else ``{"detail": message}``.
    :param hidden: Whether *message* must not reach the client: the middleware
        runs with ``hide_unexpected_messages=True`` and the error is
        unexpected (not an :class:`aiohttp.web.HTTPException`, and without a
        ``status`` or ``data`` of its own). Answer with the phrase of *status*
        then, as both shipped error handlers do; the log has the message.
    """

    err: Exception
    message: str
    status: int
    data: Any
    hidden: bool = False


# The status the middleware found, so that error_context() need not read the
# exception's status (perhaps a failing property) again, and whether to hide
# the message unless the exception has data of its own (read when answering).
_STATUS_KEY = request_key("error_status", int)
_HIDE_KEY = request_key("error_hide", bool)


async def default_error_handler(request: web.Request) -> web.Response:
    """Default error handler to respond with JSON error details.

    A handler that raises ``ValueError("wrong value")`` gets a 500 response
    with ``{"detail": "wrong value"}`` (``{"detail": "Internal Server
    Error"}`` under ``hide_unexpected_messages=True``); an unknown path gets
    404 with ``{"detail": "Not Found"}``. An exception with ``status`` and
    ``data`` attributes gets that status and ``data`` as the JSON body.

    :param request: The request whose handler failed.
    :return: A JSON response with the ``data`` and ``status`` of
        :func:`error_context`, or ``{"detail": <status phrase>}`` when its
        message is ``hidden``.
    """
    with error_context(request) as context:
        data = {"detail": _phrase(context.status)} if context.hidden else context.data
        return web.json_response(data, status=context.status, dumps=_json)


async def problem_error_handler(request: web.Request) -> web.Response:
    """Error handler that answers with RFC 9457 problem details.

    The response is ``application/problem+json`` with the members ``type``
    (the exception's ``type`` attribute when it is a string, else
    ``"about:blank"``), ``title`` (the status phrase), ``status``, ``detail``
    (the error message, or the status phrase when it is ``hidden``) and
    ``instance`` (the request path as the client sent it, still
    percent-encoded, without the query: a URI reference, as RFC 9457
    requires). When the exception's ``data`` is a dict, its other keys come
    along as extension members. Use it as
    ``error_middleware(default_handler=problem_error_handler)``.

    :param request: The request whose handler failed.
    :return: The problem details response, with the error's status.
    """
    with error_context(request) as context:
        kind = _attribute(context.err, "type")
        extensions = context.data if isinstance(context.data, Mapping) else {}
        title = _phrase(context.status)
        problem = {
            **{k: v for k, v in extensions.items() if k not in _PROBLEM_MEMBERS},
            "type": kind if isinstance(kind, str) else "about:blank",
            "title": title,
            "status": context.status,
            "detail": title if context.hidden else context.message,
            "instance": request.rel_url.raw_path,
        }
        return web.Response(
            body=_json(problem).encode(),
            status=context.status,
            content_type="application/problem+json",
        )


def error_middleware(
    *,
    default_handler: Handler = default_error_handler,
    config: _Config | None = None,
    ignore_exceptions: _IgnoreExceptions | None = None,
    exception_handlers: _ExceptionHandlers | None = None,
    hide_unexpected_messages: bool = False,
) -> Middleware:
    """Middleware to handle exceptions in aiohttp applications.

    To catch all errors, put it on top of the middlewares, below
    ``request_id_middleware``, ``proxy_middleware`` and ``cors_middleware``
    only (so that error responses carry the id and the CORS headers, and the
    error handlers see the client) and above ``timeout_middleware`` (so that
    timeouts become 504 responses)::

        app = web.Application(
            middlewares=[error_middleware(), timeout_middleware(29.5)]
        )

    The error handler that answers is, in this order: the one of the
    ``exception_handlers`` key that fits the error best; else the one of the
    first ``config`` key that matches the request path; else
    ``default_handler``. What is said about the error wins over what is said
    about the path. Ignored exceptions and ``HTTPException`` below 400 are
    raised again before any error handler is picked.

    :param default_handler: The error handler called when no
        ``exception_handlers`` key fits the error and no ``config`` key matches
        the request path: an async function that takes the request and returns
        a response, reading the error with :func:`error_context`. By default:
        :func:`default_error_handler`.
    :param config: A dict of URL to error handler, for applications that answer
        errors differently by path. A URL is an exact path string, a
        :class:`yarl.URL` or a compiled regex (matched with ``re.match``); the
        first key in dict order that matches the request path wins.
    :param ignore_exceptions: An exception class, or a tuple of them, that the
        middleware raises again untouched (``web.HTTPNotFound`` then gets
        aiohttp's own 404 page).
    :param exception_handlers: A dict of exception class or status to error
        handler. A class key fits an error of that class or of a subclass; an
        ``int`` key (400 to 599) fits an error of that status (an
        ``HTTPException``'s, a ``status`` attribute's, or the one the
        middleware gives: 500, 504 for a timeout, 400 for an unreadable body).
        The most specific key wins: the error's classes are tried from its own
        class up its MRO; a status key counts as the class that gives the error
        its status (that defines ``status``, or ``status_code`` for aiohttp's
        HTTP exceptions, the error's own class when the instance sets it), and
        loses to a class key of that same class; a status the middleware gives
        comes after every class. So ``{Exception: a, 404: b}`` answers
        ``web.HTTPNotFound`` with ``b``, and ``{ValueError: a, 500: b}``
        answers ``ValueError()`` with ``a``.
    :param hide_unexpected_messages: ``True`` to answer an unexpected exception
        (not an ``HTTPException``, and without a ``status`` or ``data``
        attribute of its own) with the phrase of its status only, as both
        shipped error handlers do (:attr:`ErrorContext.hidden`): its message may
        hold SQL, paths or tokens. The log keeps the message and traceback.
        ``False`` by default, which sends ``str(err)`` as ever; set it in
        production.
    :return: The ``@web.middleware`` coroutine. It *returns* the error response
        (outer middlewares see it as a response), and raises again an
        ``HTTPException`` below 400 and the ignored exceptions.
    :raises TypeError: When ``default_handler``, a ``config`` value or an
        ``exception_handlers`` value is not callable, ``config`` or
        ``exception_handlers`` is not a dict, a ``config`` key is not a URL, an
        ``exception_handlers`` key is neither an exception class nor an
        ``int``, ``ignore_exceptions`` is not an exception class or a tuple of
        them, or ``hide_unexpected_messages`` is not a ``bool``.
    :raises ValueError: When an ``int`` key of ``exception_handlers`` is not
        an error status (400 to 599).
    """
    respond = _compile(
        default_handler,
        config,
        ignore_exceptions,
        exception_handlers,
        hide_unexpected_messages,
    )

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Exception as err:
            return await respond(request, err)

    return middleware


@contextmanager
def error_context(request: web.Request) -> Iterator[ErrorContext]:
    """Context manager to read the error inside an error handler.

    ::

        async def error_handler(request: web.Request) -> web.Response:
            with error_context(request) as context:
                return web.json_response(context.data, status=context.status)

    :param request: The request that the error middleware answers.
    :return: A context manager yielding the :class:`ErrorContext`.
    :raises RuntimeError: When the request carries no error, as happens when
        the function is called outside an error handler.
    """
    err = request.get(ERROR_KEY)
    if err is None:
        raise RuntimeError(
            "error_context() found no error on the request: call it from an "
            "error handler run by error_middleware() or get_error_response()"
        )
    yield _context(
        request, err, request.get(_STATUS_KEY), hide=request.get(_HIDE_KEY, False)
    )


async def get_error_response(
    request: web.Request,
    err: Exception,
    *,
    default_handler: Handler = default_error_handler,
    config: _Config | None = None,
    ignore_exceptions: _IgnoreExceptions | None = None,
    exception_handlers: _ExceptionHandlers | None = None,
    hide_unexpected_messages: bool = False,
) -> web.StreamResponse:
    """Answer *err* as :func:`error_middleware` does: the coroutine behind it.

    Call it from your own middleware when the error middleware's logic needs
    a change, for example to post-process responses where that may raise
    (``docs/examples/error_custom_middleware.py`` is the whole middleware)::

        try:
            response = await handler(request)
            post_process_response(response)
        except Exception as err:
            return await get_error_response(request, err)

    The arguments are checked and compiled on every call; a middleware that
    passes ``config`` had better use :func:`error_middleware` itself.

    :param request: The request whose handler failed.
    :param err: The exception it raised.
    :param default_handler: As in :func:`error_middleware`.
    :param config: As in :func:`error_middleware`.
    :param ignore_exceptions: As in :func:`error_middleware`.
    :param exception_handlers: As in :func:`error_middleware`.
    :param hide_unexpected_messages: As in :func:`error_middleware`.
    :return: The error response.
    :raises Exception: *err* itself when it is ignored or an ``HTTPException``
        below 400.
    :raises TypeError: On bad arguments, as :func:`error_middleware`.
    :raises ValueError: On bad arguments, as :func:`error_middleware`.
    """
    respond = _compile(
        default_handler,
        config,
        ignore_exceptions,
        exception_handlers,
        hide_unexpected_messages,
    )
    return await respond(request, err)


def _compile(
    default_handler: object,
    config: object,
    ignore_exceptions: object,
    exception_handlers: object,
    hide_unexpected_messages: object,
) -> _Respond:
    default = _check_handler(default_handler, "default_handler")
    routes = _compile_config(config)
    ignore = _exception_classes(ignore_exceptions)
    by_kind = _compile_exception_handlers(exception_handlers)
    hide = check_bool(hide_unexpected_messages, "hide_unexpected_messages")

    async def respond(request: web.Request, err: Exception) -> web.StreamResponse:
        # Raised again: what is ignored, what is no error, and what is no
        # Exception at all (a cancellation, a KeyboardInterrupt, a SystemExit
        # passed in by hand).
        if (
            not isinstance(err, Exception)
            or isinstance(err, ignore)
            or _is_not_error(err)
        ):
            raise err
        if _client_gone(request, err):
            return _client_closed(request, err)
        own = _own_status(err)
        status = _given_status(request, err) if own is None else own
        _log_error(request, err, status)
        if _response_started(request):
            return _cut_short(request, status)
        request[ERROR_KEY] = err
        request[_STATUS_KEY] = status
        request[_HIDE_KEY] = hide and own is None
        handler = (
            _fitting(by_kind, err, status, own is not None)
            or _routed(routes, request)
            or default
        )
        return await _answer(handler, request, err)

    return respond


def _context(
    request: web.Request,
    err: Exception,
    status: int | None = None,
    *,
    hide: bool = False,
) -> ErrorContext:
    if status is None:
        own = _own_status(err)
        status = _given_status(request, err) if own is None else own
    message = _message(err) or _phrase(status)
    data = _attribute(err, "data")
    if data is None:
        return ErrorContext(err, message, status, {"detail": message}, hide)
    return ErrorContext(err, message, status, data)


def _attribute(err: Exception, name: str) -> Any:
    # An exception's own properties are application code too: one that fails
    # counts as missing, and is logged, rather than failing the error answer.
    try:
        return getattr(err, name, None)
    except Exception:
        logger.error(
            "Reading %s.%s failed; answering as if it had none",
            type(err).__name__,
            name,
            exc_info=True,
        )
        return None


def _message(err: Exception) -> str:
    try:
        return str(err)
    except Exception:
        logger.error("str() of %s failed", type(err).__name__, exc_info=True)
        return ""


def _json(value: Any) -> str:
    """*value* as JSON text (RFC 8259), which has no NaN nor Infinity.

    Such a number, which :func:`json.dumps` would write as the invalid
    ``NaN`` or ``Infinity``, is sent as ``null``, and a WARNING says where.
    """
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:  # json's only other one, a circular reference, fails below
        replaced: list[str] = []
        finite = _finite(value, "", replaced)
        logger.warning(
            "Error data held numbers that JSON cannot carry, sent as null: %s",
            ", ".join(replaced),
        )
        return json.dumps(finite, allow_nan=False)


def _finite(value: Any, where: str, replaced: list[str]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        replaced.append(f"{where or 'data'} = {value!r}")
        return None
    if isinstance(value, Mapping):
        return {
            key: _finite(item, f"{where}[{key!r}]", replaced)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _finite(item, f"{where}[{index}]", replaced)
            for index, item in enumerate(value)
        ]
    return value


def _own_status(err: Exception) -> int | None:
    # The status the error carries itself, when it is an error status.
    status = _attribute(err, "status")
    if isinstance(status, int) and 400 <= status <= 599:
        return int(status)
    return None


def _given_status(request: web.Request, err: Exception) -> int:
    # The status of an error that carries none of its own.
    if isinstance(err, _TIMEOUTS):
        return HTTPStatus.GATEWAY_TIMEOUT.value
    if _bad_body(request, err):
        return HTTPStatus.BAD_REQUEST.value
    return HTTPStatus.INTERNAL_SERVER_ERROR.value


def _bad_body(request: web.Request, err: Exception) -> bool:
    # aiohttp raises RequestPayloadError into the handler that reads a body it
    # cannot parse or decompress. For a malformed chunk-size line its
    # pure-Python parser raises its own HttpProcessingError instead, having
    # failed the body: the same parser error from an upstream the handler
    # talks to leaves the request's body intact, and stays a server error.
    if isinstance(err, web.RequestPayloadError):
        return True
    return (
        isinstance(err, HttpProcessingError) and request.content.exception() is not None
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_not_error(err: Exception) -> bool:
    # Raised again for aiohttp to send: a redirect or a 204 is an answer.
    return isinstance(err, web.HTTPException) and err.status < 400


def _client_gone(request: web.Request, err: Exception) -> bool:
    # Once the client is gone, aiohttp fails body reads with ConnectionResetError,
    # writes with ClientConnectionResetError (a subclass) and a write waiting for
    # the buffer to drain with a plain ConnectionError. The same errors while the
    # client is still connected come from elsewhere (an upstream connection) and
    # are application errors.
    if not isinstance(err, ConnectionError):
        return False
    transport = request.transport
    return transport is None or transport.is_closing()


def _client_closed(request: web.Request, err: Exception) -> web.Response:
    logger.info(
        "%s %s -> %d: client closed the connection (%r)",
        request.method,
        logged_path(request),
        _CLIENT_CLOSED,
        err,
    )
    # Nobody reads it; aiohttp's access log records its status.
    return web.Response(status=_CLIENT_CLOSED, reason="Client Closed Request")


def _log_error(request: web.Request, err: Exception, status: int) -> None:
    if isinstance(err, RequestTimeout):
        return  # timeout_middleware logged it, saying where the handler waited
    if status >= 500:
        logger.error(
            "%s %s -> %d: %r",
            request.method,
            logged_path(request),
            status,
            err,
            exc_info=err,
        )
    else:
        logger.info(
            "%s %s -> %d: %r", request.method, logged_path(request), status, err
        )


def _response_started(request: web.Request) -> bool:
    # Bytes of a response that the handler streamed have left already (aiohttp
    # checks the same count). A mocked request's writer has no real count.
    sent = request.writer.output_size
    return isinstance(sent, int) and sent > 0


def _cut_short(request: web.Request, status: int) -> web.Response:
    # An error response would land inside the body already on its way. Closing
    # the connection tells the client that the answer is incomplete, as aiohttp
    # does without this middleware. The response returned is never sent; the
    # access log records its status.
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=status)


async def _answer(
    handler: Handler, request: web.Request, err: Exception
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except Exception:
        logger.error(
            "Error handler %r failed on %s %s, answering 500",
            handler,
            request.method,
            logged_path(request),
            exc_info=True,
        )
        return web.json_response(
            {"detail": HTTPStatus.INTERNAL_SERVER_ERROR.phrase},
            status=HTTPStatus.INTERNAL_SERVER_ERROR.value,
        )
    if isinstance(err, web.HTTPException):
        _keep_headers(err, response)
    return response


def _keep_headers(err: web.HTTPException, response: web.StreamResponse) -> None:
    # Computed before adding anything, so that every value of a repeated header
    # (two WWW-Authenticate challenges) comes along.
    extra = [
        (name, value)
        for name, value in err.headers.items()
        if name not in response.headers and name.lower() not in _BODY_HEADERS
    ]
    response.headers.extend(extra)
    for name, morsel in err.cookies.items():
        if name not in response.cookies:
            response.cookies[name] = morsel


class _ByKind(NamedTuple):
    """``exception_handlers``, split by the kind of their keys."""

    classes: dict[type[Exception], Handler]
    statuses: dict[int, Handler]


def _fitting(
    by_kind: _ByKind, err: Exception, status: int, own: bool
) -> Handler | None:
    # The error's classes from the most specific; its own status where the
    # class that gives it stands, a status it was given after them all.
    classes = type(err).__mro__
    giver = _status_giver(err, classes) if own else len(classes)
    for index, kind in enumerate(classes):
        if kind in by_kind.classes:
            return by_kind.classes[kind]
        if index == giver and status in by_kind.statuses:
            return by_kind.statuses[status]
    return by_kind.statuses.get(status)


def _status_giver(err: Exception, classes: tuple[type, ...]) -> int:
    # Where in the MRO the status comes from: the nearest class that sets
    # `status`, or `status_code` as aiohttp's HTTP exceptions do; the error's
    # own class when the instance sets it.
    if "status" in vars(err):
        return 0
    return next(
        (
            index
            for index, kind in enumerate(classes)
            if "status" in vars(kind) or "status_code" in vars(kind)
        ),
        0,
    )


def _routed(
    routes: tuple[tuple[Matcher, Handler], ...], request: web.Request
) -> Handler | None:
    for match, handler in routes:
        if match(request.method, routed_path(request)):
            return handler
    return None


def _compile_config(config: object) -> tuple[tuple[Matcher, Handler], ...]:
    if config is None:
        return ()
    if not isinstance(config, Mapping):
        raise TypeError(
            "config must be a dict of URL to error handler, "
            f"not {type(config).__name__}: {config!r}"
        )
    # One matcher per key keeps the dict order: the first matching key wins.
    return tuple(
        (
            compile_urls((url,), argument="config"),
            _check_handler(handler, f"config[{url!r}]"),
        )
        for url, handler in config.items()
    )


def _compile_exception_handlers(handlers: object) -> _ByKind:
    by_kind = _ByKind({}, {})
    if handlers is None:
        return by_kind
    if not isinstance(handlers, Mapping):
        raise TypeError(
            "exception_handlers must be a dict of exception class or status to "
            f"error handler, not {type(handlers).__name__}: {handlers!r}"
        )
    for key, handler in handlers.items():
        argument = f"exception_handlers[{key!r}]"
        if isinstance(key, type) and issubclass(key, Exception):
            by_kind.classes[key] = _check_handler(handler, argument)
        elif isinstance(key, int) and not isinstance(key, bool):
            if not 400 <= key <= 599:
                raise ValueError(
                    f"exception_handlers holds status {key}: only error statuses "
                    "(400 to 599) are answered by error handlers"
                )
            by_kind.statuses[key] = _check_handler(handler, argument)
        else:
            # A BaseException that is no Exception (KeyboardInterrupt ...) is
            # never caught: its handler would never run.
            raise TypeError(
                "exception_handlers keys must be Exception subclasses or error "
                f"statuses, not {type(key).__name__}: {key!r}"
            )
    return by_kind


def _check_handler(handler: object, argument: str) -> Handler:
    if not callable(handler):
        raise TypeError(
            f"{argument} must be an error handler (an async function taking "
            f"the request), not {type(handler).__name__}: {handler!r}"
        )
    return handler


def _exception_classes(value: object) -> tuple[type[BaseException], ...]:
    if value is None:
        return ()
    items = (
        (value,) if isinstance(value, type) else to_tuple(value, "ignore_exceptions")
    )
    for item in items:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(
                "ignore_exceptions must be an exception class or a tuple of "
                f"them, got {type(item).__name__}: {item!r}"
            )
    return items  # type: ignore[return-value]  # every item checked above
