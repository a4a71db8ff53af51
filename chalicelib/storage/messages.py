"""The `messages` collection: one document per message, its text only as ciphertext.

Document: {_id, conversationId, seq, senderId, senderEmail, senderName?, createdAt, keyVersion,
nonce (12 bytes), ciphertext (AES-GCM output with tag), clientMessageId?, clientTimestamp?,
replyTo?, mentions?} and, once it changed (chalicelib/messaging/lifecycle.py): editedAt?,
updatedAt, changes (how many times it changed; the view's `version` is 1 + changes),
reactions? ({emoji: count}, in first-reacted order), reactionKinds? (how many emoji), and for
a deleted message deleted: true, deletedAt, deletedBy, with the ciphertext, nonce, key
version, attachments (and their sealed names), replies, mentions and reactions unset (really gone, not hidden).

`seq` numbers a conversation's messages 1, 2, 3, ... without gaps. A writer inserts with
the next free number under a unique (conversationId, seq) index; if another writer took
that number first, the insert fails as a whole and the writer tries the next one. No
number is handed out before the insert that uses it succeeds, so no failure anywhere
(database, key service, a crashed Lambda) can leave a gap.

A message sent with a clientMessageId has an id derived from (conversation, sender,
clientMessageId), so a retry collides with the first attempt on `_id` and gets the
stored message back instead of a copy.
"""
import base64
import hashlib
import random
import time

from chalicelib.core.errors import Unavailable
from chalicelib.storage.mongo import database, ensure_indexes_once

MAX_APPEND_ATTEMPTS = 40


