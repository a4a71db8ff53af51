"""The `read_markers` collection: how far each person has read each conversation.

Document: {_id: "<conversationId>:<userId>", conversationId, userId, readSeq, updatedAt}.
A marker only moves forward ($max), so a late or repeated "read up to" never un-reads.
"""
import time

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Unavailable
from chalicelib.storage.mongo import database, ensure_indexes_once


def marker_id(conversation_id, user_id):
    return f"{conversation_id}:{user_id}"


class ReadMarkerStore:
    def __init__(self, db):
        self._markers = db["read_markers"]
        ensure_indexes_once("read_markers", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._markers.create_index("conversationId", name="conversation")
        self._markers.create_index("userId", name="user")

    def mark(self, conversation_id, user_id, seq):
        """Move the user's marker up to `seq` (never back); the marker's seq afterwards."""
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        update = {
            "$max": {"readSeq": seq},
            "$set": {"updatedAt": utcnow()},
            "$setOnInsert": {"conversationId": conversation_id, "userId": user_id},
        }
        for attempt in range(5):
            try:
                marker = self._markers.find_one_and_update(
                    {"_id": marker_id(conversation_id, user_id)},
                    update,
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                marker = None
            if marker is not None:
                return marker["readSeq"]
            # A concurrent first mark inserted it (MongoDB answers DuplicateKeyError, the
            # embedded server may answer None): apply ours to that one.
            time.sleep(0.005 * (attempt + 1))
        raise Unavailable("The read marker could not be saved; try again.", "conversation_busy")

    def of_conversation(self, conversation_id, after=None, limit=50):
        """Up to `limit` markers of `conversation_id`, in user id order after user `after`.
        Marker ids are "<conversationId>:<userId>", so the _id index serves the range."""
        low = marker_id(conversation_id, after if after is not None else "")
        high = f"{conversation_id};"  # ";" sorts right after ":": past every marker of the conversation
        query = {"_id": {"$gt": low, "$lt": high}}
        return list(self._markers.find(query).sort("_id", 1).limit(limit))

    def read_seqs(self, user_id, conversation_ids):
        """{conversationId: readSeq} for the user's markers among `conversation_ids`."""
        ids = [marker_id(conversation_id, user_id) for conversation_id in conversation_ids]
        return {found["conversationId"]: found["readSeq"] for found in self._markers.find({"_id": {"$in": ids}})}

    def read_seqs_of_pairs(self, pairs):
        """{(conversationId, userId): readSeq} for the markers among `pairs`, in one query."""
        ids = [marker_id(conversation_id, user_id) for conversation_id, user_id in pairs]
        if not ids:
            return {}
        found = self._markers.find({"_id": {"$in": ids}}, {"conversationId": 1, "userId": 1, "readSeq": 1})
        return {(marker["conversationId"], marker["userId"]): marker["readSeq"] for marker in found}

    def delete_conversation(self, conversation_id):
        self._markers.delete_many({"conversationId": conversation_id})

    def delete_user(self, user_id):
        """Forget every marker of `user_id` (a deleted account)."""
        self._markers.delete_many({"userId": user_id})
