"""The `groups` collection.

Document: {_id, name, nameLower, type: "open"|"private", ownerId, rejoinCooldownSeconds,
createdAt}. The owner is `ownerId` here; memberships live in their own collection so that
groups can grow without bound.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once


class GroupStore:
    def __init__(self, db):
        self._groups = db["groups"]
        ensure_indexes_once("groups", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._groups.create_index([("type", 1), ("nameLower", 1), ("_id", 1)], name="discover")

    def get(self, group_id):
        """The group document, or None."""
        return self._groups.find_one({"_id": group_id})
