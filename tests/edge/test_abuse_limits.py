"""Every abuse limit, each at its documented number (chalicelib/core/limits.py, README "Security"),
through the REST routes (chalice.test.Client) and the WebSocket use cases, over the real
database: the last allowed request passes, the next gets 429 with Retry-After (or an error
frame with retryAfter), and a refused request writes nothing.

Already covered elsewhere, and not repeated here: failed logins per account
(test_accounts_routes.py), the 16 KiB frame cap and 120 frames a minute per connection
(test_realtime.py), message text over 4,000 characters (test_messages_routes.py).
"""
import json

import pytest

from chalicelib import services
from chalicelib.core.limits import (
    DEVICES_REGISTERED_PER_USER,
    DIRECT_CONVERSATIONS_STARTED_PER_USER,
    GROUPS_CREATED_PER_USER,
    JOIN_REQUESTS_PER_USER,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
    MESSAGES_SENT_PER_USER,
)
from chalicelib.core.validation import MAX_PAGE
from chalicelib.edge.web import MAX_BODY_BYTES
from chalicelib.messaging.schemas import MAX_CONVERSATIONS
from tests.fakes import RecordingPublisher, RecordingPusher
from tests.helpers import call, make_group, new_user, sign_up

PASSWORD = "correct horse battery"
WRITTEN = ("users", "groups", "memberships", "conversations", "messages", "conversation_keys", "read_markers",
           "tickets")


def stored(db):
    """Everything a request could have written, but the throttle counters themselves."""
    return {name: sorted(db[name].find(), key=lambda doc: doc["_id"]) for name in WRITTEN}


def refused(reply, headers, limit):
    """True if `reply` is the contract's 429 for `limit`, with a Retry-After inside its window."""
    retry_after = int(headers["Retry-After"])
    return reply["error"]["code"] == "rate_limited" and 0 < retry_after <= limit.window_seconds


@pytest.fixture
def alice(client):
    return new_user(client, "alice@example.com", "Alice")


@pytest.fixture
def bob(client):
    return new_user(client, "bob@example.com", "Bob")


# The documented numbers ------------------------------------------------------------------

def test_the_documented_numbers():
    """README's Security table states these; change both together."""
    limits = {limit.name: (limit.max_hits, limit.window_seconds) for limit in (
        LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS, GROUPS_CREATED_PER_USER, JOIN_REQUESTS_PER_USER,
        MESSAGES_SENT_PER_USER, DIRECT_CONVERSATIONS_STARTED_PER_USER, DEVICES_REGISTERED_PER_USER)}
    assert limits == {
        "login-account": (5, 900), "login-address": (30, 900), "groups-created": (20, 3600),
        "group-join-requests": (60, 3600), "messages-sent": (60, 60), "direct-conversations-started": (30, 3600),
        "devices-registered": (20, 3600),
    }
    assert (MAX_BODY_BYTES, MAX_PAGE, MAX_CONVERSATIONS) == (64 * 1024, 100, 100)


# Logging in ------------------------------------------------------------------------------

def test_failed_logins_are_throttled_per_source_address(client):
    """Guessing across many accounts from one address: each account stays under its own
    limit of 5, the address's limit of 30 stops it, even for a right password."""
    sign_up(client, "victim@example.com", PASSWORD)
    for n in range(LOGIN_FAILURES_PER_ADDRESS.max_hits):
        status, _, _ = call(client, "POST", "/login", {"email": f"guess{n}@example.com", "password": "guessing"})
        assert status == 401
    status, reply, headers = call(client, "POST", "/login", {"email": "victim@example.com", "password": PASSWORD})
    assert status == 429 and refused(reply, headers, LOGIN_FAILURES_PER_ADDRESS), reply
    assert "token" not in reply


# Groups ----------------------------------------------------------------------------------

def test_group_creation_is_limited_per_user(client, db, alice, bob):
    for n in range(GROUPS_CREATED_PER_USER.max_hits):
        status, reply, _ = call(client, "POST", "/groups/create", {"name": f"G{n}", "type": "open"}, token=alice[1])
        assert status == 201, reply
    before = stored(db)
    status, reply, headers = call(client, "POST", "/groups/create", {"name": "One more", "type": "open"},
                                  token=alice[1])
    assert status == 429 and refused(reply, headers, GROUPS_CREATED_PER_USER), reply
    assert stored(db) == before
    # The limit is the user's own: someone else still creates groups.
    assert call(client, "POST", "/groups/create", {"name": "Bob's", "type": "open"}, token=bob[1])[0] == 201


def test_join_requests_are_limited_per_user(client, db, alice, bob):
    group = make_group(db, alice[0]["id"], name="Open", group_type="open")
    path = f"/groups/{group}/request/{bob[0]['id']}"
    for _ in range(JOIN_REQUESTS_PER_USER.max_hits):  # asking again is harmless, and counted
        assert call(client, "POST", path, token=bob[1])[0] == 200
    status, reply, headers = call(client, "POST", path, token=bob[1])
    assert status == 429 and refused(reply, headers, JOIN_REQUESTS_PER_USER), reply


