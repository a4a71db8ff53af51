"""The @connections management API's `post_to_connection`, the short way.

boto3's generic call path (parameter validation, endpoint rules, serialisation, response
parsing, urllib3's pool) costs about 0.7 ms of CPU per post, and the fan-out does little else.
`ConnectionsClient` wraps the boto3 client and keeps its contract for that one operation:

- the request is the one boto3 sends (POST {stage}/@connections/{ConnectionId, percent-encoded},
  the frame as the body), SigV4-signed for `execute-api` with the session's credentials;
  `SigV4` below produces botocore's very signature (tests/realtime/test_connections_api.py
  checks it against botocore's SigV4Auth), with the signing key kept for its day;
- each pushing thread keeps one HTTP/1.1 connection alive (TCP_NODELAY, as botocore sets it;
  TLS with botocore's CA bundle), opened with the boto3 client's connect timeout and read
  with its read timeout; the request goes out in one write and the answer is read with no
  more parsing than keep-alive needs (status, headers, a Content-Length or chunked body);
  one attempt, no retries (the fan-out consumer is the one retry layer);
- an answer of 301 or more becomes the ClientError boto3 raises (the code from
  `x-amzn-ErrorType` or the JSON body, the status in ResponseMetadata), a network failure
  botocore's EndpointConnectionError or ReadTimeoutError;
- boto3's `before-call` event still fires (its X-Ray trace header; the work benchmark's count).

Everything else (`delete_connection`, `meta`) is the boto3 client's; behind an HTTP proxy the
boto3 client does the posting too.
"""
import hashlib
import hmac
import json
import select
import socket
import threading
import time
from urllib.parse import quote, urlsplit

OPERATION = "PostToConnection"
_READ_BYTES = 16 * 1024
_MAX_HEAD_BYTES = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ConnectionsClient:
    def __init__(self, boto_client, credentials=None, clock=time.time):
        self._client = boto_client
        self.meta = boto_client.meta
        config = boto_client.meta.config
        parts = urlsplit(boto_client.meta.endpoint_url)
        self._scheme = parts.scheme
        self._hostname = parts.hostname
        self._port = parts.port or _DEFAULT_PORTS[parts.scheme]
        self._host = parts.netloc if parts.port not in (None, _DEFAULT_PORTS[parts.scheme]) else parts.hostname
        self._base_path = parts.path.rstrip("/")
        self._timeouts = (config.connect_timeout, config.read_timeout)
        self._signer = SigV4(self.meta.region_name, self.meta.service_model.signing_name)
        self._credentials = credentials  # None: the session's (botocore refreshes them)
        self._clock = clock
        self._event = f"before-call.{self.meta.service_model.service_id.hyphenize()}.{OPERATION}"
        self._model = self.meta.service_model.operation_model(OPERATION)
        self._tls = None
        self._local = threading.local()

    @classmethod
    def wrapping(cls, boto_client):
        """This short way for `boto_client`, or `boto_client` itself behind an HTTP proxy."""
        import urllib.request

        parts = urlsplit(boto_client.meta.endpoint_url)
        proxies = urllib.request.getproxies()
        if parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or ""):
            return boto_client
        return cls(boto_client)

    def post_to_connection(self, ConnectionId, Data):  # noqa: N803 - boto3's names
        """Send `Data` (bytes) to one connection; the ClientError boto3 raises when refused."""
        path = f"{self._base_path}/@connections/{quote(ConnectionId, safe='')}"
        headers = {}
        self.meta.events.emit(self._event, model=self._model, request_signer=None, context={},
                              params={"url_path": path, "headers": headers, "body": Data, "method": "POST"})
        headers.update(self._signer.headers("POST", self._host, path, Data, self._frozen_credentials(),
                                            self._clock()))
        headers["Host"] = self._host
        status, answer_headers, body = self._exchange("POST", path, Data, headers)
        if status < 301:  # botocore reads 301 and above as refusals
            return {"ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": answer_headers}}
        from botocore.exceptions import ClientError

        raise ClientError(error_response(status, answer_headers, body), OPERATION)

    def delete_connection(self, ConnectionId):  # noqa: N803
        return self._client.delete_connection(ConnectionId=ConnectionId)

    def _frozen_credentials(self):
        credentials = self._credentials
        if credentials is None:
            from chalicelib.core.aws import credentials as session_credentials

            credentials = session_credentials()
        return credentials.get_frozen_credentials()

    def _exchange(self, method, path, body, headers):
        """(status, lower-cased headers, body) of one request on this thread's connection."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"{method} {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        connection = self._connection()
        try:
            connection.sendall(request)
            status, answer_headers, content, keep = _read_answer(connection)
        except (socket.timeout, TimeoutError) as failure:
            self._forget(connection)
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url=self.meta.endpoint_url, error=failure) from None
        except (OSError, ValueError) as failure:
            self._forget(connection)
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=self.meta.endpoint_url, error=failure) from None
        if not keep:
            self._forget(connection)
        return status, answer_headers, content

    def _connection(self):
        """This thread's open connection; a new one when there is none or the server closed it."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and _dropped(connection):
            self._forget(connection)
            connection = None
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def _forget(self, connection):
        try:
            connection.close()
        except OSError:
            pass
        self._local.connection = None

    def _connect(self):
        connect_timeout, read_timeout = self._timeouts
        try:
            connection = socket.create_connection((self._hostname, self._port), timeout=connect_timeout)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._scheme == "https":
                connection = self._tls_context().wrap_socket(connection, server_hostname=self._hostname)
        except OSError as failure:
            from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

            kind = ConnectTimeoutError if isinstance(failure, (socket.timeout, TimeoutError)) else EndpointConnectionError
            raise kind(endpoint_url=self.meta.endpoint_url, error=failure) from None
        connection.settimeout(read_timeout)
        return connection

    def _tls_context(self):
        if self._tls is None:
            import ssl

            from botocore.httpsession import get_cert_path

            self._tls = ssl.create_default_context(cafile=get_cert_path(True))  # botocore's CA bundle
        return self._tls


