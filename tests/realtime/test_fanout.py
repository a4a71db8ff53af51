"""The fan-out consumer with a recording sender, against the real connections collection."""
import json
from datetime import timedelta

import pytest

from chalicelib.core.clock import utcnow
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.queue import new_job
from chalicelib.storage.connections import ConnectionStore
from tests.fakes import RecordingPusher, RecordingQueue, StaticAudience

ENDPOINT = "http://gateway.test"
EVENT = {"type": "message", "message": {"id": "m1", "seq": 1}}


@pytest.fixture
def connections(db):
    store = ConnectionStore(db, connect_grace_seconds=0)  # every connection here is long open
    for connection_id, user_id in [("a1", "alice"), ("a2", "alice"), ("b1", "bob"), ("c1", "carol"), ("z1", "zed")]:
        store.add(connection_id, user_id, ENDPOINT)
    return store


def fanout(connections, pusher, audience=None, queue=None, **options):
    audience = audience or StaticAudience({"g1": {"alice", "bob", "carol"}})
    return Fanout(audience, connections, pusher, queue or RecordingQueue(), sleep=lambda _: None, **options)


def test_delivers_to_every_device_of_every_member_and_no_one_else(connections):
    pusher = RecordingPusher()
    delivered = fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1"))
    assert delivered.pushed == 4
    assert delivered.recipients == delivered.reached == {"alice", "bob", "carol"}
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "b1", "c1"]
    assert all(frame == EVENT for _, _, frame in pusher.sent)


def test_excepted_users_and_named_users(connections):
    pusher = RecordingPusher()
    fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1", user_ids=["zed"], except_user_ids=["alice"]))
    assert sorted(target for _, target, _ in pusher.sent) == ["b1", "c1", "z1"]


def test_a_gone_connection_is_forgotten_and_the_others_still_receive(connections):
    pusher = RecordingPusher(gone={"b1"})
    fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1"))
    assert connections.get("b1") is None
    assert connections.get("a1") is not None
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "c1"]


def test_a_connection_still_in_its_connect_is_not_forgotten_over_a_gone(db):
    """API Gateway answers 410 for a connection whose $connect has not returned yet, though
    its record is written: that record must survive the fan-out racing the connect."""
    store = ConnectionStore(db)  # the deployed grace
    store.add("b-new", "bob", ENDPOINT)
    store.add("b-old", "bob", ENDPOINT)
    db["connections"].update_one({"_id": "b-old"}, {"$set": {"connectedAt": utcnow() - timedelta(minutes=5)}})
    pusher = RecordingPusher(gone={"b-new", "b-old"})
    delivered = fanout(store, pusher).deliver(new_job(EVENT, conversation_id="g1"))
    assert delivered.gone == 2 and delivered.reached == set()
    assert store.get("b-new") is not None  # its socket is about to open
    assert store.get("b-old") is None  # open for minutes: really gone


def test_throttling_is_retried_with_backoff(connections):
    pusher = RecordingPusher(throttle_times={"c1": 3})
    fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1"))
    assert pusher.frames_to("c1") == [EVENT]


def test_a_failing_connection_fails_the_job_for_a_retry(connections):
    pusher = RecordingPusher(broken={"c1"})
    records = [
        {"messageId": "ok", "body": json.dumps(new_job(EVENT, user_ids=["bob"]))},
        {"messageId": "fails", "body": json.dumps(new_job(EVENT, user_ids=["carol"]))},
        {"messageId": "poison", "body": "{not json"},
    ]
    result = fanout(connections, pusher).handle_batch(records)
    assert result == {"batchItemFailures": [{"itemIdentifier": "fails"}, {"itemIdentifier": "poison"}]}
    assert pusher.frames_to("b1") == [EVENT]
    assert connections.get("c1") is not None  # a failure is not a Gone: the connection stays


def test_large_conversations_are_split_into_continuation_jobs(connections):
    audience = StaticAudience({"big": {"alice", "bob", "carol", "zed"}})
    queue = RecordingQueue()
    pusher = RecordingPusher()
    service = fanout(connections, pusher, audience=audience, queue=queue, members_per_job=3)
    service.deliver(new_job(EVENT, conversation_id="big", user_ids=["zed"], except_user_ids=["bob"]))
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "c1", "z1"]
    (continuation,) = queue.jobs
    assert continuation["after"] == "carol" and continuation["userIds"] == [] and continuation["exceptUserIds"] == ["bob"]
    pusher.sent.clear()
    service.deliver(continuation)
    assert [target for _, target, _ in pusher.sent] == ["z1"]
    assert len(queue.jobs) == 1  # the last page enqueues nothing more


