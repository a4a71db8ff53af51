"""Attachment names inside the encryption boundary: a file's name is user text, so it is
sealed under its conversation's key like a message's text, never stored in the clear.

An unsent attachment's record holds its name sealed to (conversation, attachment id, key
version). A message holds its attachments' names sealed together to (conversation, message
id, key version, attachment ids), under the key version it records beside them, so a later
re-seal of the text under another version leaves them readable. Pure; no I/O.
"""
import json

from chalicelib.crypto.cipher import Unreadable, labelled_aad, open_sealed, seal

_NAME_LABEL = b"secure-messaging/attachment-name/v1"
_MESSAGE_LABEL = b"secure-messaging/message-attachments/v1"


def seal_name(key, version, conversation_id, attachment_id, name):
    """The fields of an attachment record that carry its sealed name."""
    nonce, ciphertext = seal(key, name, _name_aad(conversation_id, attachment_id, version))
    return {"keyVersion": version, "nonce": nonce, "ciphertext": ciphertext}


def open_name(key, record):
    """An attachment record's name; Unreadable if it does not authenticate."""
    aad = _name_aad(record["conversationId"], record["_id"], record["keyVersion"])
    return open_sealed(key, record["nonce"], record["ciphertext"], aad)


def message_fields(key, version, conversation_id, message_id, attachments):
    """What a message document stores of `attachments` ({id, name, contentType, size} each):
    the list without names, and the names sealed together."""
    ids = [attachment["id"] for attachment in attachments]
    names = json.dumps([attachment["name"] for attachment in attachments], ensure_ascii=False)
    nonce, ciphertext = seal(key, names, _message_aad(conversation_id, message_id, version, ids))
    return {
        "attachments": [{"id": a["id"], "contentType": a["contentType"], "size": a["size"]} for a in attachments],
        "attachmentNames": {"keyVersion": version, "nonce": nonce, "ciphertext": ciphertext},
    }


def names_key_version(message):
    """The key version a message's attachment names are sealed under (None if it has none)."""
    sealed = message.get("attachmentNames")
    return sealed["keyVersion"] if sealed else None


def open_message_attachments(key, message):
    """A message's attachments as members see them; each name None if `key` is None (gone)
    or the names do not authenticate."""
    entries = message.get("attachments") or []
    names = [None] * len(entries)
    sealed = message.get("attachmentNames")
    if key is not None and sealed:
        aad = _message_aad(message["conversationId"], message["_id"], sealed["keyVersion"],
                           [entry["id"] for entry in entries])
        try:
            opened = json.loads(open_sealed(key, sealed["nonce"], sealed["ciphertext"], aad))
            if isinstance(opened, list) and len(opened) == len(entries):
                names = opened
        except (Unreadable, ValueError):
            pass
    return [{"id": entry["id"], "name": name, "contentType": entry["contentType"], "size": entry["size"]}
            for entry, name in zip(entries, names)]


def _name_aad(conversation_id, attachment_id, version):
    return labelled_aad(_NAME_LABEL, conversation_id, attachment_id, str(version))


def _message_aad(conversation_id, message_id, version, attachment_ids):
    return labelled_aad(_MESSAGE_LABEL, conversation_id, message_id, str(version), *attachment_ids)
