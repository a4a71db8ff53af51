"""The `reports` collection: members' reports of group messages, for its owner and moderators.

Document: {_id, groupId, messageId, reporterId, reason, createdAt, state: "open"|"resolved",
resolvedBy?, resolvedAt?, resolution?}. One report per (message, reporter): reporting again
returns the first. Resolving is one guarded update from "open".
"""
from chalicelib.storage.mongo import database, ensure_indexes_once

OPEN = "open"
RESOLVED = "resolved"


class ReportStore:
    def __init__(self, db):
        self._reports = db["reports"]
        ensure_indexes_once("reports", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._reports.create_index([("messageId", 1), ("reporterId", 1)], unique=True, name="message_reporter")
        self._reports.create_index([("groupId", 1), ("state", 1), ("_id", 1)], name="group_state")

    def add(self, document):
        """Store a new report: (stored document, True), or (the earlier one, False)."""
        from pymongo.errors import DuplicateKeyError

        try:
            self._reports.insert_one(document)
            return document, True
        except DuplicateKeyError:
            earlier = self._reports.find_one({"messageId": document["messageId"], "reporterId": document["reporterId"]})
            if earlier is None:
                raise
            return earlier, False

    def of_group(self, group_id, state, after=None, limit=50):
        """Up to `limit` reports of the group in `state`, in id order after `after`."""
        query = {"groupId": group_id, "state": state}
        if after is not None:
            query["_id"] = {"$gt": after}
        return list(self._reports.find(query).sort("_id", 1).limit(limit))

    def resolve(self, group_id, report_id, by, now, resolution):
        """Close an open report; the updated document or None (unknown or resolved already)."""
        from pymongo import ReturnDocument

        fields = {"state": RESOLVED, "resolvedBy": by, "resolvedAt": now}
        if resolution:
            fields["resolution"] = resolution
        return self._reports.find_one_and_update(
            {"_id": report_id, "groupId": group_id, "state": OPEN}, {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )

    def get(self, group_id, report_id):
        return self._reports.find_one({"_id": report_id, "groupId": group_id})
