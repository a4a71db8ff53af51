"""Mobile push for recipients whose sockets did not take a message (their app is in the
background, or closed): one notification per device, published in parallel.

The fan-out consumer calls `notify(event, user_ids)` with the recipients of a `message`
event that no open connection of theirs took. Who gets a push: never the sender; not a
member who muted the conversation, unless the message mentions them; only users with
devices. What it says: `data` = {type, conversationId, messageId, seq}; `badge` = the user's
total unread count; a title with the sender's name (and the group's); the message text only
for users whose `pushPreviews` is true, since the push otherwise carries the text outside the
KMS boundary to Apple or Google. The conversation id is the collapse key, so a burst shows as
one notification.

A burst also alerts once: a device gets at most one push per conversation per push window
of BURST_SECONDS (windows aligned on the message's time, so a job that SQS delivers again
falls in the same one). Later messages of the burst would only replace that notification
and ring again; they are counted in the badge of the next push, and the app shows them when
it opens. A message that mentions the user always pushes. The window is claimed in the same
insert as the receipt (storage/push_receipts.py) and released with it if the push fails.

Each device's push is claimed first (storage/push_receipts.py), so a job that SQS delivers
again never pushes twice to one device. Throttling is retried with jittered backoff until
the deadline; a push still failing then is released and PushIncomplete fails the job, so
SQS redelivers it and only the failed devices are pushed again. An endpoint SNS reports
disabled (the app was uninstalled) is deleted with its device.
"""
import concurrent.futures
import contextvars
import logging
import random
import time

from chalicelib.core.clock import parse_iso
from chalicelib.core.metrics import metrics
from chalicelib.realtime.sns import EndpointDisabled, PushThrottled
from chalicelib.storage.conversations import is_direct_id

log = logging.getLogger("messaging.notifications")

PUSH_WORKERS = 16
PUSH_ATTEMPTS = 4
BACKOFF_SECONDS = 0.1
DEADLINE_SECONDS = 3.0  # per job: a batch of ten stays well inside the consumer's 30 s
PREVIEW_CHARS = 180
BURST_SECONDS = 60  # one alert per device and conversation per window (mentions excepted)
HIDDEN_BODY = "New message"

SENT, DISABLED, FAILED = "sent", "disabled", "failed"


class PushIncomplete(Exception):
    """Some pushes failed; the job must be retried (only the failed devices will be pushed)."""


