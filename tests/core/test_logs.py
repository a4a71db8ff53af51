"""Structured logs: every line of an invocation carries its request id, each REST request
writes one access line, and neither quotes what a client sent (query values, bodies,
headers, tokens). The whole-stack scan of a real scenario is tests/stack/test_logs.py."""
import json
import logging

import pytest
from chalice.app import Request, WebsocketEvent

from chalicelib.core.logs import (
    bind_request_id,
    log_access,
    request_id_of,
    request_scope,
)
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.queue import new_job
from chalicelib.storage.connections import ConnectionStore
from tests.fakes import RecordingPusher, RecordingQueue, StaticAudience
from tests.helpers import call, capture_app_logs, make_group, new_user


class LambdaContext:
    def __init__(self, request_id):
        self.aws_request_id = request_id
        self.function_name = "test"
        self.memory_limit_in_mb = 128

    def get_remaining_time_in_millis(self):
        return 10_000


@pytest.fixture
def app_logs():
    """Every record the app logs at INFO and above, as the JSON lines production writes."""
    with capture_app_logs(logging.INFO) as stream:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_json_with_time_level_logger_and_the_request_id(app_logs):
    with request_scope("req-123"):
        logging.getLogger("messaging.test").warning("something %s", "happened")
    logging.getLogger("messaging.test").warning("outside any invocation")
    inside, outside = app_logs()
    assert inside["requestId"] == "req-123" and inside["message"] == "something happened"
    assert inside["level"] == "WARNING" and inside["logger"] == "messaging.test" and inside["time"].endswith("+00:00")
    assert "requestId" not in outside


def test_an_exception_is_logged_by_type_only(app_logs):
    try:
        raise ValueError("secret-token-in-the-message")
    except ValueError:
        logging.getLogger("messaging.test").exception("failed")
    (line,) = app_logs()
    assert line["exception"] == "ValueError" and "secret-token" not in json.dumps(line)


def test_each_rest_request_writes_one_access_line_without_what_the_client_sent(client, app_logs):
    user, token = new_user(client, "reader@example.com")
    before = len(app_logs())
    status, _, _ = call(client, "GET", "/users/by-email?email=reader%40example.com", token=token)
    assert status == 200
    (line,) = app_logs()[before:]
    assert line["logger"] == "messaging.access"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/users/by-email", 200)
    assert isinstance(line["durationMs"], float) and line["requestId"]
    assert "reader" not in json.dumps(line) and token not in json.dumps(line)


def test_the_access_line_names_the_route_template_and_refusals_too(client, app_logs):
    call(client, "POST", "/groups/someGroupId123/request/someUserId456", raw="not json")
    access = [line for line in app_logs() if line["logger"] == "messaging.access"]
    assert [(line["method"], line["route"], line["status"]) for line in access] == [
        ("POST", "/groups/{groupId}/request/{userId}", 401)]
    assert "someGroupId123" not in json.dumps(access)


def test_every_line_of_a_request_shares_its_request_id_and_requests_differ(client, db, app_logs):
    alice, token = new_user(client, "alice@example.com")
    group = make_group(db, alice["id"])
    assert call(client, "POST", "/messages/send", {"groupId": group, "text": "soon unreadable"}, token=token)[0] == 201
    db["messages"].update_one({}, {"$set": {"ciphertext": b"tampered"}})
    before = len(app_logs())

    assert call(client, "GET", f"/messages/{group}", token=token)[0] == 200

    lines = app_logs()[before:]
    assert {line["logger"] for line in lines} == {"messaging.messages", "messaging.access"}
    assert len({line["requestId"] for line in lines}) == 1
    earlier = {line["requestId"] for line in app_logs()[:before] if line["logger"] == "messaging.access"}
    assert lines[0]["requestId"] not in earlier


def test_the_fanout_invocation_tags_its_lines_with_the_lambda_request_id(app_logs):
    import app

    poison = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": "not a job", "attributes": {},
                           "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                           "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"}]}

    result = app.fanout(poison, LambdaContext("lambda-req-7"))

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    failed, batch = app_logs()
    assert failed["message"] == "fan-out job failed: JSONDecodeError"
    assert (batch["records"], batch["failed"]) == (1, 1)
    assert failed["requestId"] == batch["requestId"] == "lambda-req-7"


def test_pushes_on_worker_threads_keep_the_request_id(db, app_logs):
    connections = ConnectionStore(db)
    connections.add("c1", "alice", "http://gateway.test")
    fanout = Fanout(StaticAudience({"g1": {"alice"}}), connections, RecordingPusher(broken={"c1"}), RecordingQueue())
    with request_scope("fanout-req-1"), pytest.raises(Exception, match="not reached"):
        fanout.deliver(new_job({"type": "message"}, conversation_id="g1"))
    (line,) = app_logs()
    assert line["message"] == "push failed: RuntimeError" and line["requestId"] == "fanout-req-1"


@pytest.mark.parametrize("event, expected", [
    (Request({"requestContext": {"requestId": "rest-id", "resourcePath": "/me", "httpMethod": "GET"},
              "headers": {}, "multiValueQueryStringParameters": None, "pathParameters": None, "httpMethod": "GET",
              "stageVariables": None, "body": None, "isBase64Encoded": False}, LambdaContext("lambda-id")),
     "rest-id"),
    (WebsocketEvent({"requestContext": {"requestId": "ws-id", "domainName": "d", "stage": "s",
                                        "connectionId": "c"}}, LambdaContext("lambda-id")), "ws-id"),
    (WebsocketEvent({"requestContext": {"domainName": "d", "stage": "s", "connectionId": "c"}},
                    LambdaContext("lambda-id")), "lambda-id"),
], ids=["rest", "websocket", "no-gateway-id"])
def test_the_request_id_is_api_gateways_and_else_the_lambdas(event, expected, app_logs):
    assert request_id_of(event) == expected
    bind_request_id(event, lambda _: logging.getLogger("messaging.test").warning("inside"))
    assert [line["requestId"] for line in app_logs()] == [expected]


def test_every_handler_runs_inside_the_request_id_middleware():
    from app import app

    assert (bind_request_id, "all") == app.middleware_handlers[0]
    assert (log_access, "http") in app.middleware_handlers
