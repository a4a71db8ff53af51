"""The fan-out consumer: deliver each queued event to every open connection of its audience.

Delivery is at least once. A job whose connections could not all be reached is reported as
failed and SQS delivers it again (clients de-duplicate by message id). How each
@connections answer is treated (chalicelib/realtime/pusher.py): Gone (410, 403) forgets the
connection (it is the recipient's, never the sender's; one young enough to be still in its
`$connect` stays, storage/connections.py); TooLarge (413) drops that frame for
that connection and does not fail the job; Throttled (429) is retried with backoff, but only
while the invocation's deadline allows.

Time is bounded. The batch's records are delivered in parallel; every retry waits only if the
deadline (from Lambda's `get_remaining_time_in_millis`, less a margin to answer) leaves room;
what is not done by then fails its record, so SQS retries only that record instead of the
whole batch coming back after a timeout. This layer is the only retry: the @connections
client makes one attempt per call. Ephemeral events (typing, presence) are never retried: a
throttled or failed push of one is dropped, and a job older than the event's own lifetime
is dropped unsent.

Every job that carries a message, and every job that fails, leaves one log line naming its
`jobId`, `messageId` (never the text), `outcome` and its counts (`delivered`, `gone`,
`failed`): the saved query "why did this message not arrive" (infra/stack.yaml) reads them.
With tracing on, each job is a segment of the sender's trace, each post a subsegment.

A conversation with more members than one page is split: this job delivers the first page
and enqueues a continuation for the rest, so no job's work grows with the group.

Recipients of a `message` whose connections did not take it (none open, or none reached)
are handed to the notifier (realtime/notifications.py), which pushes to their phones, within
the same deadline.
"""
import concurrent.futures
import contextlib
import contextvars
import json
import logging
import random
import time
from dataclasses import dataclass, field

from chalicelib.core import tracing
from chalicelib.core.clock import parse_iso
from chalicelib.core.metrics import metrics
from chalicelib.crypto.cipher import Unreadable
from chalicelib.crypto.keyring import KeyMissing
from chalicelib.realtime.pusher import Gone, Throttled, TooLarge
from chalicelib.realtime.queue import message_id_of, new_job, open_event

log = logging.getLogger("messaging.fanout")

MEMBERS_PER_JOB = 500
# Posts are round trips to API Gateway (~15 ms) costing 0.1-0.2 ms of CPU at 1 vCPU, about 3.5x that
# at the fan-out's 512 MB: 32 threads keep the network busy without queueing on that CPU share.
PUSH_WORKERS = 32
RECORD_WORKERS = 10  # the SQS batch size: every record of a batch at once
PUSH_ATTEMPTS = 5  # per connection and job, while the deadline allows; the @connections client retries nothing
BACKOFF_SECONDS = 0.05
ANSWER_MARGIN_SECONDS = 3.0  # stop pushing this long before Lambda's timeout, to report the failures
DEFAULT_BUDGET_SECONDS = 25.0  # without a Lambda context (tests, tools)
EPHEMERAL_TYPES = frozenset({"typing", "presence"})
EPHEMERAL_LIFETIME_SECONDS = 6


class DeliveryIncomplete(Exception):
    """Some connections could not be reached; the job must be retried."""

    def __init__(self, text, delivery=None):
        super().__init__(text)
        self.delivery = delivery


@dataclass
class Delivery:
    """What one job did: who it was for, whose sockets took it, and how many connections."""

    recipients: set = field(default_factory=set)
    reached: set = field(default_factory=set)  # user ids with at least one connection that took it
    pushed: int = 0
    gone: int = 0  # connections @connections no longer knows (forgotten)
    failed: int = 0  # connections to try again (the job is retried)


