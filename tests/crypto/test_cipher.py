"""AES-128-GCM sealing: round trips, and every kind of tampering fails closed."""
import os

import pytest

from chalicelib.crypto.cipher import (
    KEY_BYTES,
    NONCE_BYTES,
    Unreadable,
    message_aad,
    open_sealed,
    seal,
)

KEY = bytes(range(KEY_BYTES))
AAD = message_aad(conversation_id="conv-1", message_id="msg-1", sender_id="user-1", key_version=1)


def test_round_trip_keeps_unicode_text():
    text = "Grüße 👋 — line\nbreak"
    nonce, ciphertext = seal(KEY, text, AAD)
    assert open_sealed(KEY, nonce, ciphertext, AAD) == text


def test_ciphertext_does_not_contain_the_text():
    nonce, ciphertext = seal(KEY, "PLAINTEXT-MARKER", AAD)
    assert b"PLAINTEXT-MARKER" not in ciphertext
    assert len(nonce) == NONCE_BYTES


def test_each_seal_uses_a_fresh_nonce():
    nonces = {seal(KEY, "same text", AAD)[0] for _ in range(50)}
    assert len(nonces) == 50


def test_wrong_key_fails():
    nonce, ciphertext = seal(KEY, "hello", AAD)
    with pytest.raises(Unreadable):
        open_sealed(os.urandom(KEY_BYTES), nonce, ciphertext, AAD)


def test_swapped_nonce_fails():
    nonce_a, ciphertext_a = seal(KEY, "first", AAD)
    nonce_b, _ = seal(KEY, "second", AAD)
    with pytest.raises(Unreadable):
        open_sealed(KEY, nonce_b, ciphertext_a, AAD)


def test_flipped_ciphertext_bit_fails():
    nonce, ciphertext = seal(KEY, "hello", AAD)
    altered = bytes([ciphertext[0] ^ 0x01]) + ciphertext[1:]
    with pytest.raises(Unreadable):
        open_sealed(KEY, nonce, altered, AAD)


def test_truncated_ciphertext_fails():
    nonce, ciphertext = seal(KEY, "hello", AAD)
    with pytest.raises(Unreadable):
        open_sealed(KEY, nonce, ciphertext[:5], AAD)


@pytest.mark.parametrize(
    "changed",
    [
        {"conversation_id": "conv-2"},
        {"message_id": "msg-2"},
        {"sender_id": "user-2"},
        {"key_version": 2},
    ],
    ids=["other-conversation", "other-message", "other-sender", "other-key-version"],
)
def test_ciphertext_bound_elsewhere_fails(changed):
    nonce, ciphertext = seal(KEY, "hello", AAD)
    fields = {"conversation_id": "conv-1", "message_id": "msg-1", "sender_id": "user-1", "key_version": 1}
    with pytest.raises(Unreadable):
        open_sealed(KEY, nonce, ciphertext, message_aad(**{**fields, **changed}))


def test_aad_fields_cannot_be_shifted_into_each_other():
    # Without length prefixes "ab"+"c" and "a"+"bc" would encode the same bytes.
    first = message_aad(conversation_id="ab", message_id="c", sender_id="u", key_version=1)
    second = message_aad(conversation_id="a", message_id="bc", sender_id="u", key_version=1)
    assert first != second


@pytest.mark.parametrize("bad_key", [b"short", bytes(32), "a string key of 16"])
def test_only_aes_128_keys_are_accepted(bad_key):
    with pytest.raises(ValueError):
        seal(bad_key, "hello", AAD)
