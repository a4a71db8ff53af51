"""The short @connections post (chalicelib/realtime/connections_api.py) against a local HTTP
server: the request boto3 would send, botocore's signature, and boto3's answers."""
import http.server
import json
import threading

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chalicelib.realtime.connections_api import SigV4
from chalicelib.realtime.pusher import ConnectionPusher, Gone, Throttled, TooLarge


class Gateway:
    """Records each request; answers with the next of `answers` (status, headers, body), else 200."""

    def __init__(self):
        self.requests, self.answers, self.close_after = [], [], False
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gateway.requests.append({"method": self.command, "path": self.path, "body": body,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}})
                status, headers, content = gateway.answers.pop(0) if gateway.answers else (200, {}, b"")
                framing = headers.pop("framing", "length")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                elif framing == "length":
                    self.send_header("Content-Length", str(len(content)))
                if gateway.close_after or framing == "to-close":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if framing == "chunked":
                    half = len(content) // 2
                    for part in (content[:half], content[half:]):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(content)

            do_POST = do_DELETE = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/local"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def gateway(aws):
    from chalicelib.core import aws as clients

    clients.reset_for_tests()
    served = Gateway()
    yield served
    served.close()
    clients.reset_for_tests()


def test_a_post_is_the_request_boto3_sends(gateway):
    from chalicelib.core import aws as clients

    boto = clients.client("apigatewaymanagementapi", endpoint_url=gateway.url, attempts=1, read_timeout=2)
    boto.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b'{"a":1}')
    ConnectionPusher.from_env().send(gateway.url, "L0SM9cOFvHcCIhw=", {"a": 1})
    by_boto, ours = gateway.requests
    for key in ("method", "path", "body"):
        assert ours[key] == by_boto[key]
    assert ours["path"] == "/local/@connections/L0SM9cOFvHcCIhw%3D"
    signed = [part for part in ours["headers"]["authorization"].split(", ") if part.startswith("SignedHeaders")]
    assert signed == ["SignedHeaders=host;x-amz-date"]
    assert ours["headers"]["authorization"].split("Credential=")[1].split(",")[0] == \
        by_boto["headers"]["authorization"].split("Credential=")[1].split(",")[0]


@pytest.mark.parametrize("token", [None, "session-token"])
@pytest.mark.parametrize("path", ["/prod/@connections/abc%3D", "/@connections/a-b_c.d~e"])
def test_the_signature_is_botocores(token, path):
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token).get_frozen_credentials()
    now = 1_796_126_931  # 2026-12-01T12:48:51Z
    host, body = "abc.execute-api.eu-west-1.amazonaws.com", b'{"type":"message"}'
    ours = SigV4("eu-west-1", "execute-api").headers("POST", host, path, body, credentials, now)

    request = AWSRequest(method="POST", url=f"https://{host}{path}", data=body, headers={})
    request.context["timestamp"] = ours["X-Amz-Date"]
    request.headers["X-Amz-Date"] = ours["X-Amz-Date"]
    if token:
        request.headers["X-Amz-Security-Token"] = token
    signer = SigV4Auth(credentials, "execute-api", "eu-west-1")
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    assert ours["Authorization"].endswith(f"Signature={signature}")
    assert ours["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
                                            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}")
    assert ours.get("X-Amz-Security-Token") == token


@pytest.mark.parametrize("status,code,expected", [
    (410, "GoneException", Gone), (403, "ForbiddenException", Gone), (413, "PayloadTooLargeException", TooLarge),
    (429, "LimitExceededException", Throttled), (410, None, Gone), (429, None, Throttled)])
def test_each_answer_is_read_as_boto3_reads_it(gateway, status, code, expected):
    headers = {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"} if code else {}
    body = json.dumps({"message": "no"}).encode() if code else b""
    gateway.answers.append((status, headers, body))
    with pytest.raises(expected):
        ConnectionPusher.from_env().send(gateway.url, "c1", {"a": 1})


def test_an_unknown_refusal_is_botocores_client_error(gateway):
    from botocore.exceptions import ClientError

    gateway.answers.append((500, {"Content-Type": "application/json"}, b'{"__type": "InternalServerError"}'))
    with pytest.raises(ClientError) as raised:
        ConnectionPusher.from_env().send(gateway.url, "c1", {"a": 1})
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


@pytest.mark.parametrize("framing", ["chunked", "to-close", "length"])
def test_an_answers_body_is_read_however_it_is_framed(gateway, framing):
    from botocore.exceptions import ClientError

    body = json.dumps({"message": "Forbidden" * 50}).encode()
    pusher = ConnectionPusher.from_env()
    gateway.answers += [(500, {"x-amzn-ErrorType": "InternalServerErrorException", "framing": framing}, body),
                        (200, {"framing": framing}, b"")]
    with pytest.raises(ClientError) as raised:
        pusher.send(gateway.url, "c1", {"a": 1})
    assert raised.value.response["Error"] == {"Code": "InternalServerErrorException", "Message": "Forbidden" * 50}
    pusher.send(gateway.url, "c1", {"a": 1})  # the same connection, or a new one after a close
    pusher.send(gateway.url, "c1", {"a": 1})
    assert len(gateway.requests) == 3


def test_a_connection_the_server_closed_is_replaced(gateway):
    pusher = ConnectionPusher.from_env()
    gateway.close_after = True
    for _ in range(3):
        pusher.send(gateway.url, "c1", {"a": 1})
    gateway.close_after = False
    for _ in range(3):
        pusher.send(gateway.url, "c1", {"a": 1})
    assert len(gateway.requests) == 6


def test_an_unreachable_endpoint_is_botocores_connection_error(aws):
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.core import aws as clients

    clients.reset_for_tests()
    with pytest.raises(EndpointConnectionError):
        ConnectionPusher.from_env().send("http://127.0.0.1:9/local", "c1", {"a": 1})
    clients.reset_for_tests()


def test_boto3s_before_call_event_still_fires(gateway):
    from chalicelib.core import aws as clients

    pusher = ConnectionPusher.from_env()
    seen = []
    pusher._client_for(gateway.url).meta.events.register(
        "before-call.apigatewaymanagementapi.PostToConnection", lambda model, **_: seen.append(model.name))
    pusher.send(gateway.url, "c1", {"a": 1})
    assert seen == ["PostToConnection"]
    pusher.disconnect(gateway.url, "c1")  # through the boto3 client
    assert [request["method"] for request in gateway.requests] == ["POST", "DELETE"]
    assert clients.client("apigatewaymanagementapi", endpoint_url=gateway.url, attempts=1, read_timeout=2)
