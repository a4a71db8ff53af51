"""The fan-out consumer: deliver each queued event to every open connection of its audience.

Delivery is at least once. A job whose connections could not all be reached is reported as
failed and SQS delivers it again (clients de-duplicate by message id); a connection that
answers Gone is forgotten (it is the recipient's, never the sender's). A conversation with
more members than one page is split: this job delivers the first page and enqueues a
continuation for the rest, so no job's work grows with the group.

Recipients of a `message` whose connections did not take it (none open, or none reached)
are handed to the notifier (realtime/notifications.py), which pushes to their phones.
"""
import concurrent.futures
import contextvars
import json
import logging
import random
import time

from chalicelib.realtime.pusher import Gone, Throttled
from chalicelib.realtime.queue import new_job

log = logging.getLogger("messaging.fanout")

MEMBERS_PER_JOB = 500
PUSH_WORKERS = 16
PUSH_ATTEMPTS = 5
BACKOFF_SECONDS = 0.05
DELIVERED, GONE, FAILED = "delivered", "gone", "failed"


class DeliveryIncomplete(Exception):
    """Some connections could not be reached; the job must be retried."""


class Fanout:
    def __init__(self, audience, connections, pusher, queue, *, members_per_job=MEMBERS_PER_JOB,
                 workers=PUSH_WORKERS, attempts=PUSH_ATTEMPTS, sleep=time.sleep, notifier=None):
        self._audience = audience
        self._connections = connections
        self._pusher = pusher
        self._queue = queue
        self._members_per_job = members_per_job
        self._attempts = attempts
        self._sleep = sleep
        self._notifier = notifier  # mobile push for those no connection reached (None: none)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")

    def handle_batch(self, records):
        """Deliver each SQS record's job; {"batchItemFailures": [...]} names those to retry."""
        records = list(records)
        failures = []
        for record in records:
            try:
                self.deliver(json.loads(record["body"]))
            except Exception as exc:  # noqa: BLE001 - one bad record must not fail the others
                # Never log the job: it carries decrypted message text.
                log.warning("fan-out job failed: %s", type(exc).__name__)
                failures.append({"itemIdentifier": record["messageId"]})
        log.info("fan-out batch: %d records, %d failed", len(records), len(failures),
                 extra={"fields": {"records": len(records), "failed": len(failures)}})
        return {"batchItemFailures": failures}

    def deliver(self, job):
        """Push `job["event"]` to its audience's connections; DeliveryIncomplete if some failed."""
        recipients = set(job.get("userIds") or ())
        conversation_id = job.get("conversationId")
        if conversation_id is not None:
            members = self._audience.member_ids(conversation_id, after=job.get("after"), limit=self._members_per_job + 1)
            if len(members) > self._members_per_job:
                members = members[: self._members_per_job]
                self._queue.enqueue(new_job(job["event"], conversation_id, (), job.get("exceptUserIds") or (),
                                            after=members[-1]))
            recipients.update(members)
        recipients.difference_update(job.get("exceptUserIds") or ())
        targets = self._connections.of_users(recipients)
        # Each push runs in its own copy of this invocation's context: its log lines keep the request id.
        contexts = [contextvars.copy_context() for _ in targets]
        outcomes = list(self._pool.map(lambda target, context: context.run(self._push, target, job["event"]),
                                       targets, contexts))
        if self._notifier is not None:
            reached = {target["userId"] for target, outcome in zip(targets, outcomes) if outcome == DELIVERED}
            self._notifier.notify(job["event"], recipients - reached)
        failed = outcomes.count(FAILED)
        if failed:
            raise DeliveryIncomplete(f"{failed} of {len(targets)} connections not reached")
        return len(targets)

    def _push(self, target, frame):
        """DELIVERED, GONE (forgotten: nothing to retry) or FAILED (retry the job)."""
        for attempt in range(self._attempts):
            try:
                self._pusher.send(target["endpoint"], target["_id"], frame)
                return DELIVERED
            except Gone:
                self._connections.remove(target["_id"])
                return GONE
            except Throttled:
                self._sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
            except Exception as exc:  # noqa: BLE001 - counted as a failed push, retried via SQS
                log.warning("push failed: %s", type(exc).__name__)
                return FAILED
        return FAILED