class Fanout:
    def __init__(self, audience, connections, pusher, queue, *, keyring=None, members_per_job=MEMBERS_PER_JOB,
                 workers=PUSH_WORKERS, attempts=PUSH_ATTEMPTS, sleep=time.sleep, clock=time.monotonic,
                 wall_clock=time.time, notifier=None, tracer=None):
        self._audience = audience
        self._connections = connections
        self._pusher = pusher
        self._queue = queue
        self._keyring = keyring  # opens sealed message views (chalicelib.realtime.queue)
        self._members_per_job = members_per_job
        self._attempts = attempts
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._notifier = notifier  # mobile push for those no connection reached (None: none)
        self._notifier_takes_deadline = _takes_deadline(notifier)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")
        self._records = concurrent.futures.ThreadPoolExecutor(max_workers=RECORD_WORKERS, thread_name_prefix="job")
        self._tracer = tracer if tracer is not None else getattr(queue, "tracer", None)  # the queue's, by default

    def handle_batch(self, records, remaining_ms=None):
        """Deliver each SQS record's job; {"batchItemFailures": [...]} names those to retry.

        `remaining_ms` is the Lambda context's get_remaining_time_in_millis() at the start.
        """
        records = list(records)
        budget = DEFAULT_BUDGET_SECONDS if remaining_ms is None else remaining_ms / 1000 - ANSWER_MARGIN_SECONDS
        deadline = self._clock() + max(0.0, budget)
        contexts = [contextvars.copy_context() for _ in records]
        outcomes = list(self._records.map(lambda record, context: context.run(self._handle_record, record, deadline),
                                          records, contexts))
        failures = [{"itemIdentifier": record["messageId"]} for record, ok in zip(records, outcomes) if not ok]
        log.info("fan-out batch: %d records, %d failed", len(records), len(failures),
                 extra={"fields": {"records": len(records), "failed": len(failures)}})
        return {"batchItemFailures": failures}

    def _handle_record(self, record, deadline):
        fields = {"sqsMessageId": record.get("messageId")}
        try:
            job = json.loads(record["body"])
            fields = _job_fields(job, record)
            _record_wait(job, record, self._wall_clock())
            if _is_stale(job, record, self._wall_clock()):
                _log_job(logging.DEBUG, "stale", fields)
                return True  # a typing indicator from the past: nobody wants it now
            with self._traced(record, fields):
                delivery = self.deliver(job, deadline=deadline)
            level = logging.DEBUG if fields.get("eventType") in EPHEMERAL_TYPES else logging.INFO
            _log_job(level, "delivered" if delivery.pushed else "no-connection-took-it", fields, delivery)
            return True
        except DeliveryIncomplete as incomplete:
            _log_job(logging.WARNING, "retry", fields, incomplete.delivery)
            return False
        except Exception as exc:  # noqa: BLE001 - one bad record must not fail the others
            # The type only: a job's message is sealed, and an exception's text may quote it.
            log.warning("fan-out job failed: %s", type(exc).__name__,
                        extra={"fields": {**fields, "outcome": "failed", "error": type(exc).__name__}})
            return False

    def _traced(self, record, fields):
        if self._tracer is None:
            return contextlib.nullcontext()
        annotations = {name: fields[name] for name in ("jobId", "messageId", "eventType") if fields.get(name)}
        return self._tracer.job(record, "secure-messaging fan-out job", annotations)

    def deliver(self, job, deadline=None):
        """Push `job["event"]` to its audience's connections; the Delivery, or DeliveryIncomplete."""
        deadline = self._clock() + DEFAULT_BUDGET_SECONDS if deadline is None else deadline
        event = job["event"]
        recipients = set(job.get("userIds") or ())
        conversation_id = job.get("conversationId")
        if _is_presence_change(job):
            return self._deliver_presence(event, deadline, job.get("exceptUserIds"))
        if conversation_id is not None:
            sent_at = parse_iso(job["sentAt"]) if job.get("sentAt") else None
            members = self._audience.member_ids(conversation_id, after=job.get("after"), limit=self._members_per_job + 1,
                                                sent_at=sent_at)
            if len(members) > self._members_per_job:
                members = members[: self._members_per_job]
                # The continuation carries the event as it came: still sealed.
                self._queue.enqueue(new_job(event, conversation_id, (), job.get("exceptUserIds") or (),
                                            after=members[-1], sent_at=job.get("sentAt")))
            recipients.update(members)
        recipients.difference_update(job.get("exceptUserIds") or ())
        delivery = Delivery(recipients=recipients)
        targets = self._connections.of_users(recipients)
        wants_push = self._notifier is not None and event.get("type") == "message" and bool(recipients)
        if not targets and not wants_push:
            return delivery
        frame = self._opened(event)
        if frame is None:
            return delivery
        ephemeral = event.get("type") in EPHEMERAL_TYPES
        failed = 0
        if targets:
            outcomes = self._push_all(targets, [frame] * len(targets), deadline, ephemeral)
            delivery.pushed = outcomes.count("sent")
            _record_deliveries(frame, delivery.pushed)
            delivery.reached = {target["userId"] for target, outcome in zip(targets, outcomes) if outcome == "sent"}
            failed = outcomes.count("retry")
            delivery.gone, delivery.failed = outcomes.count("gone"), failed
        unreached = recipients - delivery.reached
        if wants_push and unreached:
            self._notify(frame, unreached, deadline)
        if failed and not ephemeral:
            raise DeliveryIncomplete(f"{failed} of {len(targets)} connections not reached", delivery)
        return delivery

    def _deliver_presence(self, event, deadline, job_except=()):
        """A user came online or went offline: tell each connection following presence in one
        of their conversations, in that conversation's terms (the `presence` reply's shape)."""
        user_id = event["userId"]
        left_out = {user_id, *(job_except or ())}  # the user's own devices, and users blocked either way
        targets = [target for target in self._connections.watchers(self._audience.conversations_of(user_id))
                   if target["userId"] not in left_out]
        frames = [{"type": "presence", "conversationId": target["watching"], "online": {user_id: bool(event["online"])}}
                  for target in targets]
        delivery = Delivery(recipients={target["userId"] for target in targets})
        outcomes = self._push_all(targets, frames, deadline, ephemeral=True)
        delivery.pushed = outcomes.count("sent")
        delivery.reached = {target["userId"] for target, outcome in zip(targets, outcomes) if outcome == "sent"}
        return delivery

    def _push_all(self, targets, frames, deadline, ephemeral):
        """Each target's outcome ("sent", "dropped", "retry"), its frame pushed on the pool."""
        # Each push runs in its own copy of this invocation's context: its log lines keep the request id.
        contexts = [contextvars.copy_context() for _ in targets]
        return list(self._pool.map(
            lambda target, frame, context: context.run(self._push, target, frame, deadline, ephemeral),
            targets, frames, contexts))

    def _notify(self, frame, user_ids, deadline):
        """Mobile push (the opened frame: previews need its text) for those no socket took it from."""
        if self._notifier_takes_deadline:
            self._notifier.notify(frame, user_ids, deadline=deadline)
        else:
            self._notifier.notify(frame, user_ids)

    def _opened(self, event):
        """The frame clients get; None when its message can never be opened (its keys were destroyed)."""
        try:
            return open_event(event, self._keyring)
        except (KeyMissing, Unreadable) as exc:
            log.warning("fan-out event dropped: its message does not open (%s)", type(exc).__name__)
            return None

    def _push(self, target, frame, deadline, ephemeral):
        """"sent", "gone", "dropped" (too large, or an ephemeral event not worth retrying) or "retry"."""
        attempts = 1 if ephemeral else self._attempts
        for attempt in range(attempts):
            if self._clock() >= deadline:
                return "dropped" if ephemeral else "retry"
            try:
                with tracing.call("ApiGatewayManagementApi", "PostToConnection", status_of=_answer_code):
                    self._pusher.send(target["endpoint"], target["_id"], frame)
                metrics.count("ConnectionAnswers", Code="200")
                return "sent"
            except Gone as gone:
                metrics.count("ConnectionAnswers", Code=getattr(gone, "status", "410"))
                self._connections.remove_gone(target["_id"])
                return "gone"
            except TooLarge:
                metrics.count("ConnectionAnswers", Code="413")
                log.warning("push refused as too large; dropped for that connection")
                return "dropped"
            except Throttled:
                metrics.count("ConnectionAnswers", Code="429")
                pause = random.uniform(0, BACKOFF_SECONDS * 2**attempt)
                if attempt + 1 < attempts and self._clock() + pause < deadline:
                    self._sleep(pause)
                    continue
                break
            except Exception as exc:  # noqa: BLE001 - counted as a failed push, retried via SQS
                metrics.count("ConnectionAnswers", Code="other")
                log.warning("push failed: %s", type(exc).__name__)
                break
        return "dropped" if ephemeral else "retry"


