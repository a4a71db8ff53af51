"""The `throttles` collection: fixed-window counters shared by every Lambda.

Document: {_id: "<scope>:<key>", count, windowEnds, expiresAt}. Counting is one atomic
update, so many concurrent Lambdas see one count; a TTL index removes old windows.
"""
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once


class ThrottleStore:
    def __init__(self, db):
        self._counters = db["throttles"]
        ensure_indexes_once("throttles", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._counters.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def count(self, key):
        """(hits in the current window, seconds until it ends); (0, 0) when none is open."""
        now = utcnow()
        doc = self._counters.find_one({"_id": key, "windowEnds": {"$gt": now}})
        if doc is None:
            return 0, 0
        return doc["count"], _seconds_until(doc["windowEnds"], now)

    def hit(self, key, window_seconds):
        """Count one hit in the open window (opening one if needed); return (count, seconds left)."""
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        now = utcnow()
        doc = self._counters.find_one_and_update(
            {"_id": key, "windowEnds": {"$gt": now}},
            {"$inc": {"count": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            ends = now + timedelta(seconds=window_seconds)
            fresh = {"count": 1, "windowEnds": ends, "expiresAt": ends}
            try:
                self._counters.update_one(
                    {"_id": key, "windowEnds": {"$lte": now}}, {"$set": fresh}, upsert=True
                )
                return 1, window_seconds
            except DuplicateKeyError:
                # Another Lambda opened the window between our two updates: count in it.
                return self.hit(key, window_seconds)
        return doc["count"], _seconds_until(doc["windowEnds"], now)

    def unhit(self, key):
        """Take one hit back from the open window (never below zero)."""
        self._counters.update_one({"_id": key, "windowEnds": {"$gt": utcnow()}, "count": {"$gt": 0}},
                                  {"$inc": {"count": -1}})

    def clear(self, key):
        self._counters.delete_one({"_id": key})


def _seconds_until(moment, now):
    return max(0.0, (moment - now).total_seconds())
