"""The `attachments` collection: one document per file a member asked to upload.

Document: {_id, conversationId, uploaderId, objectKey, contentType, size, createdAt,
keyVersion, nonce, ciphertext (the file's name, sealed under the conversation's key),
messageId? (set once the file is sent), claimToken?, pendingUntil? (until it is sent)}.

The bytes are in S3 under `objectKey`, never here. A record not yet sent carries
`pendingUntil`; a TTL index forgets it a day after upload, as the bucket's lifecycle rule
forgets the object. Sending claims records with one conditional update, so two messages
can never carry the same file.
"""
from datetime import timedelta

from chalicelib.storage.mongo import database, ensure_indexes_once

PENDING_DAYS = 1


class AttachmentStore:
    def __init__(self, db):
        self._attachments = db["attachments"]
        ensure_indexes_once("attachments", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._attachments.create_index("conversationId", name="conversation")
        self._attachments.create_index("pendingUntil", expireAfterSeconds=0, name="pending_ttl")

    def add(self, record):
        """Store a new, not yet sent attachment (`createdAt` set by the caller)."""
        document = {**record, "pendingUntil": record["createdAt"] + timedelta(days=PENDING_DAYS)}
        self._attachments.insert_one(document)
        return document

    def get(self, attachment_id):
        return self._attachments.find_one({"_id": attachment_id})

    def by_ids(self, attachment_ids):
        return {found["_id"]: found for found in self._attachments.find({"_id": {"$in": list(attachment_ids)}})}

    def claim(self, attachment_ids, *, uploader_id, conversation_id, message_id, token):
        """Mark these unsent attachments as sent in `message_id`, all under one `token`; how
        many it marked (fewer than asked: another send took one first, so release the token)."""
        result = self._attachments.update_many(
            {"_id": {"$in": list(attachment_ids)}, "uploaderId": uploader_id, "conversationId": conversation_id,
             "messageId": {"$exists": False}},
            {"$set": {"messageId": message_id, "claimToken": token}, "$unset": {"pendingUntil": ""}},
        )
        return result.modified_count

    def release(self, token, pending_until):
        """Undo a claim (its message was not stored): the attachments are unsent again."""
        self._attachments.update_many(
            {"claimToken": token},
            {"$unset": {"messageId": "", "claimToken": ""}, "$set": {"pendingUntil": pending_until}},
        )

    def object_keys(self, conversation_id, attachment_ids):
        """The S3 keys of these attachments of `conversation_id` (others are ignored)."""
        found = self._attachments.find({"_id": {"$in": list(attachment_ids)}, "conversationId": conversation_id},
                                       {"objectKey": 1})
        return [document["objectKey"] for document in found]

    def delete(self, conversation_id, attachment_ids):
        return self._attachments.delete_many(
            {"_id": {"$in": list(attachment_ids)}, "conversationId": conversation_id}).deleted_count

    def delete_conversation(self, conversation_id):
        return self._attachments.delete_many({"conversationId": conversation_id}).deleted_count
