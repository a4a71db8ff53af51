"""Structured logs: one JSON object per line, never a token, password or message text.

Every line written while a Lambda invocation runs carries its `requestId`: API Gateway's
request id for REST and WebSocket events (the `x-amzn-RequestId` a client sees), the
Lambda invocation's id for anything else (the SQS fan-out). It lives in a context variable
that the `bind_request_id` middleware sets for each invocation, so no code has to pass it
along. Each REST request also gets one access line (`log_access`): method, route template,
status and duration, and never a query string, body or header, which can hold secrets.
"""
import contextlib
import contextvars
import json
import logging
import os
import time
from datetime import datetime, timezone

_request_id = contextvars.ContextVar("request_id", default=None)
access = logging.getLogger("messaging.access")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id.get()
        if request_id is not None:
            entry["requestId"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            # The exception's type only: its text may quote request data.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry)


def configure_logging():
    """Send JSON lines to stderr at LOG_LEVEL (Lambda forwards them to CloudWatch)."""
    root = logging.getLogger("messaging")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    root.propagate = False


@contextlib.contextmanager
def request_scope(request_id):
    """Log lines written inside carry `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def current_request_id():
    """The id of the invocation this code runs in (None outside one: tests, tools)."""
    return _request_id.get()


def request_id_of(event):
    """API Gateway's request id of a Chalice REST or WebSocket event; the Lambda's otherwise."""
    context = getattr(event, "context", None)
    if isinstance(context, dict):  # a REST Request: `context` is API Gateway's requestContext
        request_context, lambda_context = context, getattr(event, "lambda_context", None)
    else:  # other events: `context` is the Lambda context, the raw event holds requestContext
        raw = event.to_dict() if hasattr(event, "to_dict") else {}
        request_context, lambda_context = (raw.get("requestContext") or {}), context
    found = request_context.get("requestId") if isinstance(request_context, dict) else None
    return str(found) if found else getattr(lambda_context, "aws_request_id", None)


def bind_request_id(event, get_response):
    """Chalice middleware (every kind of event): the invocation's lines carry its request id."""
    with request_scope(request_id_of(event)):
        return get_response(event)


def log_access(request, get_response):
    """Chalice HTTP middleware: one line per request, with nothing a client sent in it but
    the method (the route is the template, `/groups/{groupId}`, not the concrete path)."""
    started = time.perf_counter()
    status = 500
    try:
        response = get_response(request)
        status = response.status_code
        return response
    finally:
        route = (request.context or {}).get("resourcePath") or "?"
        fields = {"method": request.method, "route": route, "status": status,
                  "durationMs": round((time.perf_counter() - started) * 1000, 1)}
        access.info("%s %s %s", request.method, route, status, extra={"fields": fields})