# Messages --------------------------------------------------------------------------------

def send(client, token, conversation_id, text, **extra):
    return call(client, "POST", "/messages/send", {"groupId": conversation_id, "text": text, **extra}, token=token)


def test_sending_is_limited_per_user_over_rest(client, db, alice, bob):
    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]])
    for n in range(MESSAGES_SENT_PER_USER.max_hits):
        status, reply, _ = send(client, alice[1], group, f"message {n}")
        assert status == 201, reply
    before = stored(db)
    status, reply, headers = send(client, alice[1], group, "one too many", clientMessageId="over-1")
    assert status == 429 and refused(reply, headers, MESSAGES_SENT_PER_USER), reply
    # 1:1 sends count against the same limit.
    status, reply, headers = call(client, "PUT", "/messages", {
        "participants": [alice[0]["email"], bob[0]["email"]],
        "message": {"sender": alice[0]["email"], "text": "and a direct one"}}, token=alice[1])
    assert status == 429 and refused(reply, headers, MESSAGES_SENT_PER_USER), reply
    assert stored(db) == before
    # Another member of the same conversation is not slowed down by alice.
    assert send(client, bob[1], group, "my turn")[0] == 201


def test_sending_over_websocket_shares_the_limit_with_rest(client, db, alice, bob):
    """The limit is taken in the send use case, so it holds whichever edge a message uses."""
    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]])
    pusher = RecordingPusher()
    realtime = services.build(db, pusher=pusher, publisher=RecordingPublisher()).sockets
    realtime.connect("conn-alice", "http://gateway.test", token=alice[1])
    for n in range(MESSAGES_SENT_PER_USER.max_hits - 1):
        assert send(client, alice[1], group, f"rest {n}")[0] == 201
    frame = {"action": "sendMessage", "conversationId": group, "text": "the last one", "clientMessageId": "ws-1"}
    realtime.receive("conn-alice", "http://gateway.test", json.dumps(frame))
    realtime.receive("conn-alice", "http://gateway.test", json.dumps({**frame, "clientMessageId": "ws-2"}))

    ack, error = [sent for _, _, sent in pusher.sent]
    assert ack["type"] == "ack" and ack["message"]["text"] == "the last one"
    assert error["type"] == "error" and error["error"]["code"] == "rate_limited"
    assert 0 < error["error"]["retryAfter"] <= MESSAGES_SENT_PER_USER.window_seconds
    assert error["clientMessageId"] == "ws-2"
    assert db["messages"].count_documents({"senderId": alice[0]["id"]}) == MESSAGES_SENT_PER_USER.max_hits


def test_new_direct_conversations_are_limited_per_user(client, db, alice):
    others = [new_user(client, f"colleague{n}@example.com")[0] for n in range(
        DIRECT_CONVERSATIONS_STARTED_PER_USER.max_hits + 1)]

    def start(other, text):
        return call(client, "PUT", "/messages", {
            "participants": [alice[0]["email"], other["email"]],
            "message": {"sender": alice[0]["email"], "text": text}}, token=alice[1])

    for other in others[:-1]:
        status, reply, _ = start(other, "hello, new colleague")
        assert status == 201, reply
    before = stored(db)
    status, reply, headers = start(others[-1], "and one more stranger")
    assert status == 429 and refused(reply, headers, DIRECT_CONVERSATIONS_STARTED_PER_USER), reply
    assert stored(db) == before  # no conversation, no key, no message
    # Conversations already started go on; only new ones wait.
    assert start(others[0], "a follow-up")[0] == 201


def test_the_other_participant_answering_is_not_a_new_conversation_for_them(client, alice, bob):
    status, reply, _ = call(client, "PUT", "/messages", {
        "participants": [alice[0]["email"], bob[0]["email"]],
        "message": {"sender": alice[0]["email"], "text": "hi"}}, token=alice[1])
    assert status == 201
    for _ in range(DIRECT_CONVERSATIONS_STARTED_PER_USER.max_hits):
        services.limiter().hit(DIRECT_CONVERSATIONS_STARTED_PER_USER, bob[0]["id"])
    status, reply, _ = call(client, "PUT", "/messages", {
        "participants": [bob[0]["email"], alice[0]["email"]],
        "message": {"sender": bob[0]["email"], "text": "hi back"}}, token=bob[1])
    assert status == 201, reply


