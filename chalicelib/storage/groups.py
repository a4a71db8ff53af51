"""The `groups` collection.

Document: {_id, name, nameLower, type: "open"|"private", ownerId, rejoinCooldownSeconds,
memberCount, historyVisibility: "shared"|"joined", createdAt, updatedAt} (a group from
before historyVisibility existed has none: "shared"). The owner is `ownerId` here (the single source of
truth); memberships live in their own collection so that groups can grow without bound.

`memberCount` is derived: the membership use cases `$inc` it right after the one atomic
membership change that added or removed a member (the change's precondition says whether
one did, so concurrent changes count each member once). A process dying between the two
leaves it off by one; `MembershipStore.count_members` is the true count to repair it from.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once

OPEN = "open"
PRIVATE = "private"
SHARED_HISTORY = "shared"
JOINED_HISTORY = "joined"
# Sorts after every character a name can hold: the upper bound of a prefix range.
_HIGHEST_CHARACTER = "\U0010ffff"


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

    def get_read(self, group_id):
        """`get` as a Read (storage.batch.read_together)."""
        from chalicelib.storage.batch import Read

        return Read(self._groups, [{"$match": {"_id": group_id}}, {"$limit": 1}])

    def by_ids(self, group_ids):
        """The groups among `group_ids`, keyed by id (unknown ids are simply absent)."""
        return {group["_id"]: group for group in self._groups.find({"_id": {"$in": list(group_ids)}})}

    def create(self, *, group_id, name, group_type, owner_id, rejoin_cooldown_seconds, now,
               history_visibility=SHARED_HISTORY):
        """Insert a new group with its owner counted as its one member."""
        document = {
            "_id": group_id,
            "name": name,
            "nameLower": name.casefold(),
            "type": group_type,
            "ownerId": owner_id,
            "rejoinCooldownSeconds": rejoin_cooldown_seconds,
            "memberCount": 1,
            "historyVisibility": history_visibility,
            "createdAt": now,
            "updatedAt": now,
        }
        self._groups.insert_one(document)
        return document

    def update(self, group_id, owner_id, now, *, name=None, rejoin_cooldown_seconds=None, history_visibility=None):
        """Change settings if `owner_id` still owns the group; the new document or None."""
        from pymongo import ReturnDocument

        fields = {"updatedAt": now}
        if name is not None:
            fields.update(name=name, nameLower=name.casefold())
        if rejoin_cooldown_seconds is not None:
            fields["rejoinCooldownSeconds"] = rejoin_cooldown_seconds
        if history_visibility is not None:
            fields["historyVisibility"] = history_visibility
        return self._groups.find_one_and_update(
            {"_id": group_id, "ownerId": owner_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )

    def change_owner(self, group_id, from_owner_id, to_owner_id, now):
        """Hand ownership on if `from_owner_id` still owns the group; the new document or None."""
        from pymongo import ReturnDocument

        return self._groups.find_one_and_update(
            {"_id": group_id, "ownerId": from_owner_id},
            {"$set": {"ownerId": to_owner_id, "updatedAt": now}},
            return_document=ReturnDocument.AFTER,
        )

    def count_member(self, group_id, delta):
        """Add `delta` (+1 or -1) to the derived memberCount."""
        self._groups.update_one({"_id": group_id}, {"$inc": {"memberCount": delta}})

    def discover(self, prefix="", after=None, limit=20):
        """Open groups whose name starts with `prefix` (case-insensitively), by name.

        `after` is the (nameLower, _id) of the last group of the previous page. The
        prefix is a range on the `discover` index, so no regular expression is involved.
        """
        query = {"type": OPEN}
        lowered = prefix.casefold()
        if lowered:
            query["nameLower"] = {"$gte": lowered, "$lt": lowered + _HIGHEST_CHARACTER}
        if after is not None:
            last_name, last_id = after
            query["$or"] = [
                {"nameLower": {"$gt": last_name}},
                {"nameLower": last_name, "_id": {"$gt": last_id}},
            ]
        cursor = self._groups.find(query).sort([("nameLower", 1), ("_id", 1)]).limit(limit)
        return list(cursor)
