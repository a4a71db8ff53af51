"""The `users` collection: accounts from both sign-up routes.

Document: {_id, email (normalised, unique), name, department?, role?, pushPreviews?,
passwordHash, createdAt, searchKeys}. Uniqueness of email is enforced by a unique index, never
a read-then-write. `searchKeys` (the email, the lower-cased name and each word of it) is what
people search matches by prefix, through a multikey index.
"""
import re

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
        self._users.create_index("searchKeys", name="search")

    def create(self, *, email, name, password_hash, department=None, role=None):
        """Insert a new account; Conflict if the (normalised) email is taken."""
        from pymongo.errors import DuplicateKeyError

        document = {
            "_id": new_id(),
            "email": email,
            "name": name,
            "passwordHash": password_hash,
            "createdAt": utcnow(),
            "searchKeys": search_keys(email, name),
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

    def by_id_read(self, user_id):
        """`by_id` as a Read (storage.batch.read_together), without the password hash."""
        from chalicelib.storage.batch import Read

        return Read(self._users, [{"$match": {"_id": user_id}}, {"$limit": 1}, {"$project": {"passwordHash": 0}}])

    def by_emails_read(self, emails):
        """`by_emails` as a Read (storage.batch.read_together), decoded {email: account}."""
        from chalicelib.storage.batch import Read

        return Read(self._users, [{"$match": {"email": {"$in": list(emails)}}}, {"$project": {"passwordHash": 0}}],
                    decode=lambda found: {user["email"]: user for user in found})

    def by_ids(self, user_ids):
        """The accounts among `user_ids`, keyed by id (unknown ids are simply absent)."""
        found = self._users.find({"_id": {"$in": list(user_ids)}}, {"passwordHash": 0})
        return {user["_id"]: user for user in found}

    def by_emails(self, emails):
        found = self._users.find({"email": {"$in": list(emails)}}, {"passwordHash": 0})
        return {user["email"]: user for user in found}

    def update_profile(self, user_id, fields):
        """Set the profile `fields` (None unsets one); the updated account, or None if it is gone."""
        from pymongo import ReturnDocument

        current = self._users.find_one({"_id": user_id}, {"email": 1, "name": 1})
        if current is None:
            return None
        to_set = {name: value for name, value in fields.items() if value is not None}
        to_unset = {name: "" for name, value in fields.items() if value is None}
        if "name" in to_set:
            to_set["searchKeys"] = search_keys(current["email"], to_set["name"])
        update = {}
        if to_set:
            update["$set"] = to_set
        if to_unset:
            update["$unset"] = to_unset
        if not update:
            return self.by_id(user_id)
        return self._users.find_one_and_update({"_id": user_id}, update, return_document=ReturnDocument.AFTER)

    def set_password(self, user_id, password_hash):
        self._users.update_one({"_id": user_id}, {"$set": {"passwordHash": password_hash}})

    def delete(self, user_id):
        """Remove the account; its email is free for a new one."""
        self._users.delete_one({"_id": user_id})

    def backfill_search_keys(self):
        """Give accounts made before people search their `searchKeys`; how many were updated."""
        updated = 0
        for user in self._users.find({"searchKeys": {"$exists": False}}, {"email": 1, "name": 1}):
            self._users.update_one({"_id": user["_id"]}, {"$set": {"searchKeys": search_keys(user["email"], user["name"])}})
            updated += 1
        return updated

    def matching(self, prefix, after=None, limit=50):
        """Up to `limit` accounts with a search key starting with `prefix` (lower case), in id
        order after `after`."""
        query = {"searchKeys": {"$regex": "^" + re.escape(prefix)}}
        if after is not None:
            query["_id"] = {"$gt": after}
        return list(self._users.find(query, {"passwordHash": 0, "searchKeys": 0}).sort("_id", 1).limit(limit))


def search_keys(email, name):
    """What people search matches by prefix: the email, the whole name and each of its words."""
    lowered = " ".join(name.lower().split())
    return sorted({email, lowered, *lowered.split(" ")} - {""})
