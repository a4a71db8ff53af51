"""The `memberships` collection: one document per (group, user), so each change is one
atomic, precondition-guarded update and a group's size is not bounded by a document.

Document: {_id: "<groupId>:<userId>", groupId, userId, state: "member"|"pending"|"banned",
role: "owner"|"member", since, ...}.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once

MEMBER = "member"


def membership_id(group_id, user_id):
    return f"{group_id}:{user_id}"


class MembershipStore:
    def __init__(self, db):
        self._memberships = db["memberships"]
        ensure_indexes_once("memberships", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._memberships.create_index([("groupId", 1), ("state", 1), ("userId", 1)], name="group_state_user")
        self._memberships.create_index([("userId", 1), ("state", 1), ("groupId", 1)], name="user_state_group")

    def is_member(self, group_id, user_id):
        """True if `user_id` is a current member of `group_id` (the owner included)."""
        found = self._memberships.find_one(
            {"_id": membership_id(group_id, user_id), "state": MEMBER}, {"_id": 1}
        )
        return found is not None

    def member_ids(self, group_id, after=None, limit=500):
        """Up to `limit` member ids of `group_id` in id order, starting after `after`."""
        query = {"groupId": group_id, "state": MEMBER}
        if after is not None:
            query["userId"] = {"$gt": after}
        cursor = self._memberships.find(query, {"userId": 1}).sort("userId", 1).limit(limit)
        return [doc["userId"] for doc in cursor]

    def group_ids_of(self, user_id, limit=1000):
        """Up to `limit` ids of the groups `user_id` is a current member of, in id order."""
        query = {"userId": user_id, "state": MEMBER}
        cursor = self._memberships.find(query, {"groupId": 1}).sort("groupId", 1).limit(limit)
        return [doc["groupId"] for doc in cursor]
