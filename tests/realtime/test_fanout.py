"""The fan-out consumer with a recording sender, against the real connections collection."""
import json

import pytest

from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.queue import new_job
from chalicelib.storage.connections import ConnectionStore
from tests.fakes import RecordingPusher, RecordingQueue, StaticAudience

ENDPOINT = "http://gateway.test"
EVENT = {"type": "message", "message": {"id": "m1", "seq": 1}}


@pytest.fixture
def connections(db):
    store = ConnectionStore(db)
    for connection_id, user_id in [("a1", "alice"), ("a2", "alice"), ("b1", "bob"), ("c1", "carol"), ("z1", "zed")]:
        store.add(connection_id, user_id, ENDPOINT)
    return store


def fanout(connections, pusher, audience=None, queue=None, **options):
    audience = audience or StaticAudience({"g1": {"alice", "bob", "carol"}})
    return Fanout(audience, connections, pusher, queue or RecordingQueue(), sleep=lambda _: None, **options)


def test_delivers_to_every_device_of_every_member_and_no_one_else(connections):
    pusher = RecordingPusher()
    delivered = fanout(connections, pusher).deliver(new_job(EVENT, conversation_id="g1"))
    assert delivered == 4
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
