"""The `push_receipts` collection: which devices a message was pushed to, so a fan-out job
that SQS delivers again (a socket failed, or a push did) pushes only to devices that have
not had it yet.

Document: {_id: "<messageId>:<deviceId>", createdAt}. A receipt is claimed before the push
and released if the push fails; a TTL index forgets receipts after a day (SQS keeps a job
no longer than that).
"""
from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once

RECEIPT_SECONDS = 24 * 60 * 60


def receipt_id(message_id, device_id):
    return f"{message_id}:{device_id}"


class PushReceiptStore:
    def __init__(self, db):
        self._receipts = db["push_receipts"]
        ensure_indexes_once("push_receipts", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._receipts.create_index("createdAt", expireAfterSeconds=RECEIPT_SECONDS, name="created_ttl")

    def claim(self, message_id, device_ids):
        """The subset of `device_ids` claimed now for `message_id` (the others already were),
        in one insert_many."""
        from pymongo.errors import BulkWriteError

        device_ids = list(device_ids)
        if not device_ids:
            return set()
        now = utcnow()
        documents = [{"_id": receipt_id(message_id, device_id), "createdAt": now} for device_id in device_ids]
        try:
            self._receipts.insert_many(documents, ordered=False)
        except BulkWriteError as failure:
            taken = {error["index"] for error in failure.details.get("writeErrors", []) if error.get("code") == 11000}
            others = [error for error in failure.details.get("writeErrors", []) if error.get("code") != 11000]
            if others:
                raise
            return {device_id for index, device_id in enumerate(device_ids) if index not in taken}
        return set(device_ids)

    def release(self, message_id, device_ids):
        """Forget claims whose push failed, so the job's next delivery pushes them again."""
        ids = [receipt_id(message_id, device_id) for device_id in device_ids]
        if ids:
            self._receipts.delete_many({"_id": {"$in": ids}})
