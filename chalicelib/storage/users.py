"""The `users` collection: accounts from both sign-up routes.

Document: {_id, email (normalised, unique), name, department?, role?, passwordHash,
createdAt}. Uniqueness of email is enforced by a unique index, never a read-then-write.
"""
from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict
from chalicelib.core.ids import new_id
from chalicelib.storage.mongo import database, ensure_indexes_once

PUBLIC_FIELDS = ("name", "email", "department", "role")


class UserStore:
    def __init__(self, db):
        self._users = db["users"]
        ensure_indexes_once("users", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._users.create_index("email", unique=True, name="email_unique")

    def create(self, *, email, name, password_hash, department=None, role=None):
        """Insert a new account; Conflict if the (normalised) email is taken."""
        from pymongo.errors import DuplicateKeyError

        document = {
            "_id": new_id(),
            "email": email,
            "name": name,
            "passwordHash": password_hash,
            "createdAt": utcnow(),
        }
        if department is not None:
            document["department"] = department
        if role is not None:
            document["role"] = role
        try:
            self._users.insert_one(document)
        except DuplicateKeyError:
            raise Conflict("An account with that email already exists.", "email_taken") from None
        return document

    def by_email(self, email):
        return self._users.find_one({"email": email})

    def by_id(self, user_id):
        return self._users.find_one({"_id": user_id})

    def by_ids(self, user_ids):
        """The accounts among `user_ids`, keyed by id (unknown ids are simply absent)."""
        found = self._users.find({"_id": {"$in": list(user_ids)}}, {"passwordHash": 0})
        return {user["_id"]: user for user in found}

    def by_emails(self, emails):
        found = self._users.find({"email": {"$in": list(emails)}}, {"passwordHash": 0})
        return {user["email"]: user for user in found}