class SigV4:
    """AWS Signature Version 4 for a request with no query string, as botocore's SigV4Auth
    signs it (host, x-amz-date and x-amz-security-token signed; the payload hashed)."""

    def __init__(self, region, service):
        self._region = region
        self._service = service
        self._keys = {}  # (secret, day) -> signing key

    def headers(self, method, host, path, body, credentials, now):
        """The X-Amz-Date, X-Amz-Security-Token (if any) and Authorization headers."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        day = stamp[:8]
        signed = {"host": host, "x-amz-date": stamp}
        if credentials.token:
            signed["x-amz-security-token"] = credentials.token
        names = sorted(signed)
        canonical = "\n".join((
            method,
            quote(path, safe="/~"),  # botocore quotes the (already encoded) path again
            "",
            "".join(f"{name}:{' '.join(signed[name].split())}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ))
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(credentials.secret_key, day), to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {"X-Amz-Date": stamp,
                   "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={signature}"}
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        return headers

    def _key(self, secret, day):
        key = self._keys.get((secret, day))
        if key is None:
            key = f"AWS4{secret}".encode()
            for part in (day, self._region, self._service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret, day): key}  # only today's (a new secret or day replaces it)
        return key


def error_response(status, headers, body):
    """botocore's error dict for a refused REST-JSON call: the code from `x-amzn-ErrorType`
    (else the body's `code` or `__type`, else the status), the message from the body."""
    parsed = {}
    try:
        loaded = json.loads(body or b"{}")
        parsed = loaded if isinstance(loaded, dict) else {}
    except ValueError:
        pass
    code = headers.get("x-amzn-errortype") or parsed.get("code") or parsed.get("__type") or str(status)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return {"Error": {"Code": code, "Message": parsed.get("message", parsed.get("Message", ""))},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers,
                                 **({"RequestId": headers["x-amzn-requestid"]} if "x-amzn-requestid" in headers else {})}}


def _read_answer(connection):
    """(status, lower-cased headers, body, keep-alive) of one HTTP/1.1 answer; ValueError for
    anything that is not one (the connection is then dropped)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = connection.recv(_READ_BYTES)
        if not chunk:
            raise ValueError("the connection closed before an answer")
        buffer += chunk
        if len(buffer) > _MAX_HEAD_BYTES:
            raise ValueError("an answer's head is too large")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x answer")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(connection, rest)
    elif "content-length" in headers:
        body = _read_exactly(connection, rest, int(headers["content-length"]))
    else:  # the body runs to the end of the connection
        body, keep = _read_to_end(connection, rest), False
    return int(status), headers, body, keep


def _read_exactly(connection, buffer, length):
    while len(buffer) < length:
        chunk = connection.recv(max(_READ_BYTES, length - len(buffer)))
        if not chunk:
            raise ValueError("the connection closed inside an answer")
        buffer += chunk
    return buffer[:length]


def _read_chunked(connection, buffer):
    body = b""
    while True:
        while b"\r\n" not in buffer:
            buffer = _more(connection, buffer)
        size_line, _, buffer = buffer.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            while not (buffer.startswith(b"\r\n") or b"\r\n\r\n" in buffer):  # the trailer, if any
                buffer = _more(connection, buffer)
            return body
        while len(buffer) < size + 2:
            buffer = _more(connection, buffer)
        body += buffer[:size]
        buffer = buffer[size + 2:]


def _read_to_end(connection, buffer):
    while True:
        chunk = connection.recv(_READ_BYTES)
        if not chunk:
            return buffer
        buffer += chunk


def _more(connection, buffer):
    chunk = connection.recv(_READ_BYTES)
    if not chunk:
        raise ValueError("the connection closed inside an answer")
    return buffer + chunk


def _dropped(connection):
    """True when the server has closed this kept-alive connection (it reads as ready: EOF)."""
    if connection.fileno() < 0:
        return True
    try:
        readable, _, _ = select.select([connection], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