def _job_fields(job, record):
    """What a job's log lines say about it: ids and kinds, never a message's content."""
    event = job.get("event") or {}
    fields = {"jobId": job.get("jobId"), "sqsMessageId": record.get("messageId"), "eventType": event.get("type"),
              "conversationId": job.get("conversationId") or (event.get("sealedMessage") or {}).get("conversationId")}
    message_id = message_id_of(event)
    if message_id is not None:
        fields["messageId"] = message_id
    receives = (record.get("attributes") or {}).get("ApproximateReceiveCount")
    if receives is not None:
        fields["receiveCount"] = int(receives)
    return {name: value for name, value in fields.items() if value is not None}


def _log_job(level, outcome, fields, delivery=None):
    counts = {}
    if delivery is not None:
        counts = {"recipients": len(delivery.recipients), "delivered": delivery.pushed, "gone": delivery.gone,
                  "failed": delivery.failed}
    log.log(level, "fan-out job %s", outcome, extra={"fields": {**fields, "outcome": outcome, **counts}})


def _answer_code(exc):
    """The HTTP status of a failed post, for its trace (None: a fault)."""
    if isinstance(exc, Gone):
        return exc.status
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, Throttled):
        return 429
    return None


def _record_deliveries(frame, pushed):
    """Deliveries, and for a new message the time from its creation to these posts."""
    if not pushed:
        return
    metrics.count("Deliveries", pushed)
    message = frame.get("message") if frame.get("type") == "message" else None
    created = isinstance(message, dict) and message.get("createdAt")
    if created:
        from datetime import datetime, timezone

        try:
            moment = parse_iso(created)
        except ValueError:
            return
        metrics.timing("DeliveryLag", (datetime.now(timezone.utc) - moment).total_seconds() * 1000)