def test_new_push_devices_are_limited_per_user_and_only_the_newest_ten_are_kept(client, db, alice):
    import uuid

    tokens = [uuid.uuid4().hex * 2 for _ in range(DEVICES_REGISTERED_PER_USER.max_hits + 1)]
    for token in tokens[:-1]:
        assert call(client, "POST", "/devices", {"platform": "fcm", "token": token}, token=alice[1])[0] == 201
    before = stored(db)
    status, reply, headers = call(client, "POST", "/devices", {"platform": "fcm", "token": tokens[-1]}, token=alice[1])
    assert status == 429 and reply["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) > 0
    assert stored(db) == before
    # The same token again is no new device: it never counts.
    assert call(client, "POST", "/devices", {"platform": "fcm", "token": tokens[-2]}, token=alice[1])[0] == 200
    assert len(call(client, "GET", "/devices", token=alice[1])[1]["devices"]) == 10


# Sizes -----------------------------------------------------------------------------------

def _oversized(body_fields):
    """A JSON object just over MAX_BODY_BYTES, whose fields are otherwise plausible."""
    padding = "x" * (MAX_BODY_BYTES + 1)
    return json.dumps({**body_fields, "text": padding})


@pytest.mark.parametrize("method, path", [
    ("POST", "/register"), ("POST", "/employees"), ("POST", "/login"), ("POST", "/groups/create"),
    ("PATCH", "/groups/{group}"), ("POST", "/groups/{group}/ban/{bob}"), ("POST", "/messages/send"),
    ("PUT", "/messages"), ("POST", "/messages"), ("POST", "/conversations/{group}/read"),
    ("POST", "/devices"), ("PUT", "/conversations/{group}/mute"),
    ("POST", "/groups/{group}/invites"), ("POST", "/messages/{group}/{group}/report"),
    ("POST", "/groups/{group}/reports/{group}/resolve"),
])
def test_every_body_over_64_kib_is_413_and_writes_nothing(client, db, alice, bob, method, path):
    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]])
    before = stored(db)
    status, reply, _ = call(client, method, path.format(group=group, bob=bob[0]["id"]),
                            raw=_oversized({"groupId": group}), token=alice[1])
    assert (status, reply["error"]["code"]) == (413, "body_too_large")
    assert stored(db) == before


# Pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, cap", [
    ("GET", "/groups?limit={limit}", MAX_PAGE),
    ("GET", "/groups/discover?limit={limit}", MAX_PAGE),
    ("GET", "/groups/{group}/members?limit={limit}", MAX_PAGE),
    ("GET", "/groups/{group}/requests?limit={limit}", MAX_PAGE),
    ("GET", "/groups/{group}/bans?limit={limit}", MAX_PAGE),
    ("GET", "/messages/{group}?limit={limit}", MAX_PAGE),
    ("POST", "/messages", MAX_PAGE),
    ("GET", "/conversations?limit={limit}", MAX_CONVERSATIONS),
    ("GET", "/groups/{group}/invites?limit={limit}", MAX_PAGE),
    ("GET", "/groups/{group}/reports?limit={limit}", MAX_PAGE),
    ("GET", "/users/blocked?limit={limit}", MAX_PAGE),
])
def test_every_list_caps_its_page_size(client, db, alice, bob, method, path, cap):
    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]])

    def page(limit):
        body = {"participants": [alice[0]["email"], bob[0]["email"]], "limit": limit} if method == "POST" else None
        return call(client, method, path.format(group=group, limit=limit), body, token=alice[1])

    assert page(cap)[0] == 200
    status, reply, _ = page(cap + 1)
    assert status == 400 and reply["error"]["code"] == "invalid_input", reply
    assert page(0)[0] == 400


# Moderation and safety -------------------------------------------------------------------

def test_the_moderation_limits_are_the_documented_numbers():
    """docs/security.md and docs/groups.md state these; change them together."""
    from chalicelib.core.limits import (
        BLOCK_CHANGES_PER_USER,
        INVITE_ACCEPTS_PER_USER,
        INVITES_CREATED_PER_USER,
        REPORTS_PER_USER,
    )

    limits = {limit.name: (limit.max_hits, limit.window_seconds) for limit in (
        INVITES_CREATED_PER_USER, INVITE_ACCEPTS_PER_USER, REPORTS_PER_USER, BLOCK_CHANGES_PER_USER)}
    assert limits == {"invites-created": (50, 3600), "invite-accepts": (30, 3600), "reports": (20, 3600),
                      "block-changes": (100, 3600)}


def test_reports_are_limited_per_user(client, db, alice, bob):
    from chalicelib.core.limits import REPORTS_PER_USER

    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]])
    message = call(client, "POST", "/messages/send", {"groupId": group, "text": "hm"}, token=alice[1])[1]["message"]
    path = f"/messages/{group}/{message['id']}/report"
    for _ in range(REPORTS_PER_USER.max_hits):
        assert call(client, "POST", path, {"reason": "spam"}, token=bob[1])[0] == 202
    status, reply, headers = call(client, "POST", path, {"reason": "spam"}, token=bob[1])
    assert status == 429 and refused(reply, headers, REPORTS_PER_USER)


def test_invite_accepts_are_limited_per_user(client, db, alice, bob):
    from chalicelib.core.limits import INVITE_ACCEPTS_PER_USER

    for _ in range(INVITE_ACCEPTS_PER_USER.max_hits):
        assert call(client, "POST", "/invites/no-such-invite-code-xxxxxxxx/accept", token=bob[1])[0] == 404
    before = stored(db)
    status, reply, headers = call(client, "POST", "/invites/no-such-invite-code-xxxxxxxx/accept", token=bob[1])
    assert status == 429 and refused(reply, headers, INVITE_ACCEPTS_PER_USER)
    assert stored(db) == before
