"""The `reactions` collection: who reacted to which message with which emoji.

Document: {_id: "<messageId>:<userId>:<emoji>", messageId, conversationId, userId, emoji, at}.
The `_id` makes a reaction unique per (message, user, emoji), so adding one twice is a
duplicate key, not a second reaction. The counts people see are kept on the message itself
(`messages.reactions`, see chalicelib/storage/messages.py); this collection answers "which
of these did I react to?" for a whole history page in one indexed read.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once


def reaction_id(message_id, user_id, emoji):
    return f"{message_id}:{user_id}:{emoji}"


class ReactionStore:
    def __init__(self, db):
        self._reactions = db["reactions"]
        ensure_indexes_once("reactions", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._reactions.create_index([("userId", 1), ("messageId", 1)], name="user_message")
        self._reactions.create_index("messageId", name="message")
        self._reactions.create_index("conversationId", name="conversation")

    def add(self, conversation_id, message_id, user_id, emoji, now):
        """Record the reaction; False if the user already reacted so (nothing changes)."""
        from pymongo.errors import DuplicateKeyError

        try:
            self._reactions.insert_one({
                "_id": reaction_id(message_id, user_id, emoji), "messageId": message_id,
                "conversationId": conversation_id, "userId": user_id, "emoji": emoji, "at": now,
            })
        except DuplicateKeyError:
            return False
        return True

    def remove(self, message_id, user_id, emoji):
        """Take the reaction back; False if there was none."""
        return self._reactions.delete_one({"_id": reaction_id(message_id, user_id, emoji)}).deleted_count == 1

    def mine(self, user_id, message_ids):
        """{messageId: {emoji, ...}} of `user_id`'s reactions to any of `message_ids` (one read)."""
        found = {}
        query = {"userId": user_id, "messageId": {"$in": list(message_ids)}}
        for reaction in self._reactions.find(query, {"messageId": 1, "emoji": 1}):
            found.setdefault(reaction["messageId"], set()).add(reaction["emoji"])
        return found

    def delete_of_message(self, message_id):
        return self._reactions.delete_many({"messageId": message_id}).deleted_count

    def delete_conversation(self, conversation_id):
        return self._reactions.delete_many({"conversationId": conversation_id}).deleted_count
