"""The `blocks` collection: who blocked whom.

Document: {_id: "<blockerId>:<blockedId>", blockerId, blockedId, createdAt}. Blocking again
is harmless (the first document stays); unblocking deletes it. Looking a pair up is a read
by `_id`; the users who blocked someone come from the `blocked` index.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once


def block_id(blocker_id, blocked_id):
    return f"{blocker_id}:{blocked_id}"


class BlockStore:
    def __init__(self, db):
        self._blocks = db["blocks"]
        ensure_indexes_once("blocks", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._blocks.create_index([("blockerId", 1), ("blockedId", 1)], name="blocker_blocked")
        self._blocks.create_index([("blockedId", 1), ("blockerId", 1)], name="blocked_blocker")

    def block(self, blocker_id, blocked_id, now):
        """Record the block (once); the stored document."""
        from pymongo import ReturnDocument

        return self._blocks.find_one_and_update(
            {"_id": block_id(blocker_id, blocked_id)},
            {"$setOnInsert": {"blockerId": blocker_id, "blockedId": blocked_id, "createdAt": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def unblock(self, blocker_id, blocked_id):
        """Lift the block; True if there was one."""
        return self._blocks.delete_one({"_id": block_id(blocker_id, blocked_id)}).deleted_count == 1

    def delete_user(self, user_id):
        """Forget every block by or of `user_id` (a deleted account; the email may sign up anew)."""
        self._blocks.delete_many({"$or": [{"blockerId": user_id}, {"blockedId": user_id}]})

    def has_blocked(self, blocker_id, blocked_id):
        """True if `blocker_id` blocked `blocked_id`."""
        return self._blocks.find_one({"_id": block_id(blocker_id, blocked_id)}, {"_id": 1}) is not None

    def has_blocked_read(self, blocker_id, blocked_id):
        """`has_blocked` as a Read (storage.batch.read_together), decoded True or False."""
        from chalicelib.storage.batch import Read

        return Read(self._blocks, [{"$match": {"_id": block_id(blocker_id, blocked_id)}}, {"$limit": 1},
                                   {"$project": {"_id": 1}}], decode=bool)

    def blocked_by(self, blocker_id, after=None, limit=50):
        """Up to `limit` blocks made by `blocker_id`, in blocked user id order after `after`."""
        query = {"blockerId": blocker_id}
        if after is not None:
            query["blockedId"] = {"$gt": after}
        return list(self._blocks.find(query).sort("blockedId", 1).limit(limit))

    def either_way(self, user_id, limit=1000):
        """Ids of up to `limit` users in a block with `user_id`, whichever of them blocked."""
        query = {"$or": [{"blockerId": user_id}, {"blockedId": user_id}]}
        found = self._blocks.find(query, {"blockerId": 1, "blockedId": 1}).limit(limit)
        return {doc["blockedId"] if doc["blockerId"] == user_id else doc["blockerId"] for doc in found}
