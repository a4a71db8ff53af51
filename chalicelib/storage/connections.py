"""The `connections` collection: one document per open WebSocket connection.

Document: {_id: connectionId, userId, sessionId (the login it was opened with), endpoint
(the @connections URL that reaches it), connectedAt, expiresAt, tokenExpiresAt?, watching?,
frames?, framesWindowEnds?}. `frames` counts the connection's frames in the fixed window
ending at `framesWindowEnds` (its rate limit, WS_FRAMES_PER_CONNECTION: `count_frame`).
`watching` is the conversation whose presence the connection follows (its `presence`
frame's). `tokenExpiresAt` is when the token that opened it
expires: from then on the connection neither sends (sockets.py refuses its frames) nor
receives (`of_users` leaves it out). A user's devices are found by the userId index, never by
scanning; API Gateway closes a connection after two hours at most, so a TTL index removes
any record whose $disconnect never arrived.

API Gateway also answers 410 Gone for a connection still inside its `$connect` (the record is
written there, before the socket opens), so a fan-out racing a connect would forget a live
connection. `remove_gone` therefore keeps a record younger than `CONNECT_GRACE_SECONDS`; a
young connection that really is gone still goes at its `$disconnect` or its next Gone.
"""
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once

MAX_CONNECTION_SECONDS = 2 * 60 * 60 + 5 * 60  # API Gateway's two-hour limit, plus slack
# API Gateway's 29-second integration timeout bounds how long a `$connect` can last.
CONNECT_GRACE_SECONDS = 30


class ConnectionStore:
    def __init__(self, db, connect_grace_seconds=CONNECT_GRACE_SECONDS, frame_clock=utcnow):
        self._connections = db["connections"]
        self._connect_grace = timedelta(seconds=connect_grace_seconds)
        self._frame_clock = frame_clock  # the frame limit's windows (tests stand it still)
        ensure_indexes_once("connections", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._connections.create_index([("userId", 1)], name="user")
        self._connections.create_index([("watching", 1)], name="watching", sparse=True)
        self._connections.create_index([("sessionId", 1)], name="session", sparse=True)
        self._connections.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def add(self, connection_id, user_id, endpoint, session_id=None, token_expires_at=None):
        now = utcnow()
        document = {"userId": user_id, "endpoint": endpoint, "connectedAt": now,
                    "expiresAt": now + timedelta(seconds=MAX_CONNECTION_SECONDS)}
        if session_id is not None:
            document["sessionId"] = session_id
        if token_expires_at is not None:
            document["tokenExpiresAt"] = token_expires_at
        # The filter names the shard key (userId): a sharded cluster requires it of an upsert.
        self._connections.replace_one({"_id": connection_id, "userId": user_id}, document, upsert=True)

    def oldest_beyond(self, user_id, keep):
        """`user_id`'s connections other than its `keep` newest, oldest first: [{_id, endpoint}]."""
        found = self.of_user(user_id)
        return found[: max(0, len(found) - keep)]

    def of_user(self, user_id):
        """Every connection of `user_id`, oldest first: [{_id, endpoint, connectedAt}]."""
        found = list(self._connections.find({"userId": user_id}, {"endpoint": 1, "connectedAt": 1}))
        found.sort(key=lambda doc: doc["connectedAt"])
        return found

    def watch(self, connection_id, conversation_id):
        """The connection follows presence in `conversation_id` (one conversation at a time: the open chat)."""
        self._connections.update_one({"_id": connection_id}, {"$set": {"watching": conversation_id}})

    def watchers(self, conversation_ids):
        """The live connections following presence in any of `conversation_ids`:
        [{_id, userId, endpoint, watching}]."""
        conversation_ids = list(conversation_ids)
        if not conversation_ids:
            return []
        live = {"watching": {"$in": conversation_ids},
                "$or": [{"tokenExpiresAt": {"$exists": False}}, {"tokenExpiresAt": {"$gt": utcnow()}}]}
        return list(self._connections.find(live, {"userId": 1, "endpoint": 1, "watching": 1}))

    def get(self, connection_id):
        return self._connections.find_one({"_id": connection_id})

    def count_frame(self, connection_id, window_seconds):
        """Count one frame in the connection's open window (a new one when it has ended), in one
        atomic update that answers the connection's document as it is then (every frame's first
        round trip): (document, seconds until its window ends), or (None, 0) for an unknown one."""
        from pymongo import ReturnDocument

        now = self._frame_clock()
        still_open = {"$gt": ["$framesWindowEnds", now]}
        counted = [{"$set": {
            "frames": {"$cond": [still_open, {"$add": ["$frames", 1]}, 1]},
            "framesWindowEnds": {"$cond": [still_open, "$framesWindowEnds", now + timedelta(seconds=window_seconds)]},
        }}]
        found = self._connections.find_one_and_update({"_id": connection_id}, counted,
                                                      return_document=ReturnDocument.AFTER)
        if found is None:
            return None, 0
        ends = found["framesWindowEnds"]
        if ends.tzinfo is None:  # a client that hands back naive UTC datetimes
            ends = ends.replace(tzinfo=now.tzinfo)
        return found, max(0.0, (ends - now).total_seconds())

    def remove(self, connection_id):
        """Forget a connection; the user id it belonged to, or None if it was unknown."""
        removed = self._connections.find_one_and_delete({"_id": connection_id}, {"userId": 1})
        return removed["userId"] if removed else None

    def remove_gone(self, connection_id):
        """Forget a connection @connections called Gone, unless it may still be in its `$connect`
        (see the module's docstring); True if it was forgotten."""
        opened_before = utcnow() - self._connect_grace
        removed = self._connections.delete_one({"_id": connection_id, "connectedAt": {"$lte": opened_before}})
        return removed.deleted_count == 1

    def of_users(self, user_ids):
        """Every open connection of `user_ids` whose token has not expired: [{_id, userId, endpoint, sessionId?}]."""
        user_ids = list(user_ids)
        if not user_ids:
            return []
        live = {"userId": {"$in": user_ids},
                "$or": [{"tokenExpiresAt": {"$exists": False}}, {"tokenExpiresAt": {"$gt": utcnow()}}]}
        return list(self._connections.find(live, {"userId": 1, "endpoint": 1, "sessionId": 1}))

    def of_session(self, session_id):
        """Every open connection opened with session `session_id`: [{_id, userId, endpoint}]."""
        return list(self._connections.find({"sessionId": session_id}, {"userId": 1, "endpoint": 1}))

    def online(self, user_ids):
        """The subset of `user_ids` with at least one open connection."""
        return set(self._connections.distinct("userId", {"userId": {"$in": list(user_ids)}}))