def test_a_job_about_an_older_message_skips_members_who_joined_after_it_pages_included(connections):
    from datetime import datetime, timezone

    sent = datetime(2026, 1, 1, tzinfo=timezone.utc)
    audience = StaticAudience({"big": {"alice", "bob", "carol", "zed"}},
                              joined={"big": {"bob": sent.replace(hour=1), "zed": sent.replace(hour=2)}})
    queue, pusher = RecordingQueue(), RecordingPusher()
    service = fanout(connections, pusher, audience=audience, queue=queue, members_per_job=1)
    service.deliver(new_job(EVENT, conversation_id="big", sent_at="2026-01-01T00:00:00.000Z"))
    (continuation,) = queue.jobs
    assert continuation["sentAt"] == "2026-01-01T00:00:00.000Z"  # the next page keeps the filter
    service.deliver(continuation)
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "c1"]


# --- What API Gateway's answers mean, and the time a batch may take (issue 13) ----------------

def _records(*jobs, sent_ms=None):
    import time

    sent = str(int((sent_ms if sent_ms is not None else time.time() * 1000)))
    return [{"messageId": f"r{index}", "body": json.dumps(job), "attributes": {"SentTimestamp": sent}}
            for index, job in enumerate(jobs)]


def test_a_403_connection_is_pruned_like_a_gone_one_and_the_job_succeeds(connections):
    from botocore.exceptions import ClientError

    from chalicelib.realtime.pusher import ConnectionPusher

    class Client:
        def post_to_connection(self, ConnectionId, Data):  # noqa: N803 - boto3's names
            if ConnectionId == "b1":
                raise ClientError({"Error": {"Code": "ForbiddenException", "Message": "Forbidden"},
                                   "ResponseMetadata": {"HTTPStatusCode": 403}}, "PostToConnection")

    pusher = ConnectionPusher(lambda endpoint: Client())
    result = fanout(connections, pusher).handle_batch(_records(new_job(EVENT, conversation_id="g1")))
    assert result == {"batchItemFailures": []}
    assert connections.get("b1") is None and connections.get("a1") is not None


def test_a_413_is_permanent_it_drops_that_frame_and_does_not_fail_the_job(connections):
    pusher = RecordingPusher(too_large={"b1"})
    result = fanout(connections, pusher).handle_batch(_records(new_job(EVENT, conversation_id="g1")))
    assert result == {"batchItemFailures": []}
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "c1"]
    assert connections.get("b1") is not None  # too large is no reason to forget it
    assert pusher.calls == 4  # tried once, never again


@pytest.mark.parametrize("code,status", [("LimitExceededException", 429), ("PayloadTooLargeException", 413),
                                         ("GoneException", 410), ("ForbiddenException", 403)])
def test_the_pusher_reads_each_connections_answer_as_api_gateway_means_it(code, status):
    from botocore.exceptions import ClientError

    from chalicelib.realtime.pusher import ConnectionPusher, Gone, Throttled, TooLarge

    class Client:
        def post_to_connection(self, ConnectionId, Data):  # noqa: N803
            raise ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Post")

    expected = {429: Throttled, 413: TooLarge, 410: Gone, 403: Gone}[status]
    with pytest.raises(expected):
        ConnectionPusher(lambda endpoint: Client()).send("https://x", "c", {})


def test_the_management_api_client_makes_one_attempt_per_call(monkeypatch):
    """botocore's retries are off for @connections: the consumer is the one retry layer."""
    from chalicelib.core import aws

    aws.reset_for_tests()
    made = aws.client("apigatewaymanagementapi", endpoint_url="https://example.test/api", attempts=1,
                      read_timeout=2)
    assert made.meta.config.retries["total_max_attempts"] == 1
    from chalicelib.realtime.pusher import ConnectionPusher

    client = ConnectionPusher.from_env()._client_for("https://example.test/api")
    assert client.meta.config.retries["total_max_attempts"] == 1
    aws.reset_for_tests()


def test_one_throttled_socket_cannot_push_the_batch_past_its_deadline(connections):
    """Ten jobs, one connection that always answers 429: the batch answers within the time
    Lambda gives it, and only the jobs for that connection come back."""
    import time

    pusher = RecordingPusher(throttle_times={"c1": -1}, delay=0.01)
    service = Fanout(StaticAudience({}), connections, pusher, RecordingQueue())  # real sleep and clock
    jobs = [new_job(EVENT, user_ids=["carol" if index == 3 else "bob"]) for index in range(10)]
    started = time.monotonic()
    result = service.handle_batch(_records(*jobs), remaining_ms=4_000)  # 4 s left, 3 s margin
    took = time.monotonic() - started
    assert result == {"batchItemFailures": [{"itemIdentifier": "r3"}]}
    assert took < 2.5
    assert pusher.frames_to("b1") == [EVENT] * 9


