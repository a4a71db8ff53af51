"""The `sessions` collection: one document per signed-in device (a login).

Document: {_id: sessionId, userId, createdAt, lastSeenAt, userAgent, refreshHash,
usedHashes: [...], expiresAt}. Only SHA-256 hashes of refresh tokens are stored: the current
one (`refreshHash`, unique) and the last USED_KEPT used ones, so a used token presented again
is recognised (and ends the session) while a database reader can refresh nothing. A rotation
is one find-and-modify on the current hash, so of concurrent refreshes with one token exactly
one matches. `expiresAt` slides forward on each refresh; a TTL index removes dead sessions,
and ending a session deletes its document.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once

USED_KEPT = 100
_LISTED = {"refreshHash": 0, "usedHashes": 0}


class SessionStore:
    def __init__(self, db):
        self._sessions = db["sessions"]
        ensure_indexes_once("sessions", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._sessions.create_index([("userId", 1), ("lastSeenAt", -1)], name="user")
        self._sessions.create_index("refreshHash", unique=True, name="refresh_unique")
        self._sessions.create_index("usedHashes", name="used_refresh")
        self._sessions.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def create(self, *, session_id, user_id, user_agent, refresh_hash, now, expires_at):
        document = {
            "_id": session_id,
            "userId": user_id,
            "createdAt": now,
            "lastSeenAt": now,
            "userAgent": user_agent,
            "refreshHash": refresh_hash,
            "usedHashes": [],
            "expiresAt": expires_at,
        }
        self._sessions.insert_one(document)
        return document

    def rotate(self, old_hash, new_hash, now, expires_at):
        """Swap the live refresh hash `old_hash` for `new_hash`; the session, or None if no live
        session holds `old_hash` (wrong, used, or expired)."""
        from pymongo import ReturnDocument

        return self._sessions.find_one_and_update(
            {"refreshHash": old_hash, "expiresAt": {"$gt": now}},
            {
                "$set": {"refreshHash": new_hash, "lastSeenAt": now, "expiresAt": expires_at},
                "$push": {"usedHashes": {"$each": [old_hash], "$slice": -USED_KEPT}},
            },
            projection=_LISTED,
            return_document=ReturnDocument.AFTER,
        )

    def end_by_used_hash(self, used_hash):
        """End the session that once held `used_hash`; the ended session, or None."""
        return self._sessions.find_one_and_delete({"usedHashes": used_hash}, projection=_LISTED)

    def owner(self, session_id, now):
        """The user id of live session `session_id`, or None: the per-request check, one read by _id."""
        found = self._sessions.find_one({"_id": session_id, "expiresAt": {"$gt": now}}, {"userId": 1})
        return found["userId"] if found else None

    def of_user(self, user_id, now, limit=100):
        """The user's live sessions, most recently seen first."""
        query = {"userId": user_id, "expiresAt": {"$gt": now}}
        return list(self._sessions.find(query, _LISTED).sort("lastSeenAt", -1).limit(limit))

    def delete(self, session_id, user_id):
        """End one of `user_id`'s sessions; the ended session, or None if they have no such session."""
        return self._sessions.find_one_and_delete({"_id": session_id, "userId": user_id}, projection=_LISTED)

    def delete_of_user(self, user_id, keep=None):
        """End every session of `user_id` but `keep`; how many ended."""
        query = {"userId": user_id}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        return self._sessions.delete_many(query).deleted_count
