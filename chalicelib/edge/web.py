"""The REST edge: JSON bodies in, JSON out, and the one table from errors to responses.

Every route is wrapped by `endpoint`, so a domain error becomes its status and the error body
every client relies on, `{"error": {"code": "<snake_case>", "message": "<for people>"}}`
(docs/api.md), a dependency failure becomes a 503, and anything unexpected becomes a plain
500 that is logged with the request id but never shows a stack trace.
"""
import functools
import logging
import re

from chalice import CORSConfig, Response

from chalicelib.core.config import cors_allow_origin
from chalicelib.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
    as_domain_error,
)
from chalicelib.core.jsontext import parse_object
from chalicelib.core.validation import validate

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("messaging.web")

STATUS_OF = {
    InvalidInput: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}


def cors_config():
    """CORS for every route: the one allowed web origin (CORS_ALLOW_ORIGIN), or False for
    none. Chalice adds the headers to each answer and writes API Gateway's preflights."""
    origin = cors_allow_origin()
    if origin is None:
        return False
    return CORSConfig(allow_origin=origin, expose_headers=["Retry-After"], max_age=600)


def endpoint(view):
    """Wrap a Chalice view so every failure leaves as a contract error body."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - this is the one place errors become responses
            return error_response(exc)

    return wrapper


def error_response(exc):
    """The response for an exception raised while serving a request."""
    exc = as_domain_error(exc)
    if exc is None:
        log.exception("unexpected error")
        return _error(500, "internal_error", "Something went wrong on our side; try again.")
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unavailable):
        log.warning("dependency unavailable: %s", exc.code)
    return _error(_status_of(exc), exc.code, exc.message, headers)


def _status_of(exc):
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 500


def _error(status, code, message, headers=None):
    return Response(
        body={"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def json_body(request, schema):
    """The request's JSON object, validated against `schema`; InvalidInput/TooLarge otherwise."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"The request body is over {MAX_BODY_BYTES} bytes.", "body_too_large")
    if not raw.strip():
        raise InvalidInput("The request needs a JSON body.", "invalid_json")
    return validate(schema, parse_object(raw))


def query_params(request, schema):
    """The query string as a dict validated against `schema` (integers converted first)."""
    raw = dict(request.query_params or {})
    params = {}
    for name, value in raw.items():
        spec = schema.get("properties", {}).get(name, {})
        if spec.get("type") == "integer":
            # Digits only: int() would also take " 5", "5_0" and other scripts' digits.
            if not _WHOLE_NUMBER.fullmatch(value):
                raise InvalidInput(f"{name} must be a whole number.")
            value = int(value)
        params[name] = value
    return validate(schema, params, where="query")


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,30}")


def source_address(request):
    return (request.context.get("identity") or {}).get("sourceIp") or "unknown"


def user_agent(request):
    """The client's User-Agent header (what GET /sessions shows to tell devices apart), or None."""
    return request.headers.get("user-agent")


def ok(body, status=200, headers=None):
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def created(body):
    return ok(body, status=201)


def no_content():
    return Response(body="", status_code=204)
