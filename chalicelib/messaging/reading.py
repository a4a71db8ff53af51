"""Turning stored messages into what a member sees: text opened, tombstones left closed, and
the viewer's own reactions marked, for one message or a whole page at once."""
import logging

from chalicelib.crypto.cipher import Unreadable, message_aad, open_sealed
from chalicelib.crypto.keyring import KeyMissing
from chalicelib.media.sealing import names_key_version, open_message_attachments
from chalicelib.messaging.views import message_view

log = logging.getLogger("messaging.messages")


def open_view(keyring, message, keys=None, mine=frozenset()):
    """The message as a member sees it; its text None (and `undecryptable`) if it fails to open.

    A deleted message has nothing left to open. `keys` memoises key lookups across the
    messages of one request; `mine` is the set of emoji the viewer reacted with.
    """
    if message.get("deleted"):
        return message_view(message, None)
    keys = {} if keys is None else keys
    key_ref = (message["conversationId"], message["keyVersion"])
    try:
        if key_ref not in keys:
            keys[key_ref] = keyring.key(*key_ref)
        aad = message_aad(conversation_id=message["conversationId"], message_id=message["_id"],
                          sender_id=message["senderId"], key_version=message["keyVersion"])
        text = open_sealed(keys[key_ref], message["nonce"], message["ciphertext"], aad)
    except (Unreadable, KeyMissing) as exc:
        log.error("message %s does not decrypt: %s", message["_id"], type(exc).__name__)
        return {**message_view(message, None, mine=mine), "undecryptable": True}
    return message_view(message, text, attachments_of(keyring, message, keys), mine)


def attachments_of(keyring, message, keys=None):
    """A message's attachments with their names opened (None when it has none)."""
    version = names_key_version(message)
    if version is None:
        return None
    keys = {} if keys is None else keys
    key_ref = (message["conversationId"], version)
    try:
        if key_ref not in keys:
            keys[key_ref] = keyring.key(*key_ref)
        key = keys[key_ref]
    except KeyMissing:
        key = None
    return open_message_attachments(key, message)


def reactions_of(reactions, viewer_id, messages):
    """{messageId: {emoji}} of the viewer's reactions to `messages`: one indexed read, and
    none at all when no message among them has a reaction (or there is no store)."""
    reacted = [message["_id"] for message in messages if message.get("reactionKinds")]
    if reactions is None or viewer_id is None or not reacted:
        return {}
    return reactions.mine(viewer_id, reacted)
