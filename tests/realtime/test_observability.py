"""What an operator sees of a message (docs/operations.md): the MessagesSent metric as EMF
lines, the log lines the saved query "why did this message not arrive" reads (messageId,
jobId, outcome; never the text), and with tracing on, one X-Ray trace from the send through
real SQS (moto) to each post."""
import json
import os
import socket

import boto3
import pytest

from chalicelib import services
from chalicelib.core.tracing import Tracer, parse_header
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.queue import FanoutQueue
from chalicelib.storage.connections import ConnectionStore
from tests.fakes import RecordingPusher, RecordingQueue
from tests.helpers import call, capture_app_logs, drain_fanout_jobs

SECRET = "the quarterly numbers are 4,2 million"
TRACE = "Root=1-6a3f2b10-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


@pytest.fixture
def queue_url(db):
    drain_fanout_jobs()
    yield os.environ["FANOUT_QUEUE_URL"]
    drain_fanout_jobs()


def _emf(captured):
    return [json.loads(line) for line in captured.splitlines() if line.startswith('{"_aws"')]


def _sent_by_kind(lines):
    found = {}
    for line in lines:
        if "MessagesSent" in line:
            directive = line["_aws"]["CloudWatchMetrics"][0]
            assert directive["Dimensions"] == [["Stage", "Kind"]]
            assert directive["Metrics"] == [{"Name": "MessagesSent", "Unit": "Count"}]
            found[line["Kind"]] = found.get(line["Kind"], 0) + line["MessagesSent"]
    return found


def _consumer(db, pusher, queue=None, **options):
    built = services.build(db)
    return Fanout(built.audience, ConnectionStore(db), pusher, queue or RecordingQueue(), keyring=built.keyring,
                  sleep=lambda _: None, **options)


def test_each_stored_message_counts_once_by_kind_and_a_retry_does_not(client, alice, bob, group, capsys, queue_url):
    _, alice_token = alice
    capsys.readouterr()
    send = {"groupId": group, "text": SECRET, "clientMessageId": "c-1"}
    assert call(client, "POST", "/messages/send", send, token=alice_token)[0] == 201
    assert call(client, "POST", "/messages/send", send, token=alice_token)[0] == 201  # the same message again
    direct = {"participants": ["alice@example.com", "bob@example.com"],
              "message": {"sender": "alice@example.com", "text": SECRET}}
    assert call(client, "PUT", "/messages", direct, token=alice_token)[0] == 201
    lines = _emf(capsys.readouterr().out)
    assert _sent_by_kind(lines) == {"group": 1, "direct": 1}
    assert all(line["Stage"] == "test" for line in lines)


def test_a_socket_send_counts_as_a_rest_one_does(db, alice, group, capsys, queue_url):
    from chalicelib.core.metrics import metrics

    user, _ = alice
    sent = services.build(db).messaging.send(user["id"], group, SECRET)
    metrics.flush()  # what the middleware does when the socket's invocation ends
    assert sent["seq"] == 1 and _sent_by_kind(_emf(capsys.readouterr().out)) == {"group": 1}


def test_the_send_its_job_and_each_post_name_the_message_and_never_its_text(client, alice, bob, group, db,
                                                                             queue_url):
    (_, alice_token), (bob_user, _) = alice, bob
    ConnectionStore(db).add("bob-phone", bob_user["id"], "http://gateway.test")
    ConnectionStore(db).add("bob-old-laptop", bob_user["id"], "http://gateway.test")
    with capture_app_logs("INFO") as logs:
        status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": SECRET}, token=alice_token)
        assert status == 201
        (job,) = drain_fanout_jobs()
        record = {"messageId": "sqs-1", "body": json.dumps(job), "attributes": {"ApproximateReceiveCount": "2"}}
        assert _consumer(db, RecordingPusher(gone={"bob-old-laptop"})).handle_batch([record]) == {
            "batchItemFailures": []}
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    message_id = body["message"]["id"]
    assert all(SECRET not in json.dumps(line) for line in lines)
    about = [line for line in lines if line.get("messageId") == message_id]
    by_text = {line["message"]: line for line in about}
    assert set(by_text) >= {"message stored", "fan-out job queued", "fan-out job delivered"}
    assert by_text["message stored"]["kind"] == "group" and by_text["message stored"]["seq"] == 1
    assert by_text["fan-out job queued"]["jobId"] == job["jobId"]
    delivered = by_text["fan-out job delivered"]
    assert (delivered["jobId"], delivered["outcome"], delivered["sqsMessageId"]) == (job["jobId"], "delivered", "sqs-1")
    assert (delivered["delivered"], delivered["gone"], delivered["failed"], delivered["receiveCount"]) == (1, 1, 0, 2)
    # Every field the saved query shows is one these lines (or a failed job's) carry.
    # (the pushes' fields: tests/realtime/test_notifications.py, no phone is offline here)
    logged = {name for line in lines for name in line} | {"error", "pushesSent", "pushesDisabled", "pushesFailed"}
    assert set(_saved_query_fields()) - {"@timestamp"} <= logged


