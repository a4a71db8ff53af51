"""The `conversation_keys` collection: each conversation's data keys, wrapped by KMS.

Document: {_id: "<conversationId>:<version>", conversationId, version, wrappedKey (binary,
KMS ciphertext), masterKeyId (the ARN of the KMS key that wrapped it), createdAt}.
Versions start at 1 and grow by one per rotation; the highest is the current key. A
plaintext key is never stored. Deleting a conversation's documents shreds its messages.
"""
from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once


def key_id(conversation_id, version):
    return f"{conversation_id}:{version}"


class ConversationKeyStore:
    def __init__(self, db):
        self._keys = db["conversation_keys"]
        ensure_indexes_once("conversation_keys", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._keys.create_index([("conversationId", 1), ("version", -1)], name="conversation_version")

    def latest(self, conversation_id):
        """The current (highest-version) key document of a conversation, or None."""
        found = self._keys.find({"conversationId": conversation_id}).sort("version", -1).limit(1)
        return next(iter(found), None)

    def latest_read(self, conversation_id):
        """`latest` as a Read (storage.batch.read_together)."""
        from chalicelib.storage.batch import Read

        return Read(self._keys, [{"$match": {"conversationId": conversation_id}}, {"$sort": {"version": -1}},
                                 {"$limit": 1}])

    def versions_read(self, conversation_id, versions):
        """The documents of the key versions in `versions` (an aggregation expression over the
        batch's earlier reads: the versions a page of messages names), as a Read decoded to
        {version: document} (storage.batch.read_together)."""
        from chalicelib.storage.batch import Read

        return Read(self._keys, [{"$match": {"conversationId": conversation_id}},
                                 {"$match": {"$expr": {"$in": ["$version", "$$versions"]}}}],
                    decode=lambda found: {doc["version"]: doc for doc in found}, let={"versions": versions})

    def get(self, conversation_id, version):
        return self._keys.find_one({"_id": key_id(conversation_id, version)})

    def add(self, conversation_id, version, wrapped_key, master_key_id):
        """Store a new key version; False if that version already exists (another writer won)."""
        from bson.binary import Binary
        from pymongo.errors import DuplicateKeyError

        try:
            self._keys.insert_one({
                "_id": key_id(conversation_id, version),
                "conversationId": conversation_id,
                "version": version,
                "wrappedKey": Binary(bytes(wrapped_key)),
                "masterKeyId": master_key_id,
                "createdAt": utcnow(),
            })
        except DuplicateKeyError:
            return False
        return True

    def delete_all(self, conversation_id):
        """Remove every key version of a conversation; the number removed."""
        return self._keys.delete_many({"conversationId": conversation_id}).deleted_count
