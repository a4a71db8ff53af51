"""The `conversations` collection: one small document per conversation, group or 1:1.

Document: {_id, kind: "group"|"direct", participants: [userId, userId] (direct only, sorted),
createdAt, lastSeq, lastMessageId?, lastMessageAt?}. Messages live in `messages`, never in
here, so this document stays the same size however long the conversation runs.

A group's conversation has the group's id and is created with its first message. A 1:1
conversation's id is derived from the sorted pair of user ids, so both people, asking in
either order and at the same moment, find the one same document.
"""
import base64
import hashlib
import time

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Unavailable
from chalicelib.storage.mongo import database, ensure_indexes_once

GROUP = "group"
DIRECT = "direct"
DIRECT_PREFIX = "dm_"
_ENSURE_ATTEMPTS = 5


def direct_conversation_id(user_a, user_b):
    """The id of the 1:1 conversation between two users, whichever order they come in."""
    first, second = sorted((user_a, user_b))
    digest = hashlib.sha256(f"direct\n{first}\n{second}".encode("utf-8")).digest()
    return DIRECT_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_direct_id(conversation_id):
    """True for ids of 1:1 conversations (46 characters; group ids are 22)."""
    return conversation_id.startswith(DIRECT_PREFIX) and len(conversation_id) == 46


class ConversationStore:
    def __init__(self, db):
        self._conversations = db["conversations"]
        ensure_indexes_once("conversations", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._conversations.create_index([("participants", 1), ("lastMessageAt", -1)], name="participant_recent")

    def get(self, conversation_id):
        return self._conversations.find_one({"_id": conversation_id})

    def get_read(self, conversation_id):
        """`get` as a Read (storage.batch.read_together)."""
        from chalicelib.storage.batch import Read

        return Read(self._conversations, [{"$match": {"_id": conversation_id}}, {"$limit": 1}])

    def participant_ids(self, conversation_id):
        """The two participants of a 1:1 conversation (none for a group or an unknown id)."""
        found = self._conversations.find_one({"_id": conversation_id}, {"participants": 1})
        return list(found.get("participants", [])) if found else []

    def direct_ids_of(self, user_id, limit=1000):
        """The ids of the 1:1 conversations `user_id` takes part in (the most recent first)."""
        found = self._conversations.find({"participants": user_id}, {"_id": 1}).sort("lastMessageAt", -1).limit(limit)
        return [doc["_id"] for doc in found]

    def ensure_group(self, group_id):
        """The conversation document of a group, created if this is its first message."""
        return self._ensure(group_id, {"kind": GROUP})

    def ensure_direct(self, user_a, user_b):
        """The 1:1 conversation document of two users, created if they never talked."""
        participants = sorted((user_a, user_b))
        return self._ensure(direct_conversation_id(*participants), {"kind": DIRECT, "participants": participants})

    def record_message(self, conversation_id, seq, message_id, at):
        """Note a stored message as the latest, unless a later one is already noted."""
        self._conversations.update_one(
            {"_id": conversation_id, "lastSeq": {"$lt": seq}},
            {"$set": {"lastSeq": seq, "lastMessageId": message_id, "lastMessageAt": at}},
        )

    def recent_of(self, user_id, group_ids, limit):
        """Conversations with at least one message: the user's 1:1s and the given groups'."""
        query = {
            "$or": [{"participants": user_id}, {"_id": {"$in": list(group_ids)}}],
            "lastSeq": {"$gte": 1},
        }
        cursor = self._conversations.find(query).sort([("lastMessageAt", -1), ("_id", 1)]).limit(limit)
        return list(cursor)

    def last_seqs(self, user_ids, group_ids):
        """Every conversation with messages that is a 1:1 of `user_ids` or one of `group_ids`:
        [{_id, lastSeq, participants?}], in one query (for unread totals)."""
        query = {
            "$or": [{"participants": {"$in": list(user_ids)}}, {"_id": {"$in": list(group_ids)}}],
            "lastSeq": {"$gte": 1},
        }
        return list(self._conversations.find(query, {"lastSeq": 1, "participants": 1}))

    def delete(self, conversation_id):
        self._conversations.delete_one({"_id": conversation_id})

    def _ensure(self, conversation_id, fields):
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        for attempt in range(_ENSURE_ATTEMPTS):
            try:
                found = self._conversations.find_one_and_update(
                    {"_id": conversation_id},
                    {"$setOnInsert": {**fields, "createdAt": utcnow(), "lastSeq": 0}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                found = None
            # Two first messages at once, and the other upsert inserted it. (MongoDB answers
            # a DuplicateKeyError; the embedded server may answer None.) Read theirs.
            found = found or self.get(conversation_id)
            if found is not None:
                return found
            time.sleep(0.005 * (attempt + 1))
        raise Unavailable("The conversation could not be opened; try again.", "conversation_busy")
