"""The `invites` collection: a group's invite links.

Document: {_id, groupId, codeHash, createdBy, createdAt, expiresAt, maxUses (None: any
number), uses, usesLeft (only with maxUses)}. The code itself is never stored: only its
SHA-256 (`codeHash`, unique), so a leaked database holds no working link. Using an invite
is one guarded `$inc` whose filter says it is still good (not expired, `usesLeft > 0`), so
concurrent accepts never count past `maxUses`. Revoking deletes the document; a TTL index
removes expired ones.
"""
import hashlib

from chalicelib.storage.mongo import database, ensure_indexes_once


def code_hash(code):
    """What is stored of an invite code."""
    return hashlib.sha256(f"invite\n{code}".encode("utf-8")).hexdigest()


class InviteStore:
    def __init__(self, db):
        self._invites = db["invites"]
        ensure_indexes_once("invites", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._invites.create_index("codeHash", unique=True, name="code_hash")
        self._invites.create_index([("groupId", 1), ("_id", 1)], name="group_invites")
        self._invites.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def create(self, *, invite_id, group_id, code, created_by, now, expires_at, max_uses):
        document = {
            "_id": invite_id,
            "groupId": group_id,
            "codeHash": code_hash(code),
            "createdBy": created_by,
            "createdAt": now,
            "expiresAt": expires_at,
            "maxUses": max_uses,
            "uses": 0,
        }
        if max_uses is not None:
            document["usesLeft"] = max_uses
        self._invites.insert_one(document)
        return document

    def by_code(self, code, now):
        """The invite `code` opens if it is still good at `now`, or None."""
        return self._invites.find_one({"codeHash": code_hash(code), "expiresAt": {"$gt": now}})

    def use(self, invite, now):
        """Count one use if the invite is still good; the updated document or None (used up,
        expired or revoked meanwhile)."""
        from pymongo import ReturnDocument

        still_good = {"_id": invite["_id"], "expiresAt": {"$gt": now}}
        if invite["maxUses"] is None:
            update = {"$inc": {"uses": 1}}
        else:
            still_good["usesLeft"] = {"$gt": 0}
            update = {"$inc": {"uses": 1, "usesLeft": -1}}
        return self._invites.find_one_and_update(still_good, update, return_document=ReturnDocument.AFTER)

    def give_back(self, invite):
        """Undo one use (the join it was counted for did not happen)."""
        update = {"$inc": {"uses": -1}} if invite["maxUses"] is None else {"$inc": {"uses": -1, "usesLeft": 1}}
        self._invites.update_one({"_id": invite["_id"], "uses": {"$gt": 0}}, update)

    def of_group(self, group_id, now, after=None, limit=50):
        """Up to `limit` unexpired invites of the group, in id order after `after`."""
        query = {"groupId": group_id, "expiresAt": {"$gt": now}}
        if after is not None:
            query["_id"] = {"$gt": after}
        return list(self._invites.find(query).sort("_id", 1).limit(limit))

    def revoke(self, group_id, invite_id=None, code=None):
        """Delete the group's invite named by id or by code; True if there was one."""
        query = {"groupId": group_id}
        if invite_id is not None:
            query["_id"] = invite_id
        else:
            query["codeHash"] = code_hash(code)
        return self._invites.delete_one(query).deleted_count == 1