class Notifier:
    def __init__(self, *, devices, mutes, users, groups, unread, receipts, push, clock,
                 workers=PUSH_WORKERS, attempts=PUSH_ATTEMPTS, deadline_seconds=DEADLINE_SECONDS,
                 sleep=time.sleep, monotonic=time.monotonic, burst_seconds=BURST_SECONDS):
        self._devices = devices
        self._mutes = mutes
        self._users = users
        self._groups = groups
        self._unread = unread
        self._receipts = receipts
        self._push = push
        self._clock = clock
        self._attempts = attempts
        self._deadline_seconds = deadline_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._burst_seconds = burst_seconds  # 0: every message pushes
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mobile-push")

    def notify(self, event, user_ids, deadline=None):
        """Push `event` (a `message` event) to the devices of `user_ids` that should have it;
        the number of pushes sent. PushIncomplete if some could not be sent in time."""
        if event.get("type") != "message":
            return 0
        message = event["message"]
        conversation_id = message["conversationId"]
        candidates = set(user_ids) - {message["senderId"]}
        devices = self._devices.of_users(candidates) if candidates else []
        if not devices:
            return 0
        owners = {device["userId"] for device in devices}
        mentioned = _mentioned(message)
        silenced = self._mutes.muted_users(conversation_id, owners, self._clock()) - mentioned
        devices = [device for device in devices if device["userId"] not in silenced]
        if not devices:
            return 0
        owners -= silenced
        people = self._users.by_ids(owners | {message["senderId"]})
        title = self._title(message, people.get(message["senderId"]))
        badges = self._unread.of_users(owners)
        window = self._window(message)
        windowed = {device["_id"] for device in devices if device["userId"] not in mentioned}
        claimed = self._receipts.claim(message["id"], [device["_id"] for device in devices], window=window,
                                       windowed=windowed)
        devices = [device for device in devices if device["_id"] in claimed]
        if not devices:
            return 0
        notifications = [_notification(message, title, people.get(device["userId"]), badges.get(device["userId"], 0))
                         for device in devices]
        deadline = deadline if deadline is not None else self._monotonic() + self._deadline_seconds
        contexts = [contextvars.copy_context() for _ in devices]
        outcomes = list(self._pool.map(
            lambda device, notification, context: context.run(self._publish, device, notification, deadline),
            devices, notifications, contexts))
        return self._settle(message, devices, outcomes, window)

    def _window(self, message):
        """The conversation's push window the message falls in (None: no coalescing)."""
        if not self._burst_seconds:
            return None
        created = message.get("createdAt")
        at = parse_iso(created) if isinstance(created, str) else self._clock()
        return f"{message['conversationId']}:{int(at.timestamp() // self._burst_seconds)}"

    def _title(self, message, sender):
        name = (sender or {}).get("name") or message.get("sender") or "Someone"
        if is_direct_id(message["conversationId"]):
            return name
        group = self._groups.get(message["conversationId"]) or {}
        return f"{name} in {group['name']}" if group.get("name") else name

    def _publish(self, device, notification, deadline):
        """SENT, DISABLED (the endpoint is dead) or FAILED (retry the job later)."""
        for attempt in range(self._attempts):
            if attempt and self._monotonic() >= deadline:
                return FAILED  # the first attempt always goes out: the deadline bounds the retries
            try:
                self._push.publish(device["platform"], device["endpointArn"], notification)
                return SENT
            except EndpointDisabled:
                return DISABLED
            except PushThrottled:
                pause = random.uniform(0, BACKOFF_SECONDS * 2**attempt)
                self._sleep(max(0.0, min(pause, deadline - self._monotonic())))
            except Exception as exc:  # noqa: BLE001 - counted as a failed push, retried via SQS
                log.warning("mobile push failed: %s", type(exc).__name__)
                return FAILED
        return FAILED

    def _settle(self, message, devices, outcomes, window=None):
        sent = outcomes.count(SENT)
        disabled = [device for device, outcome in zip(devices, outcomes) if outcome == DISABLED]
        failed = [device["_id"] for device, outcome in zip(devices, outcomes) if outcome == FAILED]
        for device in disabled:
            self._prune(device)
        if failed:
            self._receipts.release(message["id"], failed, window=window)
        log.info("mobile push: %d sent, %d disabled, %d failed", sent, len(disabled), len(failed),
                 extra={"fields": {"messageId": message["id"], "pushesSent": sent, "pushesDisabled": len(disabled),
                                   "pushesFailed": len(failed)}})
        for name, value in (("PushesSent", sent), ("PushesFailed", len(failed)), ("PushesPruned", len(disabled))):
            if value:
                metrics.count(name, value)
        if failed:
            raise PushIncomplete(f"{len(failed)} of {len(devices)} pushes not sent")
        return sent

    def _prune(self, device):
        """Forget a device whose endpoint SNS disabled (the token is dead)."""
        try:
            self._push.delete_endpoint(device["endpointArn"])
        except Exception as exc:  # noqa: BLE001 - the device goes anyway; the endpoint stays disabled
            log.warning("disabled endpoint not deleted: %s", type(exc).__name__)
        self._devices.remove(device["_id"])
        log.info("device %s pruned: its endpoint is disabled", device["_id"])


def _mentioned(message):
    mentioned = set()
    for mention in message.get("mentions", []) or []:
        if isinstance(mention, str):
            mentioned.add(mention)
        elif isinstance(mention, dict) and (mention.get("userId") or mention.get("id")):
            mentioned.add(mention.get("userId") or mention.get("id"))
    return mentioned


def _notification(message, title, person, badge):
    """The platform-neutral notification for one recipient."""
    return {
        "title": title,
        "body": _preview(message) if (person or {}).get("pushPreviews") is True else HIDDEN_BODY,
        "badge": badge,
        "data": {"type": "message", "conversationId": message["conversationId"], "messageId": message["id"],
                 "seq": message["seq"]},
        "collapseKey": message["conversationId"],
    }


def _preview(message):
    text = (message.get("text") or "").strip()
    if not text:
        return "Sent an attachment" if message.get("attachments") else HIDDEN_BODY
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"
