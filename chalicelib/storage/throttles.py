"""The `throttles` collection: fixed-window counters shared by every Lambda.

Document: {_id: "<scope>:<key>", count, windowEnds, expiresAt}. Counting is one atomic
update, so many concurrent Lambdas see one count; a TTL index removes counters KEPT_SECONDS
after their window ended.
"""
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once

# A counter stays this long after its window ends, so the key's next window is one update.
KEPT_SECONDS = 15 * 60


class ThrottleStore:
    def __init__(self, db, clock=utcnow):
        self._counters = db["throttles"]
        self._clock = clock
        ensure_indexes_once("throttles", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._counters.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def count(self, key):
        """(hits in the current window, seconds until it ends); (0, 0) when none is open."""
        now = self._clock()
        doc = self._counters.find_one({"_id": key, "windowEnds": {"$gt": now}})
        if doc is None:
            return 0, 0
        return doc["count"], _seconds_until(doc["windowEnds"], now)

    def hit(self, key, window_seconds):
        """Count one hit in the open window (opening one if needed); return (count, seconds left).

        One round trip while the key's counter exists: a pipeline update counts on in the open
        window or starts a new one where the stored window has ended. Counters outlive their
        window by KEPT_SECONDS for that; a key's very first hit inserts its counter (a second
        round trip, and a third if another Lambda inserted it first)."""
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        now = self._clock()
        ends = now + timedelta(seconds=window_seconds)
        kept = ends + timedelta(seconds=KEPT_SECONDS)
        still_open = {"$gt": ["$windowEnds", now]}
        counted = [{"$set": {
            "count": {"$cond": [still_open, {"$add": ["$count", 1]}, 1]},
            "windowEnds": {"$cond": [still_open, "$windowEnds", ends]},
            "expiresAt": {"$cond": [still_open, "$expiresAt", kept]},
        }}]
        for _ in range(2):
            doc = self._counters.find_one_and_update({"_id": key}, counted, return_document=ReturnDocument.AFTER)
            if doc is not None:
                return doc["count"], _seconds_until(doc["windowEnds"], now)
            try:
                self._counters.insert_one({"_id": key, "count": 1, "windowEnds": ends, "expiresAt": kept})
                return 1, window_seconds
            except DuplicateKeyError:
                continue  # another Lambda inserted it meanwhile: count in it
        raise RuntimeError(f"could not count a hit on {key!r}")

    def unhit(self, key):
        """Take one hit back from the open window (never below zero)."""
        self._counters.update_one({"_id": key, "windowEnds": {"$gt": self._clock()}, "count": {"$gt": 0}},
                                  {"$inc": {"count": -1}})

    def clear(self, key):
        self._counters.delete_one({"_id": key})


def _seconds_until(moment, now):
    return max(0.0, (moment - now).total_seconds())