def _record_wait(job, record, now):
    """How long a new message's job waited in the queue (FanoutWait), from SQS's SentTimestamp:
    the queue's part of DeliveryLag."""
    sent_ms = (record.get("attributes") or {}).get("SentTimestamp")
    if sent_ms is not None and (job.get("event") or {}).get("type") == "message":
        metrics.timing("FanoutWait", max(0.0, now * 1000 - int(sent_ms)))


def _is_presence_change(job):
    """A user's presence change: a presence event with no audience of its own (sockets._announce)."""
    event = job.get("event") or {}
    return (event.get("type") == "presence" and "userId" in event and job.get("conversationId") is None
            and not job.get("userIds"))


def _is_stale(job, record, now):
    """True for an ephemeral event whose lifetime ran out while it waited in the queue."""
    event = job.get("event") or {}
    if event.get("type") not in EPHEMERAL_TYPES:
        return False
    sent_ms = (record.get("attributes") or {}).get("SentTimestamp")
    if sent_ms is None:
        return False
    lifetime = event.get("expiresInSeconds") or EPHEMERAL_LIFETIME_SECONDS
    return now - int(sent_ms) / 1000 > lifetime


def _takes_deadline(notifier):
    """True when the notifier's notify() accepts a `deadline` (a time.monotonic() instant)."""
    if notifier is None:
        return False
    import inspect

    try:
        return "deadline" in inspect.signature(notifier.notify).parameters
    except (TypeError, ValueError):
        return False
