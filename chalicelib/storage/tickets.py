"""The `ws_tickets` collection: short-lived, single-use WebSocket tickets.

Document: {_id: sha256(ticket), userId, sessionId, expiresAt, tokenExpiresAt?} (`tokenExpiresAt`: when
the token the ticket was bought with expires; the connection it opens ends then too). Only the hash is stored, so a database
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

    def issue(self, user_id, ttl_seconds, session_id=None, token_expires_at=None):
        """A new ticket for `user_id` (signed in as `session_id`), valid once within `ttl_seconds`."""
        ticket = secrets.token_urlsafe(24)
        document = {"_id": _digest(ticket), "userId": user_id, "expiresAt": utcnow() + timedelta(seconds=ttl_seconds)}
        if session_id is not None:
            document["sessionId"] = session_id
        if token_expires_at is not None:
            document["tokenExpiresAt"] = token_expires_at
        self._tickets.insert_one(document)
        return ticket

    def take(self, ticket):
        """The user id of a valid unused ticket (using it up), or None."""
        return self.redeem(ticket)[0]

    def take_session(self, ticket):
        """(user id, session id or None) of a valid unused ticket (using it up), or None."""
        user_id, session_id, _ = self.claim(ticket)
        return (user_id, session_id) if user_id is not None else None

    def redeem(self, ticket):
        """(user id, token expiry or None) of a valid unused ticket, using it up; (None, None) otherwise."""
        user_id, _, token_expires_at = self.claim(ticket)
        return user_id, token_expires_at

    def claim(self, ticket):
        """(user id, session id, token expiry) of a valid unused ticket, using it up; Nones otherwise."""
        taken = self._tickets.find_one_and_delete({"_id": _digest(ticket), "expiresAt": {"$gt": utcnow()}})
        if taken is None:
            return None, None, None
        return taken["userId"], taken.get("sessionId"), taken.get("tokenExpiresAt")


def _digest(ticket):
    return hashlib.sha256(ticket.encode()).hexdigest()