def _saved_query_fields():
    import pathlib
    import re

    stack = (pathlib.Path(__file__).resolve().parents[2] / "infra" / "stack.yaml").read_text()
    query = stack.split("why-did-this-message-not-arrive", 1)[1]
    assert 'filter messageId = "MESSAGE_ID"' in query
    return [name.strip() for name in re.search(r"^\s*fields (.+)$", query, re.M).group(1).split(",")]


def test_a_job_left_for_a_retry_says_how_many_posts_failed(client, alice, bob, group, db, queue_url):
    (_, alice_token), (bob_user, _) = alice, bob
    ConnectionStore(db).add("bob-phone", bob_user["id"], "http://gateway.test")
    call(client, "POST", "/messages/send", {"groupId": group, "text": SECRET}, token=alice_token)
    (job,) = drain_fanout_jobs()
    with capture_app_logs("INFO") as logs:
        result = _consumer(db, RecordingPusher(broken={"bob-phone"})).handle_batch(
            [{"messageId": "sqs-2", "body": json.dumps(job)}])
    assert result == {"batchItemFailures": [{"itemIdentifier": "sqs-2"}]}
    (line,) = [json.loads(text) for text in logs.getvalue().splitlines() if '"jobId"' in text]
    assert (line["level"], line["outcome"], line["failed"], line["delivered"]) == ("WARNING", "retry", 1, 0)
    assert line["messageId"] and SECRET not in logs.getvalue()


# Tracing ------------------------------------------------------------------------------------------

@pytest.fixture
def daemon():
    """A stand-in for the X-Ray daemon: a UDP socket on a free port; yields (address, read)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(0.5)

    def read():
        documents = []
        while True:
            try:
                payload = server.recv(65536)
            except socket.timeout:
                return documents
            header, _, body = payload.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            documents.append(json.loads(body))

    yield server.getsockname(), read
    server.close()


def _sqs():
    return boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"])


def _lambda_records(queue_url):
    """The queue's messages as Lambda's event source hands them over (devstack/sqs_source.py),
    taken off the queue: left there, invisible to the teardown's drain, they would come back
    in a later test's queue."""
    received = _sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                      MessageAttributeNames=["All"]).get("Messages", [])
    if received:
        _sqs().delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(received)])
    return [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
             "attributes": message.get("Attributes", {}), "messageAttributes": {}, "eventSource": "aws:sqs"}
            for message in received]


def _publisher(db, tracer):
    return FanoutQueue(_sqs(), os.environ["FANOUT_QUEUE_URL"], services.build(db).keyring, tracer)


def test_one_trace_runs_from_the_send_through_sqs_to_each_post(db, alice, bob, carol, group, daemon, queue_url):
    (alice_user, _), (bob_user, _), (carol_user, _) = alice, bob, carol
    address, read = daemon
    from tests.helpers import set_membership

    set_membership(db, group, carol_user["id"], "member")
    for connection_id, user in (("bob-phone", bob_user), ("carol-phone", carol_user), ("carol-gone", carol_user)):
        ConnectionStore(db).add(connection_id, user["id"], "http://gateway.test")
    # The REST function's invocation: Lambda's runtime set its trace header in the environment.
    sender = Tracer(True, environ={"_X_AMZN_TRACE_ID": TRACE})
    sent = services.build(db, publisher=_publisher(db, sender)).messaging.send(alice_user["id"], group, SECRET)
    (record,) = _lambda_records(queue_url)
    assert record["attributes"]["AWSTraceHeader"] == TRACE  # SQS carried it across the hop

    consumer_tracer = Tracer(True, daemon=address, environ={})
    pusher = RecordingPusher(gone={"carol-gone"})
    assert _consumer(db, pusher, tracer=consumer_tracer).handle_batch([record]) == {"batchItemFailures": []}
    documents = read()
    (job,) = [document for document in documents if document.get("type") != "subsegment"]
    posts = [document for document in documents if document.get("type") == "subsegment"]
    root, parent = parse_header(TRACE)["Root"], parse_header(TRACE)["Parent"]
    assert (job["trace_id"], job["parent_id"]) == (root, parent)  # the same trace, under the sending function
    assert job["annotations"]["messageId"] == sent["id"] and job["end_time"] >= job["start_time"]
    assert len(posts) == 3 and all(post["trace_id"] == root and post["parent_id"] == job["id"] for post in posts)
    assert all(post["name"] == "ApiGatewayManagementApi" and post["aws"]["operation"] == "PostToConnection"
               for post in posts)
    assert sorted(post["http"]["response"]["status"] for post in posts) == [200, 200, 410]
    assert SECRET not in json.dumps(documents)


