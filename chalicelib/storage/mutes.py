"""The `mutes` collection: conversations a user silenced on their devices.

Document: {_id: "<conversationId>:<userId>", conversationId, userId, until (None: until
unmuted), createdAt}. A TTL index removes a mute some time after it ends; until then the
`until` in the query decides, so an expired mute never silences anything.
"""
from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once


def mute_id(conversation_id, user_id):
    return f"{conversation_id}:{user_id}"


class MuteStore:
    def __init__(self, db):
        self._mutes = db["mutes"]
        ensure_indexes_once("mutes", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        # Documents without `until` (muted until unmuted) are never expired by the TTL monitor.
        self._mutes.create_index("until", expireAfterSeconds=0, name="until_ttl")
        self._mutes.create_index("userId", name="user")  # a deleted account's mutes

    def mute(self, conversation_id, user_id, until):
        """Mute until `until` (None: until unmuted); muting again replaces the end."""
        self._mutes.replace_one(
            {"_id": mute_id(conversation_id, user_id)},
            {"conversationId": conversation_id, "userId": user_id, "until": until, "createdAt": utcnow()},
            upsert=True,
        )

    def unmute(self, conversation_id, user_id):
        self._mutes.delete_one({"_id": mute_id(conversation_id, user_id)})

    def delete_user(self, user_id):
        """Forget every mute of `user_id` (a deleted account)."""
        self._mutes.delete_many({"userId": user_id})

    def muted_until(self, user_id, conversation_ids, now):
        """{conversationId: until (None: indefinitely)} for the user's mutes in force at `now`."""
        ids = [mute_id(conversation_id, user_id) for conversation_id in conversation_ids]
        if not ids:
            return {}
        found = self._mutes.find({"_id": {"$in": ids}, **_in_force(now)}, {"conversationId": 1, "until": 1})
        return {mute["conversationId"]: mute.get("until") for mute in found}

    def muted_users(self, conversation_id, user_ids, now):
        """The subset of `user_ids` who have `conversation_id` muted at `now`."""
        ids = [mute_id(conversation_id, user_id) for user_id in user_ids]
        if not ids:
            return set()
        return {mute["userId"] for mute in self._mutes.find({"_id": {"$in": ids}, **_in_force(now)}, {"userId": 1})}


def _in_force(now):
    return {"$or": [{"until": None}, {"until": {"$gt": now}}]}
