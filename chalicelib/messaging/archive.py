"""Export and re-import one conversation: its wrapped keys, sealed messages and read markers
(and, for a group, the group and its membership records), for recovery into another stage.

Nothing is decrypted on the way: keys leave as KMS ciphertext and messages as AES-GCM
ciphertext, so an archive is only readable where the same KMS key can unwrap its data keys
(docs/operations.md, "Recovery"). Importing is idempotent (every document is written by its
_id), so an interrupted import is simply run again.
"""
from chalicelib.core.errors import NotFound
from chalicelib.storage.conversations import GROUP

FORMAT = "secure-messaging.conversation-archive/1"
# Collection -> the field that ties its documents to the conversation.
_PARTS = {
    "conversations": "_id",
    "conversation_keys": "conversationId",
    "messages": "conversationId",
    "read_markers": "conversationId",
}
_GROUP_PARTS = {"groups": "_id", "memberships": "groupId"}


class ConversationArchive:
    def __init__(self, db):
        self._db = db

    def export(self, conversation_id):
        """Every stored document of the conversation, by collection, as an archive dict."""
        conversation = self._db["conversations"].find_one({"_id": conversation_id})
        if conversation is None:
            raise NotFound("There is no such conversation.", "conversation_not_found")
        parts = dict(_PARTS)
        if conversation["kind"] == GROUP:
            parts.update(_GROUP_PARTS)
        collections = {
            name: list(self._db[name].find({field: conversation_id}).sort("_id", 1))
            for name, field in parts.items()
        }
        return {"format": FORMAT, "conversationId": conversation_id, "collections": collections}

    def restore(self, archive):
        """Write every document of `archive` into this database; {collection: count} written.

        The whole archive is checked before anything is written: a file that is not one
        conversation's (another collection, a document of another conversation) changes nothing.
        """
        if archive.get("format") != FORMAT:
            raise ValueError(f"not a conversation archive of format {FORMAT}")
        allowed = {**_PARTS, **_GROUP_PARTS}
        for name, documents in archive["collections"].items():
            if name not in allowed:
                raise ValueError(f"an archive cannot write to {name}")
            if any(document.get(allowed[name]) != archive["conversationId"] for document in documents):
                raise ValueError(f"a {name} document belongs to another conversation")
        written = {}
        for name, documents in archive["collections"].items():
            for document in documents:
                self._db[name].replace_one({"_id": document["_id"]}, document, upsert=True)
            written[name] = len(documents)
        return written


def dumps(archive):
    """The archive as MongoDB Extended JSON (binary keys and ciphertexts kept exactly)."""
    from bson import json_util

    return json_util.dumps(archive, json_options=json_util.CANONICAL_JSON_OPTIONS, indent=1)


def loads(text):
    from bson import json_util

    return json_util.loads(text, json_options=json_util.CANONICAL_JSON_OPTIONS)
