"""Encryption at rest, end to end: no plaintext anywhere in MongoDB or the logs, and stored
ciphertexts that were tampered with fail closed (the API never shows a wrong text)."""
import logging

import bson
import pytest

from chalicelib import services
from tests.helpers import call, capture_app_logs, make_group

MARKER = "PLAINTEXT-MARKER-7f3a9c"





@pytest.fixture
def app_logs():
    """Every record the app logs during a test, at every level, formatted as in production."""
    with capture_app_logs(logging.DEBUG) as stream:
        yield stream


def send(client, token, group, text, **extra):
    status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": text, **extra}, token=token)
    assert status == 201, body
    return body["message"]


def history(client, token, group):
    status, body, _ = call(client, "GET", f"/messages/{group}", token=token)
    assert status == 200, body
    return {message["seq"]: message for message in body["messages"]}


def test_no_collection_and_no_log_line_holds_message_text(client, db, alice, bob, group, app_logs, caplog):
    pair = ["alice@example.com", "bob@example.com"]
    send(client, alice[1], group, f"group says {MARKER}", clientMessageId="scan-1")
    send(client, alice[1], group, f"group says {MARKER}", clientMessageId="scan-1")  # a retry
    send(client, bob[1], group, MARKER.lower())
    services.messaging().rotate_key(group)
    send(client, bob[1], group, f"after rotation {MARKER}")
    for text in (f"direct {MARKER}", f"{MARKER}" * 100):
        status, _, _ = call(client, "PUT", "/messages",
                            {"participants": pair, "message": {"sender": "alice@example.com", "text": text}},
                            token=alice[1])
        assert status == 201
    call(client, "POST", "/messages", {"participants": pair}, token=bob[1])
    call(client, "GET", "/conversations", token=bob[1])
    # Failure paths log too: a tampered message is reported when read.
    db["messages"].update_one({"seq": 1, "conversationId": group}, {"$set": {"senderId": bob[0]["id"]}})
    assert history(client, bob[1], group)[1]["text"] is None

    # The texts are there, readable by members...
    assert f"after rotation {MARKER}" in [m["text"] for m in history(client, bob[1], group).values()]
    # ...and nowhere at rest.
    scanned = 0
    for name in db.list_collection_names():
        for document in db[name].find():
            raw = bson.encode(document)
            scanned += 1
            for needle in (MARKER.encode(), MARKER.lower().encode(), b"group says", b"after rotation"):
                assert needle not in raw, f"plaintext in {name}: {document['_id']}"
    assert {"messages", "conversations", "conversation_keys", "read_markers"} <= set(db.list_collection_names())
    assert scanned >= 10
    logged = app_logs.getvalue()
    assert "does not decrypt" in logged  # the log was captured, so its absence below means something
    for text in (logged, caplog.text):
        assert MARKER not in text and MARKER.lower() not in text


TAMPERS = {
    "flipped-ciphertext-bit": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"ciphertext": _flip(m[1]["ciphertext"])}}),
    "swapped-nonce": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"nonce": m[2]["nonce"]}}),
    "ciphertext-moved-to-another-message": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"nonce": m[2]["nonce"], "ciphertext": m[2]["ciphertext"]}}),
    "sender-changed-in-aad": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"senderId": m[2]["senderId"], "senderEmail": m[2]["senderEmail"]}}),
    "wrong-key-version": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"keyVersion": rotated}}),
    "truncated-ciphertext": lambda db, m, rotated: db["messages"].update_one(
        {"_id": m[1]["_id"]}, {"$set": {"ciphertext": m[1]["ciphertext"][:8]}}),
}


def _flip(data):
    return bytes([data[0] ^ 0x01]) + bytes(data[1:])


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_tampered_messages_fail_closed(client, db, alice, bob, group, tamper):
    send(client, alice[1], group, "first, from alice")
    send(client, bob[1], group, "second, from bob")
    send(client, alice[1], group, "third, untouched")
    rotated = services.messaging().rotate_key(group)
    stored = {m["seq"]: m for m in db["messages"].find({"conversationId": group})}
    TAMPERS[tamper](db, stored, rotated)

    seen = history(client, bob[1], group)
    assert seen[1]["text"] is None and seen[1]["undecryptable"] is True
    assert "second, from bob" not in str(seen[1])
    assert seen[2]["text"] == "second, from bob" and "undecryptable" not in seen[2]
    assert seen[3]["text"] == "third, untouched"


def test_ciphertext_moved_to_another_conversation_fails_closed(client, db, alice, bob, group):
    other = make_group(db, alice[0]["id"], members=[bob[0]["id"]], name="Other")
    send(client, alice[1], group, "meant for the team only")
    send(client, alice[1], other, "placeholder")
    original = db["messages"].find_one({"conversationId": group})
    db["messages"].update_one({"conversationId": other}, {"$set": {
        "nonce": original["nonce"], "ciphertext": original["ciphertext"], "keyVersion": original["keyVersion"]}})
    [moved] = history(client, bob[1], other).values()
    assert moved["text"] is None and moved["undecryptable"] is True


def test_message_documents_hold_only_ciphertext_and_metadata(client, db, alice, group):
    send(client, alice[1], group, "what is stored?", clientMessageId="shape-1")
    stored = db["messages"].find_one()
    assert set(stored) == {"_id", "conversationId", "seq", "senderId", "senderEmail", "senderName",
                           "createdAt", "keyVersion", "nonce", "ciphertext", "clientMessageId"}
    assert len(stored["nonce"]) == 12
    assert len(stored["ciphertext"]) == len("what is stored?".encode()) + 16  # text + GCM tag
    key = db["conversation_keys"].find_one()
    assert set(key) == {"_id", "conversationId", "version", "wrappedKey", "masterKeyId", "createdAt"}
