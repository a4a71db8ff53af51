"""The `throttles` collection: fixed-window counters shared by every Lambda.

Document: {_id: "<scope>:<key>", count, windowEnds, expiresAt}. Counting is one atomic
update, so many concurrent Lambdas see one count; a TTL index removes counters KEPT_SECONDS
after their window ended.

Limits that one request takes together (a WebSocket send: the user's frames and the user's
sends) share a document instead, one window per limit, so taking them all is still one
atomic update (`hit_together`): {_id: "<shared>:<key>", windows: {<limit>: {count, ends}},
expiresAt}. Every method takes `window` (the limit's name) for such a document.
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

    def count(self, key, window=None):
        """(hits in the current window, seconds until it ends); (0, 0) when none is open."""
        now = self._clock()
        if window is not None:
            doc = self._counters.find_one({"_id": key, f"windows.{window}.ends": {"$gt": now}})
            return (0, 0) if doc is None else _counted(doc["windows"][window], now)
        doc = self._counters.find_one({"_id": key, "windowEnds": {"$gt": now}})
        if doc is None:
            return 0, 0
        return doc["count"], _seconds_until(doc["windowEnds"], now)

    def hit_together(self, key, windows):
        """Count one hit in each window of a shared document ({limit name: window seconds}),
        opening those that ended or never were, in one atomic upsert: {name: (count, seconds left)}."""
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        now = self._clock()
        counted = {}
        for name, seconds in windows.items():
            stored = f"$windows.{name}"
            still_open = {"$gt": [f"{stored}.ends", now]}
            counted[f"windows.{name}"] = {"$cond": [still_open, {"count": {"$add": [f"{stored}.count", 1]},
                                                                 "ends": f"{stored}.ends"},
                                                    {"count": 1, "ends": now + timedelta(seconds=seconds)}]}
        kept = now + timedelta(seconds=max(windows.values()) + KEPT_SECONDS)
        counted["expiresAt"] = {"$max": ["$expiresAt", kept]}
        for _ in range(3):
            try:
                doc = self._counters.find_one_and_update({"_id": key}, [{"$set": counted}], upsert=True,
                                                         return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                continue  # another Lambda inserted it meanwhile: count in it
            doc = doc or self._applied(key)
            if doc is not None:
                return {name: _counted(doc["windows"][name], now) for name in windows}
        raise RuntimeError(f"could not count a hit on {key!r}")

    def hit(self, key, window_seconds, window=None):
        """Count one hit in the open window (opening one if needed); return (count, seconds left).

        One round trip: an upserting pipeline update counts on in the open window, or starts a
        new one where the stored window has ended or there is no counter yet (a missing
        `windowEnds` is not after now). Counters outlive their window by KEPT_SECONDS, so a
        key's next window is the same one update. Two first hits at once may both try to insert
        the counter; the loser of that race (a DuplicateKeyError) counts again, in the winner's."""
        if window is not None:
            return self.hit_together(key, {window: window_seconds})[window]
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
        for _ in range(3):
            try:
                doc = self._counters.find_one_and_update({"_id": key}, counted, upsert=True,
                                                         return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                continue  # another Lambda inserted it meanwhile: count in it
            doc = doc or self._applied(key)
            if doc is not None:
                return doc["count"], _seconds_until(doc["windowEnds"], now)
        raise RuntimeError(f"could not count a hit on {key!r}")

    def _applied(self, key):
        """The counter after an upsert that answered no document. MongoDB always returns it;
        the embedded test server answers None to the loser of an upsert race, though it applied
        the hit, so counting again would count it twice: read it instead."""
        return self._counters.find_one({"_id": key})

    def unhit(self, key, window=None):
        """Take one hit back from the open window (never below zero)."""
        prefix = "" if window is None else f"windows.{window}."
        ends = "windowEnds" if window is None else f"{prefix}ends"
        self._counters.update_one({"_id": key, ends: {"$gt": self._clock()}, f"{prefix}count": {"$gt": 0}},
                                  {"$inc": {f"{prefix}count": -1}})

    def clear(self, key, window=None):
        if window is not None:
            self._counters.update_one({"_id": key}, {"$unset": {f"windows.{window}": ""}})
            return
        self._counters.delete_one({"_id": key})

    def settle(self, clear=(), unhit=()):
        """`clear` some keys and `unhit` others, in one round trip (one update command).

        A cleared counter's window is closed rather than its document deleted (a delete would
        be a second command): counting and `count` treat a closed window as no window."""
        from pymongo import UpdateOne

        now = self._clock()
        operations = [UpdateOne({"_id": key}, {"$set": {"count": 0, "windowEnds": now}}) for key in clear]
        operations += [UpdateOne({"_id": key, "windowEnds": {"$gt": now}, "count": {"$gt": 0}}, {"$inc": {"count": -1}})
                       for key in unhit]
        if operations:
            self._counters.bulk_write(operations, ordered=False)


def _counted(window, now):
    return window["count"], _seconds_until(window["ends"], now)


def _seconds_until(moment, now):
    return max(0.0, (moment - now).total_seconds())
