"""AES-128-GCM for message text: seal and open with associated data. Pure; no I/O.

Every message is sealed under its conversation's data key with a fresh random 96-bit
nonce. The associated data (AAD) names the conversation, the message id, the sender and
the key version, so a ciphertext copied onto another message, another conversation or
another sender fails authentication instead of decrypting.
"""
import os
import struct

KEY_BYTES = 16  # AES-128
NONCE_BYTES = 12  # 96 bits, GCM's native nonce size
TAG_BYTES = 16
_AAD_LABEL = b"secure-messaging/message/v1"
_EVENT_AAD_LABEL = b"secure-messaging/fanout-event/v1"


class Unreadable(Exception):
    """A ciphertext failed authentication (wrong key, nonce, AAD, or altered bytes)."""


def seal(key, text, associated_data):
    """(nonce, ciphertext-with-tag) for `text` under `key`, bound to `associated_data`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, text.encode("utf-8"), associated_data)


def open_sealed(key, nonce, ciphertext, associated_data):
    """The text sealed by `seal`; Unreadable if anything about it is not exactly right."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    _check_key(key)
    if len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
        raise Unreadable("malformed ciphertext")
    try:
        plaintext = AESGCM(key).decrypt(bytes(nonce), bytes(ciphertext), associated_data)
    except InvalidTag:
        raise Unreadable("authentication failed") from None
    return plaintext.decode("utf-8")


def message_aad(*, conversation_id, message_id, sender_id, key_version):
    """The associated data binding a message's ciphertext to where it belongs.

    Each field is length-prefixed, so no two different field lists encode the same bytes.
    """
    return _length_prefixed(_AAD_LABEL, conversation_id, message_id, sender_id, str(key_version))


def event_aad(*, conversation_id, key_version):
    """The associated data of an event's message sealed for the fan-out queue (never stored
    with messages: a queued copy cannot pass for a stored message, nor the other way round)."""
    return _length_prefixed(_EVENT_AAD_LABEL, conversation_id, str(key_version))


def _length_prefixed(label, *fields):
    parts = [label]
    for field in fields:
        encoded = field.encode("utf-8")
        parts.append(struct.pack(">I", len(encoded)))
        parts.append(encoded)
    return b"".join(parts)


def labelled_aad(label, *fields):
    """Associated data for another kind of sealed text (attachment names, ...): `label` keeps
    the kinds apart, and each field is length-prefixed as in message_aad."""
    parts = [label]
    for field in fields:
        encoded = field.encode("utf-8")
        parts.append(struct.pack(">I", len(encoded)))
        parts.append(encoded)
    return b"".join(parts)


def _check_key(key):
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"An AES-128 key is {KEY_BYTES} bytes.")
