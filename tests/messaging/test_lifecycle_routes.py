"""The lifecycle endpoints through chalice.test.Client, the real database and moto's KMS:
edit, delete, reactions (percent-encoded emoji in the path), replies, mentions, changedSince."""
from urllib.parse import quote

import pytest

from chalicelib import services
from chalicelib.messaging.schemas import MAX_TEXT_CHARS
from chalicelib.realtime.queue import open_event
from tests.helpers import call, drain_fanout_jobs

STORED = ("messages", "reactions", "conversations")


def _stored(db):
    return {name: list(db[name].find()) for name in STORED}


def _send(client, token, group, text="hello", **extra):
    status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": text, **extra}, token=token)
    assert status == 201, body
    return body["message"]


def _path(group, message_id, emoji=None):
    path = f"/messages/{group}/{message_id}"
    return path if emoji is None else f"{path}/reactions/{quote(emoji, safe='')}"


def test_edit_delete_and_react_over_http(client, db, group, alice, bob):
    message = _send(client, bob[1], group, "helo")
    drain_fanout_jobs()
    status, body, _ = call(client, "PATCH", _path(group, message["id"]), {"text": "hello"}, token=bob[1])
    assert status == 200 and body["message"]["text"] == "hello" and body["message"]["editedAt"]
    status, body, _ = call(client, "PUT", _path(group, message["id"], "👩🏽‍💻"), token=alice[1])
    assert status == 200 and body["message"]["reactions"] == [{"emoji": "👩🏽‍💻", "count": 1, "me": True}]
    status, body, _ = call(client, "GET", f"/messages/{group}", token=bob[1])
    assert body["messages"][0]["reactions"] == [{"emoji": "👩🏽‍💻", "count": 1, "me": False}]
    assert body["messages"][0]["version"] == 3 and body["changeCursor"]
    assert call(client, "DELETE", _path(group, message["id"], "👩🏽‍💻"), token=alice[1])[0] == 204
    assert call(client, "DELETE", _path(group, message["id"]), token=bob[1])[0] == 204
    status, body, _ = call(client, "GET", f"/messages/{group}", token=alice[1])
    (tombstone,) = body["messages"]
    assert tombstone["deleted"] is True and tombstone["text"] is None and tombstone["seq"] == 1
    events = [open_event(job["event"], services.keyring()) for job in drain_fanout_jobs()]  # views cross SQS sealed
    assert [event["type"] for event in events] == ["message.edited", "reaction.changed", "reaction.changed",
                                                   "message.deleted"]
    assert [event["message"]["version"] for event in events] == [2, 3, 4, 5]
    assert all(event["conversationId"] == group for event in events)


@pytest.mark.parametrize("method, who, target, emoji, body, status, code", [
    ("PATCH", "alice", "bob's", None, {"text": "not mine"}, 403, "not_the_sender"),
    ("PATCH", "bob", "bob's", None, {"text": "  "}, 400, "empty_text"),
    ("PATCH", "bob", "bob's", None, {"text": "x" * (MAX_TEXT_CHARS + 1)}, 413, "text_too_large"),
    ("PATCH", "bob", "bob's", None, {}, 400, "invalid_input"),
    ("PATCH", "bob", "elsewhere", None, {"text": "moved"}, 404, "message_not_found"),
    ("PATCH", "bob", "deleted", None, {"text": "back"}, 409, "message_deleted"),
    ("PATCH", "carol", "bob's", None, {"text": "intruder"}, 403, "not_a_member"),
    ("DELETE", "carol", "bob's", None, None, 403, "not_a_member"),
    ("DELETE", "bob", "alice's", None, None, 403, "not_allowed"),
    ("PUT", "bob", "bob's", "ok", None, 400, "invalid_emoji"),
    ("PUT", "bob", "bob's", "👍👎", None, 400, "invalid_emoji"),
    ("PUT", "bob", "bob's", "©", None, 400, "invalid_emoji"),
    ("PUT", "bob", "elsewhere", "👍", None, 404, "message_not_found"),
    ("PUT", "bob", "deleted", "👍", None, 409, "message_deleted"),
    ("PUT", "carol", "bob's", "👍", None, 403, "not_a_member"),
])
def test_bad_requests_are_clear_4xx_and_change_nothing(client, db, group, alice, bob, carol, method, who, target,
                                                        emoji, body, status, code):
    tokens = {"alice": alice[1], "bob": bob[1], "carol": carol[1]}
    status_, other, _ = call(client, "POST", "/groups/create", {"name": "Other", "type": "open"}, token=bob[1])
    elsewhere = _send(client, bob[1], other["group"]["id"], "elsewhere")
    messages = {"bob's": _send(client, bob[1], group, "bob's"), "alice's": _send(client, alice[1], group, "alice's"),
                "elsewhere": elsewhere, "deleted": _send(client, bob[1], group, "deleted")}
    assert call(client, "DELETE", _path(group, messages["deleted"]["id"]), token=bob[1])[0] == 204
    before = _stored(db)
    answer, reply, _ = call(client, method, _path(group, messages[target]["id"], emoji), body, token=tokens[who])
    assert (answer, reply["error"]["code"]) == (status, code), reply
    assert _stored(db) == before


def test_replies_and_mentions_on_both_send_routes(client, group, alice, bob, carol):
    first = _send(client, alice[1], group, "question")
    reply = _send(client, bob[1], group, "answer", replyTo=first["id"], mentions=[alice[0]["id"]])
    assert reply["replyTo"] == first["id"] and reply["mentions"] == [alice[0]["id"]]
    status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": "hi", "mentions": [carol[0]["id"]]},
                           token=bob[1])
    assert (status, body["error"]["code"]) == (400, "invalid_mentions")
    direct = {"participants": ["alice@example.com", "carol@example.com"],
              "message": {"sender": "alice@example.com", "text": "hi carol", "mentions": [carol[0]["id"]]}}
    status, body, _ = call(client, "PUT", "/messages", direct, token=alice[1])
    assert status == 201 and body["message"]["mentions"] == [carol[0]["id"]]
    direct["message"] = {"sender": "alice@example.com", "text": "re", "replyTo": first["id"]}
    status, body, _ = call(client, "PUT", "/messages", direct, token=alice[1])
    assert (status, body["error"]["code"]) == (400, "invalid_reply_to")


def test_changed_since_over_http(client, group, alice, bob):
    message = _send(client, bob[1], group, "one")
    status, body, _ = call(client, "GET", f"/messages/{group}?changedSince=0", token=alice[1])
    assert status == 200 and body["messages"] == [] and body["changeCursor"]
    call(client, "PATCH", _path(group, message["id"]), {"text": "one!"}, token=bob[1])
    status, body, _ = call(client, "GET", f"/messages/{group}?changedSince=0&limit=10", token=alice[1])
    assert [m["text"] for m in body["messages"]] == ["one!"]
    status, body, _ = call(client, "GET", f"/messages/{group}?changedSince=yesterday", token=alice[1])
    assert (status, body["error"]["code"]) == (400, "invalid_cursor")

    second = _send(client, bob[1], group, "two")
    call(client, "PATCH", _path(group, second["id"]), {"text": "two!"}, token=bob[1])
    for window, texts in (("", ["one!", "two!"]), ("&after=1", ["two!"]), ("&before=2", ["one!"]),
                          ("&after=1&before=2", [])):
        status, body, _ = call(client, "GET", f"/messages/{group}?changedSince=0{window}", token=alice[1])
        assert status == 200 and [m["text"] for m in body["messages"]] == texts, window
