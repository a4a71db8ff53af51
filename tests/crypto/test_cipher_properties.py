"""AES-GCM sealing, as properties over arbitrary text, ids, keys and changes (hypothesis):
every seal opens to its text, and any change to what was sealed fails closed."""
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.crypto.cipher import (
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    Unreadable,
    message_aad,
    open_sealed,
    seal,
)

keys = st.binary(min_size=KEY_BYTES, max_size=KEY_BYTES)
# Any text a JSON body can carry: every code point but the lone surrogates (json_body refuses those).
texts = st.text(max_size=300)
places = st.fixed_dictionaries({
    "conversation_id": st.text(max_size=60),
    "message_id": st.text(max_size=60),
    "sender_id": st.text(max_size=60),
    "key_version": st.integers(min_value=1, max_value=2**31),
})
PROPERTIES = settings(max_examples=150, deadline=None)


def _sealed(key, text, place):
    aad = message_aad(**place)
    nonce, ciphertext = seal(key, text, aad)
    return nonce, ciphertext, aad


@PROPERTIES
@given(key=keys, text=texts, place=places)
def test_every_seal_opens_to_its_text(key, text, place):
    nonce, ciphertext, aad = _sealed(key, text, place)
    assert len(nonce) == NONCE_BYTES and len(ciphertext) == len(text.encode("utf-8")) + TAG_BYTES
    assert open_sealed(key, nonce, ciphertext, aad) == text


@PROPERTIES
@given(key=keys, text=texts, place=places, data=st.data())
def test_any_flipped_bit_of_the_ciphertext_fails_closed(key, text, place, data):
    nonce, ciphertext, aad = _sealed(key, text, place)
    position = data.draw(st.integers(min_value=0, max_value=len(ciphertext) - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    altered = ciphertext[:position] + bytes([ciphertext[position] ^ mask]) + ciphertext[position + 1:]
    with pytest.raises(Unreadable):
        open_sealed(key, nonce, altered, aad)


@PROPERTIES
@given(key=keys, text=texts, place=places, data=st.data())
def test_a_cut_or_lengthened_ciphertext_fails_closed(key, text, place, data):
    nonce, ciphertext, aad = _sealed(key, text, place)
    if data.draw(st.booleans()):
        altered = ciphertext[:data.draw(st.integers(min_value=0, max_value=len(ciphertext) - 1))]
    else:
        altered = ciphertext + data.draw(st.binary(min_size=1, max_size=32))
    with pytest.raises(Unreadable):
        open_sealed(key, nonce, altered, aad)


@PROPERTIES
@given(key=keys, text=texts, place=places, other_nonce=st.binary(max_size=2 * NONCE_BYTES))
def test_any_other_nonce_fails_closed(key, text, place, other_nonce):
    nonce, ciphertext, aad = _sealed(key, text, place)
    assume(other_nonce != nonce)
    with pytest.raises(Unreadable):
        open_sealed(key, other_nonce, ciphertext, aad)


@PROPERTIES
@given(key=keys, text=texts, place=places, other_place=places, data=st.data())
def test_any_change_to_a_part_of_the_associated_data_fails_closed(key, text, place, other_place, data):
    nonce, ciphertext, _ = _sealed(key, text, place)
    changed = data.draw(st.sampled_from(sorted(place)))  # one part moved elsewhere, or all of them
    moved = other_place if data.draw(st.booleans()) else {**place, changed: other_place[changed]}
    assume(moved != place)
    with pytest.raises(Unreadable):
        open_sealed(key, nonce, ciphertext, message_aad(**moved))


@PROPERTIES
@given(key=keys, other_key=keys, text=texts, place=places)
def test_any_other_key_fails_closed(key, other_key, text, place):
    assume(other_key != key)
    nonce, ciphertext, aad = _sealed(key, text, place)
    with pytest.raises(Unreadable):
        open_sealed(other_key, nonce, ciphertext, aad)


@PROPERTIES
@given(place=places, other_place=places)
def test_different_places_never_share_associated_data(place, other_place):
    # Length prefixes: no two field lists encode alike, however their text is split.
    assume(place != other_place)
    assert message_aad(**place) != message_aad(**other_place)
