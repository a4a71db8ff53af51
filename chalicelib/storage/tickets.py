"""The `ws_tickets` collection: short-lived, single-use WebSocket tickets.

Document: {_id: sha256(ticket), userId, sessionId, expiresAt}. Only the hash is stored, so a database
reader cannot connect as anyone; taking a ticket deletes it atomically, so it opens at most
one connection.
"""
import hashlib
import secrets
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once


class TicketStore:
    def __init__(self, db):
        self._tickets = db["ws_tickets"]
        ensure_indexes_once("ws_tickets", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._tickets.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def issue(self, user_id, ttl_seconds, session_id=None):
        """A new ticket for `user_id` (signed in as `session_id`), valid once within `ttl_seconds`."""
        ticket = secrets.token_urlsafe(24)
        document = {"_id": _digest(ticket), "userId": user_id, "expiresAt": utcnow() + timedelta(seconds=ttl_seconds)}
        if session_id is not None:
            document["sessionId"] = session_id
        self._tickets.insert_one(document)
        return ticket

    def take(self, ticket):
        """The user id of a valid unused ticket (using it up), or None."""
        taken = self.take_session(ticket)
        return taken[0] if taken else None

    def take_session(self, ticket):
        """(user id, session id or None) of a valid unused ticket (using it up), or None."""
        taken = self._tickets.find_one_and_delete({"_id": _digest(ticket), "expiresAt": {"$gt": utcnow()}})
        return (taken["userId"], taken.get("sessionId")) if taken else None


def _digest(ticket):
    return hashlib.sha256(ticket.encode()).hexdigest()
