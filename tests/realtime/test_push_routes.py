"""/devices and /conversations/{id}/mute through chalice.test.Client, on the real database
and moto's SNS."""
import json
import uuid
from datetime import timedelta

import pytest

from chalicelib.core.clock import iso, utcnow
from tests.helpers import call, capture_app_logs


def token():
    return uuid.uuid4().hex * 2


def register(client, user_token, push_token, platform="apns", name=None):
    body = {"platform": platform, "token": push_token, **({"name": name} if name else {})}
    return call(client, "POST", "/devices", body, token=user_token)


def test_a_device_is_registered_once_per_token_and_never_shows_it(client, db, alice):
    secret = token()
    status, body, _ = register(client, alice[1], secret, name="Ana's iPhone")
    assert status == 201
    device = body["device"]
    assert set(device) == {"id", "platform", "name", "createdAt"} and device["name"] == "Ana's iPhone"
    status, again, _ = register(client, alice[1], secret)
    assert status == 200 and again["device"]["id"] == device["id"]
    status, listed, _ = call(client, "GET", "/devices", token=alice[1])
    assert status == 200 and listed["devices"] == [device]
    assert secret not in json.dumps(listed)
    assert all(secret not in json.dumps(doc, default=str) for doc in db["devices"].find())


def test_a_token_signed_in_to_another_account_moves_there(client, alice, bob):
    shared = token()
    _, first, _ = register(client, alice[1], shared)
    status, moved, _ = register(client, bob[1], shared, platform="apns")
    assert status == 201 and moved["device"]["id"] == first["device"]["id"]
    assert call(client, "GET", "/devices", token=alice[1])[1]["devices"] == []
    assert [d["id"] for d in call(client, "GET", "/devices", token=bob[1])[1]["devices"]] == [moved["device"]["id"]]


def test_only_the_owner_removes_a_device(client, alice, bob):
    _, body, _ = register(client, alice[1], token(), platform="fcm")
    device_id = body["device"]["id"]
    status, refused, _ = call(client, "DELETE", f"/devices/{device_id}", token=bob[1])
    assert status == 404 and refused["error"]["code"] == "device_not_found"
    assert call(client, "DELETE", f"/devices/{device_id}", token=alice[1])[0] == 204
    assert call(client, "GET", "/devices", token=alice[1])[1]["devices"] == []
    assert call(client, "DELETE", f"/devices/{device_id}", token=alice[1])[0] == 404


@pytest.mark.parametrize("body", [
    {"platform": "web", "token": "a" * 64},
    {"platform": "apns"},
    {"platform": "apns", "token": "short"},
    {"platform": "apns", "token": "has spaces in it"},
    {"platform": "apns", "token": "a" * 64, "name": ""},
    {"platform": "apns", "token": "a" * 64, "extra": 1},
    {"platform": "apns", "token": {"$gt": ""}},
])
def test_bad_registrations_are_400(client, alice, body):
    status, answer, _ = call(client, "POST", "/devices", body, token=alice[1])
    assert status == 400, answer


def test_the_token_is_not_logged(client, alice):
    secret = token()
    with capture_app_logs("DEBUG") as logs:
        register(client, alice[1], secret)
        register(client, alice[1], secret)
    assert secret not in logs.getvalue()


def test_mute_and_unmute_show_in_my_conversations(client, alice, bob, group):
    call(client, "POST", "/messages/send", {"groupId": group, "text": "hi"}, token=alice[1])
    until = iso(utcnow() + timedelta(hours=8))
    status, body, _ = call(client, "PUT", f"/conversations/{group}/mute", {"until": until}, token=bob[1])
    assert status == 200 and body == {"conversationId": group, "muted": True, "mutedUntil": until}
    (listed,) = call(client, "GET", "/conversations", token=bob[1])[1]["conversations"]
    assert listed["muted"] is True and listed["mutedUntil"] == until
    (theirs,) = call(client, "GET", "/conversations", token=alice[1])[1]["conversations"]
    assert theirs["muted"] is False and theirs["mutedUntil"] is None
    assert call(client, "PUT", f"/conversations/{group}/mute", token=bob[1])[1]["mutedUntil"] is None  # for good
    (listed,) = call(client, "GET", "/conversations", token=bob[1])[1]["conversations"]
    assert listed["muted"] is True and listed["mutedUntil"] is None
    assert call(client, "DELETE", f"/conversations/{group}/mute", token=bob[1])[0] == 204
    (listed,) = call(client, "GET", "/conversations", token=bob[1])[1]["conversations"]
    assert listed["muted"] is False


def test_only_members_mute(client, carol, group):
    for method in ("PUT", "DELETE"):
        status, body, _ = call(client, method, f"/conversations/{group}/mute", token=carol[1])
        assert status in (403, 404), body


@pytest.mark.parametrize("until", ["yesterday", "2026-02-30T00:00:00Z", "2026-01-01 00:00"])
def test_until_is_an_rfc_3339_time(client, bob, group, until):
    status, body, _ = call(client, "PUT", f"/conversations/{group}/mute", {"until": until}, token=bob[1])
    assert status == 400 and body["error"]["code"] == "invalid_until"


def test_a_mute_that_would_end_in_the_past_unmutes(client, bob, group):
    status, body, _ = call(client, "PUT", f"/conversations/{group}/mute", {"until": "9999-01-01T00:00:00Z"},
                           token=bob[1])
    assert status == 200 and body["muted"] is True and body["mutedUntil"] == "9999-01-01T00:00:00.000Z"
    status, body, _ = call(client, "PUT", f"/conversations/{group}/mute", {"until": "2001-01-01T00:00:00Z"},
                           token=bob[1])
    assert status == 200 and body == {"conversationId": group, "muted": False, "mutedUntil": None}
