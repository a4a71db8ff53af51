"""The fan-out queue: domain events become jobs on SQS for the `fanout` consumer.

A job: {"jobId", "event", "conversationId"?, "userIds": [...], "exceptUserIds": [...],
"after"?}. `after` continues a large conversation's audience from a member id.

No message text crosses SQS in the clear: an event that carries a `message` view (`message`,
and any later kind such as `message.edited`) is enqueued with that view sealed under its
conversation's current data key (`sealedMessage` instead of `message`), and the consumer
opens it with the keyring before posting. A queued or dead-lettered job is therefore no
more readable than the stored message, and destroying the conversation's keys
(crypto-shredding) makes its queued copies unreadable too.
"""
import base64
import json
import uuid

from chalicelib.core.clock import iso
from chalicelib.crypto.cipher import event_aad, open_sealed, seal

SEALED = "sealedMessage"


class FanoutQueue:
    """A Publisher (chalicelib.core.ports) that enqueues delivery jobs on SQS."""

    def __init__(self, sqs, queue_url, keyring=None):
        self._sqs = sqs
        self._queue_url = queue_url
        self._keyring = keyring  # seals message views; None only where no event carries one

    @classmethod
    def from_env(cls, keyring=None):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        return cls(client("sqs"), settings().fanout_queue_url, keyring)

    def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=(), sent_at=None):
        """Enqueue delivery of `event` to a conversation's members and/or named users (with
        `sent_at`, only the members who may read a message sent then)."""
        self.enqueue(new_job(seal_event(event, self._keyring), conversation_id, user_ids, except_user_ids,
                             sent_at=iso(sent_at) if sent_at is not None else None))

    def enqueue(self, job):
        """Send a job as it is (a continuation's event is still sealed)."""
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(job, separators=(",", ":")))

    def reachable(self):
        """Raise if the queue does not answer (for /health)."""
        self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])


def new_job(event, conversation_id=None, user_ids=(), except_user_ids=(), after=None, sent_at=None):
    job = {"jobId": uuid.uuid4().hex, "event": event, "userIds": list(user_ids), "exceptUserIds": list(except_user_ids)}
    if conversation_id is not None:
        job["conversationId"] = conversation_id
    if after is not None:
        job["after"] = after
    if sent_at is not None:
        job["sentAt"] = sent_at  # ISO 8601: the audience is who may read a message sent then
    return job


def carries_message(event):
    """True if `event` has a message view that must not cross the queue in the clear."""
    message = event.get("message")
    return isinstance(message, dict) and isinstance(message.get("conversationId"), str)


def seal_event(event, keyring):
    """`event` with its message view (if any) sealed under the conversation's current key."""
    if not carries_message(event):
        return event
    if keyring is None:
        raise RuntimeError("a message event needs the keyring to be sealed before it is queued")
    message = event["message"]
    conversation_id = message["conversationId"]
    version, key = keyring.current(conversation_id)
    plaintext = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    nonce, ciphertext = seal(key, plaintext, event_aad(conversation_id=conversation_id, key_version=version))
    sealed = {name: value for name, value in event.items() if name != "message"}
    sealed[SEALED] = {"conversationId": conversation_id, "keyVersion": version,
                      "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}
    return sealed


def open_event(event, keyring):
    """The event as clients see it: a sealed message view opened (Unreadable / KeyMissing if it cannot be)."""
    sealed = event.get(SEALED)
    if sealed is None:
        return event
    conversation_id, version = sealed["conversationId"], sealed["keyVersion"]
    key = keyring.key(conversation_id, version)
    text = open_sealed(key, base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]),
                       event_aad(conversation_id=conversation_id, key_version=version))
    opened = {name: value for name, value in event.items() if name != SEALED}
    opened["message"] = json.loads(text)
    return opened


def _b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")
