"""X-Ray tracing without the X-Ray SDK, behind the TRACING setting (off by default).

With TRACING=xray (docs/operations.md, "Tracing"), Lambda's active tracing records every
invocation, and this module carries one request's trace across the SQS hop to each
@connections post:

- the publisher hands SQS the invocation's trace header (`_X_AMZN_TRACE_ID`, which the
  Lambda runtime sets for each invocation) as the job's `AWSTraceHeader` system attribute;
  SQS keeps it with the message and Lambda gives it to the consumer in the record's
  `attributes` (Tracer.header);
- the consumer records each job as a segment of that same trace, whose parent is the
  sending function's segment, with one subsegment per post (Tracer.job, call); a large
  group's continuation job carries the trace on, under the job that queued it. They go to
  the X-Ray daemon that Lambda runs beside the function (UDP, AWS_XRAY_DAEMON_ADDRESS), in
  the documents the SDK would send.

Off, or for a trace that is not sampled, nothing is sent and a post pays one context
variable read. The SDK is not needed for any of it: importing aws_xray_sdk and patching
botocore costs every cold start more than the whole of this module (docs/operations.md).
"""
import contextlib
import contextvars
import json
import os
import secrets
import socket
import threading
import time

TRACE_HEADER_ENV = "_X_AMZN_TRACE_ID"
SQS_TRACE_ATTRIBUTE = "AWSTraceHeader"
DEFAULT_DAEMON = ("127.0.0.1", 2000)
_DAEMON_HEADER = b'{"format": "json", "version": 1}\n'
_current = contextvars.ContextVar("trace_segment", default=None)


def parse_header(header):
    """{"Root", "Parent", "Sampled", ...} of an X-Ray trace header ("Root=1-...;Parent=...;Sampled=1")."""
    fields = {}
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name and value:
            fields[name] = value
    return fields


def daemon_address(value):
    """(host, port) from AWS_XRAY_DAEMON_ADDRESS ("host:port", or "udp:host:port tcp:host:port")."""
    if not value:
        return DEFAULT_DAEMON
    for part in value.split():
        if part.startswith("udp:"):
            value = part[4:]
            break
    host, _, port = value.rpartition(":")
    return host, int(port)


class Tracer:
    """Propagates and records traces when enabled; does nothing otherwise."""

    def __init__(self, enabled, daemon=None, environ=None, clock=time.time):
        self.enabled = enabled
        self._environ = os.environ if environ is None else environ
        self._daemon = daemon
        self._clock = clock
        self._socket = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls):
        from chalicelib.core.config import settings

        return cls(settings().tracing)

    def header(self):
        """The trace header to send along (None when off or untraced): inside a job's segment
        (a large group's continuation job), that segment's; otherwise the invocation's."""
        if not self.enabled:
            return None
        segment = _current.get()
        if segment is not None:
            return f"Root={segment.document['trace_id']};Parent={segment.document['id']};Sampled=1"
        return self._environ.get(TRACE_HEADER_ENV) or None

    @contextlib.contextmanager
    def job(self, record, name, annotations=None):
        """Inside, calls (see `call`) are subsegments of a segment `name` in the trace the SQS
        `record` carries; nothing is recorded when off or when the trace is not sampled."""
        header = (record.get("attributes") or {}).get(SQS_TRACE_ATTRIBUTE) if self.enabled else None
        fields = parse_header(header)
        if fields.get("Sampled") != "1" or "Root" not in fields:
            yield None
            return
        segment = _Segment(self, name, fields["Root"], fields.get("Parent"), annotations)
        token = _current.set(segment)
        try:
            yield segment
        except BaseException:
            segment.document["fault"] = True
            raise
        finally:
            _current.reset(token)
            segment.end()

    def send(self, document):
        """One segment document to the daemon (UDP: a lost datagram loses a span, never a request)."""
        payload = _DAEMON_HEADER + json.dumps(document, separators=(",", ":")).encode()
        try:
            with self._lock:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    self._daemon = self._daemon or daemon_address(self._environ.get("AWS_XRAY_DAEMON_ADDRESS"))
                self._socket.sendto(payload, self._daemon)
        except OSError:
            pass  # tracing must never fail a delivery


class _Segment:
    def __init__(self, tracer, name, trace_id, parent_id, annotations):
        self._tracer = tracer
        self.document = {"name": name, "id": _new_id(), "trace_id": trace_id, "start_time": tracer._clock(),
                         "annotations": dict(annotations or {})}
        if parent_id:
            self.document["parent_id"] = parent_id

    def subsegment(self, namespace_name, operation, started, status):
        """Record one finished AWS call under this segment."""
        document = {"type": "subsegment", "id": _new_id(), "trace_id": self.document["trace_id"],
                    "parent_id": self.document["id"], "name": namespace_name, "namespace": "aws",
                    "start_time": started, "end_time": self._tracer._clock(),
                    "aws": {"operation": operation}}
        code = _status_code(status)
        if code is not None:
            document["http"] = {"response": {"status": code}}
        if code == 429:
            document["throttle"] = document["error"] = True
        elif code is not None and 400 <= code < 500:
            document["error"] = True
        elif code is None or code >= 500:
            document["fault"] = True
        self._tracer.send(document)

    def end(self):
        self.document["end_time"] = self._tracer._clock()
        self._tracer.send(self.document)


@contextlib.contextmanager
def call(namespace_name, operation, status_of=lambda exc: getattr(exc, "status", None)):
    """Time an AWS call as a subsegment of the running job's segment (a no-op outside one).

    A call that raises gets the HTTP status `status_of(exception)` names (a fault if None)."""
    segment = _current.get()
    if segment is None:
        yield
        return
    started = segment._tracer._clock()
    try:
        yield
    except Exception as exc:
        segment.subsegment(namespace_name, operation, started, status_of(exc))
        raise
    segment.subsegment(namespace_name, operation, started, 200)


def _status_code(status):
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


def _new_id():
    return secrets.token_hex(8)