def test_records_are_delivered_in_parallel(connections):
    import time

    pusher = RecordingPusher(delay=0.3)
    service = Fanout(StaticAudience({}), connections, pusher, RecordingQueue())
    started = time.monotonic()
    result = service.handle_batch(_records(*[new_job(EVENT, user_ids=["bob"]) for _ in range(10)]))
    assert result == {"batchItemFailures": []}
    assert time.monotonic() - started < 1.5  # one after another would take 3 s


def test_stale_typing_is_dropped_and_throttled_typing_is_never_retried(connections):
    import time

    typing = {"type": "typing", "conversationId": "g1", "userId": "alice", "isTyping": True, "expiresInSeconds": 6}
    pusher = RecordingPusher(throttle_times={"b1": -1})
    service = fanout(connections, pusher)
    stale = service.handle_batch(_records(new_job(typing, conversation_id="g1"), sent_ms=time.time() * 1000 - 60_000))
    assert stale == {"batchItemFailures": []} and pusher.calls == 0
    fresh = service.handle_batch(_records(new_job(typing, conversation_id="g1")))
    assert fresh == {"batchItemFailures": []}  # b1 throttled: dropped, not retried
    assert pusher.calls == 4  # one try per connection
    assert sorted(target for _, target, _ in pusher.sent) == ["a1", "a2", "c1"]


def test_deliver_tells_which_users_its_sockets_reached(connections):
    pusher = RecordingPusher(gone={"b1"})
    delivered = fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1", user_ids=["nobody"]))
    assert delivered.recipients == {"alice", "bob", "carol", "nobody"}
    assert delivered.reached == {"alice", "carol"}


def test_the_lambda_handler_gives_the_consumer_its_remaining_time(db, monkeypatch):
    """The deadline comes from Lambda's context (app.py), not from a guess."""
    import app
    from chalicelib import services

    seen = {}

    class Spy:
        def handle_batch(self, records, remaining_ms=None):
            seen.update(records=list(records), remaining_ms=remaining_ms)
            return {"batchItemFailures": []}

    class Context:
        def get_remaining_time_in_millis(self):
            return 12_345

    monkeypatch.setitem(services.current().__dict__, "fanout", Spy())
    record = {"messageId": "r1", "receiptHandle": "h", "body": "{}", "attributes": {}, "messageAttributes": {},
              "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
              "awsRegion": "us-east-1"}
    assert app.fanout({"Records": [record]}, Context()) == {"batchItemFailures": []}
    assert seen["remaining_ms"] == 12_345 and seen["records"][0]["messageId"] == "r1"


def test_the_consumer_counts_each_connections_answer_and_the_delivery_lag(connections):
    """The metrics docs/operations.md's alarms watch (ConnectionAnswers by Code, DeliveryLag)."""
    from chalicelib.core.clock import iso, utcnow
    from chalicelib.core.metrics import metrics

    lines = []
    original = metrics._write
    metrics._write = lines.append
    try:
        pusher = RecordingPusher(gone={"b1"}, too_large={"c1"})
        event = {"type": "message", "message": {"id": "m1", "seq": 1, "createdAt": iso(utcnow())}}
        fanout(connections, pusher).deliver(new_job(event, conversation_id="g1"))
        metrics.flush()
    finally:
        metrics._write = original
    found = {}
    for line in map(json.loads, lines):
        found[line.get("Code")] = line
    assert found["200"]["ConnectionAnswers"] == 2 and found["410"]["ConnectionAnswers"] == 1
    assert found["413"]["ConnectionAnswers"] == 1
    assert found[None]["Deliveries"] == 2 and found[None]["DeliveryLag"] is not None


def test_a_presence_change_reaches_the_connections_following_the_users_conversations(connections):
    connections.watch("a1", "g1")  # alice has g1 open on one device
    connections.watch("c1", "g2")  # carol follows a conversation bob is not in
    connections.watch("b1", "g1")  # bob's own connection is never told about bob
    pusher = RecordingPusher()
    audience = StaticAudience({"g1": {"alice", "bob", "carol"}, "g2": {"carol", "zed"}})
    change = {"type": "presence", "userId": "bob", "online": False, "expiresInSeconds": 60}
    result = fanout(connections, pusher, audience=audience).handle_batch(_records(new_job(change)))
    assert result == {"batchItemFailures": []}
    assert pusher.sent == [(ENDPOINT, "a1", {"type": "presence", "conversationId": "g1", "online": {"bob": False}})]