def idempotent_message_id(conversation_id, sender_id, client_message_id):
    """The id every send of the same clientMessageId gets (22 URL-safe characters)."""
    digest = hashlib.sha256(f"message\n{conversation_id}\n{sender_id}\n{client_message_id}".encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


class MessageStore:
    def __init__(self, db):
        self._messages = db["messages"]
        ensure_indexes_once("messages", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._messages.create_index([("conversationId", 1), ("seq", 1)], unique=True, name="conversation_seq")
        self._messages.create_index([("conversationId", 1), ("updatedAt", 1), ("_id", 1)], name="conversation_changes")
        self._messages.create_index("senderId", name="sender")  # finds a deleted account's messages

    def append(self, message, next_seq_hint):
        """Store `message` under the next free seq: (stored document, True), or (first, False)
        if a message with its id is already stored (a retried send)."""
        from pymongo.errors import DuplicateKeyError

        seq = max(1, next_seq_hint)
        for attempt in range(MAX_APPEND_ATTEMPTS):
            document = {**message, "seq": seq}
            try:
                self._messages.insert_one(document)
                return document, True
            except DuplicateKeyError:
                existing = self.get(message["_id"], message["conversationId"])
                if existing is not None:
                    return existing, False
                # The number was taken (the hint was stale, or another sender won): use the next.
                seq = self.last_seq(message["conversationId"]) + 1
                if attempt:
                    time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        raise Unavailable("This conversation is too busy right now; try again.", "conversation_busy")

    def get(self, message_id, conversation_id=None):
        """The message (None if it is not there, or not in `conversation_id` when that is given:
        callers that know the conversation name it, the shard key, see SHARD_KEY)."""
        return self._messages.find_one(_by_id(message_id, conversation_id))

    def last_seq(self, conversation_id):
        """The highest seq stored in a conversation (0 when it has none)."""
        found = self._messages.find({"conversationId": conversation_id}, {"seq": 1}).sort("seq", -1).limit(1)
        latest = next(iter(found), None)
        return latest["seq"] if latest else 0

    def page(self, conversation_id, *, limit, before=None, after=None, since=None):
        """(messages oldest first, more exist beyond the page?).

        With `after`: the oldest messages with seq > after (and < before, if given: the
        messages between the two). Otherwise the newest with seq < before (or the newest of all).
        With `since`, only messages created at or after it (a group's "joined" history visibility).
        """
        floor = {} if since is None else {"createdAt": {"$gte": since}}
        query, order = _page_query(conversation_id, before, after)
        found = list(self._messages.find({**query, **floor}).sort("seq", order).limit(limit + 1))
        return _paged(found, limit, order)

    def page_read(self, conversation_id, *, limit, before=None, after=None, since=None):
        """`page` as a Read (storage.batch.read_together), decoded as `page` answers. `since` is
        an aggregation expression over the batch's earlier reads here (a "joined" group's
        floor, computed from the membership and the group read before it); null: no floor."""
        from chalicelib.storage.batch import Read

        query, order = _page_query(conversation_id, before, after)
        pipeline = [{"$match": query}]
        if since is not None:
            pipeline.append({"$match": {"$expr": {"$or": [{"$eq": ["$$since", None]},
                                                          {"$gte": ["$createdAt", "$$since"]}]}}})
        pipeline += [{"$sort": {"seq": order}}, {"$limit": limit + 1}]
        return Read(self._messages, pipeline, decode=lambda found: _paged(found, limit, order),
                    let={"since": since} if since is not None else {})

    def count_since(self, conversation_id, since, after_seq):
        """How many messages of the conversation are created at or after `since` with seq > after_seq."""
        return self._messages.count_documents(
            {"conversationId": conversation_id, "seq": {"$gt": after_seq}, "createdAt": {"$gte": since}}
        )

    def by_ids(self, message_ids):
        return {found["_id"]: found for found in self._messages.find({"_id": {"$in": list(message_ids)}})}

    def delete_conversation(self, conversation_id):
        return self._messages.delete_many({"conversationId": conversation_id}).deleted_count

    # Lifecycle: every change below is one atomic update that bumps `changes` and `updatedAt`,
    # and returns the document as it is right after it (None when its precondition failed).

    def replace_text(self, message_id, sender_id, key_version, nonce, ciphertext, now, conversation_id=None):
        """An edit by the sender of a message that is not deleted."""
        return self._change({**_by_id(message_id, conversation_id), "senderId": sender_id, "deleted": {"$ne": True}}, {
            "$set": {"keyVersion": key_version, "nonce": nonce, "ciphertext": ciphertext, "editedAt": now},
        }, now)

    def tombstone(self, message_id, deleted_by, now, conversation_id=None):
        """Delete a message's content for good; the slot (id, seq, sender, times) stays."""
        return self._change({**_by_id(message_id, conversation_id), "deleted": {"$ne": True}}, {
            "$set": {"deleted": True, "deletedAt": now, "deletedBy": deleted_by},
            "$unset": {name: "" for name in _CONTENT_FIELDS},
        }, now)

    def count_reaction(self, message_id, emoji, delta, now, max_kinds, seen=False, conversation_id=None):
        """Add (+1) or take (-1) one `emoji` from a live message's counts; None if the message
        is gone or deleted, or (adding a new emoji) it already has `max_kinds` kinds. `seen`
        says whether the emoji was on the message when last read (which step to try first)."""
        field = f"reactions.{emoji}"
        live = {**_by_id(message_id, conversation_id), "deleted": {"$ne": True}}
        room = {"$or": [{"reactionKinds": {"$exists": False}}, {"reactionKinds": {"$lt": max_kinds}}]}
        steps = [({**live, field: {"$gt": 0}}, {"$inc": {field: 1}}),
                 ({**live, field: {"$exists": False}, **room}, {"$set": {field: 1}, "$inc": {"reactionKinds": 1}})]
        if not seen:
            steps.reverse()
        for _ in range(3):  # each step's filter is its precondition; a lost race tries the other step
            if delta > 0:
                found = self._change(*steps[0], now) or self._change(*steps[1], now)
            else:
                found = self._change({**live, field: {"$gt": 1}}, {"$inc": {field: -1}}, now)
                if found is None:
                    found = self._change({**live, field: 1}, {"$unset": {field: ""}, "$inc": {"reactionKinds": -1}},
                                         now)
            if found is not None:
                return found
        return None

    def changed_since(self, conversation_id, since, limit, created_since=None, seq_after=None, seq_before=None):
        """(messages changed after the cursor `since` = (updatedAt, _id), in change order, more?);
        with `created_since`, only messages created at or after it; with `seq_after`/`seq_before`,
        only messages whose seq is above/below them."""
        at, after_id = since
        query = {"conversationId": conversation_id,
                 "$or": [{"updatedAt": {"$gt": at}}, {"updatedAt": at, "_id": {"$gt": after_id}}]}
        if created_since is not None:
            query["createdAt"] = {"$gte": created_since}
        seq = {**({"$gt": seq_after} if seq_after is not None else {}),
               **({"$lt": seq_before} if seq_before is not None else {})}
        if seq:
            query["seq"] = seq
        found = list(self._messages.find(query).sort([("updatedAt", 1), ("_id", 1)]).limit(limit + 1))
        return found[:limit], len(found) > limit

    def forget_sender(self, sender_id):
        """Show `sender_id`'s messages as a deleted user's: drop the email, keep the text for the
        others (a deleted account's email may belong to someone else later)."""
        self._messages.update_many({"senderId": sender_id}, {"$set": {"senderEmail": None, "senderDeleted": True},
                                                                     "$unset": {"senderName": ""}})

    def _change(self, query, update, now):
        from pymongo import ReturnDocument

        update = {**update, "$set": {**update.get("$set", {}), "updatedAt": now},
                  "$inc": {**update.get("$inc", {}), "changes": 1}}
        return self._messages.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)


# What a deleted message no longer has (its text's ciphertext and everything it carried).
_CONTENT_FIELDS = ("ciphertext", "nonce", "keyVersion", "attachments", "attachmentNames", "replyTo", "mentions",
                   "reactions", "reactionKinds", "editedAt")


def _page_query(conversation_id, before, after):
    """A page's filter and its order: the oldest after `after` (ascending), else the newest before `before`."""
    if after is not None:
        seq = {"$gt": after} if before is None else {"$gt": after, "$lt": before}
        return {"conversationId": conversation_id, "seq": seq}, 1
    query = {"conversationId": conversation_id}
    if before is not None:
        query["seq"] = {"$lt": before}
    return query, -1


def _paged(found, limit, order):
    """(the page oldest first, more beyond it?) from `limit` + 1 documents found in `order`."""
    page = found[:limit]
    return (page if order == 1 else list(reversed(page))), len(found) > limit


def _by_id(message_id, conversation_id=None):
    """A message's filter by id, with its conversation (the shard key) when the caller knows it."""
    return {"_id": message_id} if conversation_id is None else {"_id": message_id, "conversationId": conversation_id}
