"""The fan-out queue: domain events become jobs on SQS for the `fanout` consumer.

A job: {"jobId", "event", "conversationId"?, "userIds": [...], "exceptUserIds": [...],
"after"?}. `after` continues a large conversation's audience from a member id.
"""
import json
import uuid


class FanoutQueue:
    """A Publisher (chalicelib.core.ports) that enqueues delivery jobs on SQS."""

    def __init__(self, sqs, queue_url):
        self._sqs = sqs
        self._queue_url = queue_url

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        return cls(client("sqs"), settings().fanout_queue_url)

    def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=()):
        """Enqueue delivery of `event` to a conversation's members and/or named users."""
        self.enqueue(new_job(event, conversation_id, user_ids, except_user_ids))

    def enqueue(self, job):
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(job, separators=(",", ":")))

    def reachable(self):
        """Raise if the queue does not answer (for /health)."""
        self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])


def new_job(event, conversation_id=None, user_ids=(), except_user_ids=(), after=None):
    job = {"jobId": uuid.uuid4().hex, "event": event, "userIds": list(user_ids), "exceptUserIds": list(except_user_ids)}
    if conversation_id is not None:
        job["conversationId"] = conversation_id
    if after is not None:
        job["after"] = after
    return job