def test_a_large_groups_continuation_job_stays_in_the_trace(db, alice, bob, carol, group, daemon, queue_url):
    (alice_user, _), (carol_user, _) = alice, carol
    address, read = daemon
    from tests.helpers import set_membership

    set_membership(db, group, carol_user["id"], "member")
    sender = _publisher(db, Tracer(True, environ={"_X_AMZN_TRACE_ID": TRACE}))
    services.build(db, publisher=sender).messaging.send(alice_user["id"], group, SECRET)
    (record,) = _lambda_records(queue_url)
    # The consumer queues the rest of the group on the same queue, with the consumer's own tracer.
    consumer_queue = _publisher(db, Tracer(True, daemon=address, environ={}))
    _consumer(db, RecordingPusher(), queue=consumer_queue, members_per_job=1).handle_batch([record])
    (job,) = [document for document in read() if document.get("type") != "subsegment"]
    (continuation,) = _lambda_records(queue_url)
    header = parse_header(continuation["attributes"]["AWSTraceHeader"])
    assert (header["Root"], header["Parent"], header["Sampled"]) == (job["trace_id"], job["id"], "1")


def test_tracing_off_sends_no_header_and_records_nothing(db, alice, group, daemon, queue_url):
    alice_user, _ = alice
    address, read = daemon
    off = Tracer(False, daemon=address, environ={"_X_AMZN_TRACE_ID": TRACE})
    services.build(db, publisher=_publisher(db, off)).messaging.send(alice_user["id"], group, SECRET)
    (record,) = _lambda_records(queue_url)
    assert "AWSTraceHeader" not in record["attributes"]
    record["attributes"]["AWSTraceHeader"] = TRACE  # even a traced record is not recorded when off
    _consumer(db, RecordingPusher(), tracer=off).handle_batch([record])
    assert read() == []


def test_an_unsampled_trace_is_propagated_but_not_recorded(db, alice, group, daemon, queue_url):
    alice_user, _ = alice
    address, read = daemon
    unsampled = TRACE.replace("Sampled=1", "Sampled=0")
    sender = Tracer(True, environ={"_X_AMZN_TRACE_ID": unsampled})
    services.build(db, publisher=_publisher(db, sender)).messaging.send(alice_user["id"], group, SECRET)
    (record,) = _lambda_records(queue_url)
    assert record["attributes"]["AWSTraceHeader"] == unsampled
    _consumer(db, RecordingPusher(), tracer=Tracer(True, daemon=address, environ={})).handle_batch([record])
    assert read() == []


@pytest.mark.parametrize("value, expected", [
    (None, ("127.0.0.1", 2000)),
    ("169.254.79.129:2000", ("169.254.79.129", 2000)),
    ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
])
def test_the_daemon_address_is_read_as_lambda_gives_it(value, expected):
    from chalicelib.core.tracing import daemon_address

    assert daemon_address(value) == expected


def test_the_tracing_setting_is_off_by_default_and_refuses_a_typo(monkeypatch):
    from chalicelib.core import config
    from chalicelib.core.errors import ServiceMisconfigured

    config.settings.cache_clear()
    try:
        assert config.settings().tracing is False
        monkeypatch.setenv("TRACING", "xray")
        config.settings.cache_clear()
        assert config.settings().tracing is True
        monkeypatch.setenv("TRACING", "on")
        config.settings.cache_clear()
        with pytest.raises(ServiceMisconfigured):
            config.settings()
    finally:
        monkeypatch.delenv("TRACING")
        config.settings.cache_clear()
