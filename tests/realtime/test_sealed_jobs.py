"""I3 (issue 13): no message text crosses SQS in the clear. A `message` event's view is sealed
under the conversation's current key when it is queued, and the fan-out consumer opens it;
the queue and its dead-letter queue are scanned for the text as the database is."""
import base64
import json
import os

import boto3
import pytest

from chalicelib import services
from chalicelib.realtime.fanout import Fanout
from chalicelib.realtime.queue import SEALED, FanoutQueue, message_id_of
from chalicelib.storage.connections import ConnectionStore
from tests.fakes import RecordingPusher, RecordingQueue
from tests.helpers import call, drain_fanout_jobs

SECRET = "the launch code is 0000-hunter2"


def _sqs():
    return boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"])


def _bodies(queue_url, receives=1):
    """Every body on the queue, received `receives` times each (visibility 0: back at once)."""
    sqs, found = _sqs(), []
    for _ in range(receives):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        found += [message["Body"] for message in batch.get("Messages", [])]
    return found


def _variants(text):
    """The text as it could appear in a body: raw, JSON-escaped, base64 of its UTF-8."""
    encoded = text.encode()
    return {text, json.dumps(text)[1:-1], base64.b64encode(encoded).decode()[:16]}


@pytest.fixture
def queue_url(db):
    drain_fanout_jobs()
    yield os.environ["FANOUT_QUEUE_URL"]
    drain_fanout_jobs()


def test_a_sent_messages_job_carries_no_plaintext_and_the_consumer_opens_it(client, alice, bob, group, db, queue_url):
    _, token = alice
    status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": SECRET}, token=token)
    assert status == 201
    raw = _bodies(queue_url)
    assert raw, "the send queued no job"
    for text in raw:
        for variant in _variants(SECRET):
            assert variant not in text
    # This send's job (a job another test received but left on the queue may come back meanwhile).
    (job,) = [json.loads(text) for text in raw if message_id_of(json.loads(text)["event"]) == body["message"]["id"]]
    assert SEALED in job["event"]
    assert "message" not in job["event"] and job["event"]["type"] == "message"
    # The consumer opens it with the keyring and posts the message as clients know it.
    connections = ConnectionStore(db)
    connections.add("bob-phone", bob[0]["id"], "http://gateway.test")
    pusher = RecordingPusher()
    consumer = Fanout(services.build(db).audience, connections, pusher, RecordingQueue(),
                      keyring=services.build(db).keyring)
    consumer.deliver(job)
    (frame,) = pusher.frames_to("bob-phone")
    assert frame["type"] == "message" and frame["message"]["text"] == SECRET
    assert frame["message"] == body["message"]


def test_the_dead_letter_queue_keeps_no_plaintext_either(client, alice, group, queue_url):
    """A job that fails every delivery ends in the DLQ exactly as it was queued: sealed."""
    _, token = alice
    assert call(client, "POST", "/messages/send", {"groupId": group, "text": SECRET}, token=token)[0] == 201
    _bodies(queue_url, receives=6)  # past maxReceiveCount: moved to the DLQ
    dlq_url = _sqs().get_queue_url(QueueName=queue_url.rsplit("/", 1)[1] + "-dlq")["QueueUrl"]
    dead = _bodies(dlq_url)
    try:
        assert dead, "nothing reached the dead-letter queue"
        for text in dead:
            for variant in _variants(SECRET):
                assert variant not in text
    finally:
        _sqs().purge_queue(QueueUrl=dlq_url)


def test_a_continuation_job_stays_sealed_and_shredded_keys_make_queued_copies_unreadable(db):
    from tests.fakes import StaticAudience

    built = services.build(db)
    keyring = built.keyring
    conversation_id = "conversation-shred-1"
    sent = RecordingSqs()
    publisher = FanoutQueue(sent, "queue-url", keyring)
    message = {"id": "m1", "conversationId": conversation_id, "text": SECRET, "seq": 1}
    publisher.publish({"type": "message", "message": message}, conversation_id=conversation_id)
    (job,) = sent.jobs()
    continuations = RecordingQueue()
    connections = ConnectionStore(db)
    connections.add("c-ann", "ann", "http://gateway.test")
    audience = StaticAudience({conversation_id: {"ann", "ben", "cat"}})
    pusher = RecordingPusher()
    Fanout(audience, connections, pusher, continuations, keyring=keyring, members_per_job=1).deliver(job)
    assert pusher.frames_to("c-ann")[0]["message"]["text"] == SECRET
    (continuation,) = continuations.jobs
    assert SECRET not in json.dumps(continuation) and SEALED in continuation["event"]
    # Crypto-shredding the conversation: its queued copies can never be opened again.
    keyring.destroy(conversation_id)
    pusher = RecordingPusher()
    Fanout(audience, connections, pusher, RecordingQueue(), keyring=keyring).deliver(job)
    assert pusher.sent == []


class RecordingSqs:
    def __init__(self):
        self.bodies = []

    def send_message(self, QueueUrl, MessageBody):  # noqa: N803 - boto3's names
        self.bodies.append(MessageBody)

    def jobs(self):
        return [json.loads(body) for body in self.bodies]
