"""The `push_receipts` collection: which devices a message was pushed to, so a fan-out job
that SQS delivers again (a socket failed, or a push did) pushes only to devices that have
not had it yet.

Document: {_id: "<messageId>:<deviceId>", createdAt}. A receipt is claimed before the push
and released if the push fails; a TTL index forgets receipts after a day (SQS keeps a job
no longer than that).

The same collection holds each device's push window per conversation, so that a burst of
messages alerts a phone once (chalicelib.realtime.notifications): {_id:
"burst:<deviceId>:<conversationId>:<window>", createdAt}, claimed in the receipts' own
insert_many (no extra round trip) and released with them.
"""
from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once

RECEIPT_SECONDS = 24 * 60 * 60


def receipt_id(message_id, device_id):
    return f"{message_id}:{device_id}"


def burst_id(device_id, window):
    """`window` names a conversation's push window: "<conversationId>:<number>"."""
    return f"burst:{device_id}:{window}"


class PushReceiptStore:
    def __init__(self, db):
        self._receipts = db["push_receipts"]
        ensure_indexes_once("push_receipts", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._receipts.create_index("createdAt", expireAfterSeconds=RECEIPT_SECONDS, name="created_ttl")

    def claim(self, message_id, device_ids, window=None, windowed=()):
        """The subset of `device_ids` claimed now for `message_id` (the others already were),
        in one insert_many. With a `window`, the devices of `windowed` also claim that push
        window, and one whose window another message holds is left out (its receipt stays:
        this message is done for it)."""
        from pymongo.errors import BulkWriteError

        device_ids = list(device_ids)
        if not device_ids:
            return set()
        now = utcnow()
        documents = [{"_id": receipt_id(message_id, device_id), "createdAt": now} for device_id in device_ids]
        bursts = [device_id for device_id in device_ids if device_id in set(windowed)] if window else []
        documents += [{"_id": burst_id(device_id, window), "createdAt": now} for device_id in bursts]
        try:
            self._receipts.insert_many(documents, ordered=False)
        except BulkWriteError as failure:
            taken = {error["index"] for error in failure.details.get("writeErrors", []) if error.get("code") == 11000}
            others = [error for error in failure.details.get("writeErrors", []) if error.get("code") != 11000]
            if others:
                raise
            busy = {device_id for index, device_id in enumerate(bursts) if len(device_ids) + index in taken}
            return {device_id for index, device_id in enumerate(device_ids) if index not in taken} - busy
        return set(device_ids)

    def release(self, message_id, device_ids, window=None):
        """Forget claims whose push failed (and their push windows), so the job's next
        delivery pushes them again."""
        ids = [receipt_id(message_id, device_id) for device_id in device_ids]
        if window:
            ids += [burst_id(device_id, window) for device_id in device_ids]
        if ids:
            self._receipts.delete_many({"_id": {"$in": ids}})
