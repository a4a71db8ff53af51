"""NoSQL-injection shapes are refused wherever a client can put them: MongoDB operators
(`{"$gt": ""}` and friends) in every field of every JSON body, in query strings, in path
ids, in cursors and in WebSocket frames. Each gets a clear 400 (or an error frame) and
changes nothing; none ever logs anyone in or reads anything."""
import base64
import json
from urllib.parse import quote

import pytest

from chalicelib import services
from tests.fakes import RecordingPublisher, RecordingPusher
from tests.helpers import call, make_group, new_user

OPERATORS = [{"$gt": ""}, {"$ne": None}, {"$regex": "^"}]
PASSWORD = "correct horse battery"
IGNORED = ("throttles",)


@pytest.fixture
def scene(client, db):
    alice, alice_token = new_user(client, "alice@example.com", "Alice")
    bob, bob_token = new_user(client, "bob@example.com", "Bob")
    group = make_group(db, alice["id"], members=[bob["id"]])
    return {"alice": alice, "bob": bob, "token": alice_token, "group": group}


# The frame counter a connection's record carries moves with every frame, refused or not
# (storage/connections.py: count_frame), as the throttles do.
IGNORED_FIELDS = {"connections": ("frames", "framesWindowEnds")}


def _state(db):
    return {name: sorted(db[name].find({}, {field: 0 for field in IGNORED_FIELDS.get(name, ())} or None),
                         key=lambda doc: str(doc["_id"]))
            for name in db.list_collection_names() if name not in IGNORED}


# route -> (method, path, a valid body, the fields an operator is put in, as paths of keys)
BODIES = {
    "register": ("POST", "/register", {"email": "new@example.com", "password": PASSWORD, "name": "New"},
                 ["email", "password", "name"]),
    "employees": ("POST", "/employees", {"email": "emp@example.com", "password": PASSWORD, "name": "Emp",
                                         "department": "Ops", "role": "Dev"},
                  ["email", "password", "name", "department", "role"]),
    "login": ("POST", "/login", {"email": "alice@example.com", "password": PASSWORD}, ["email", "password"]),
    "create group": ("POST", "/groups/create", {"name": "Club", "type": "open"}, ["name", "type"]),
    "rename group": ("PATCH", "/groups/{group}", {"name": "Renamed", "rejoinCooldownSeconds": 5},
                     ["name", "rejoinCooldownSeconds"]),
    "ban": ("POST", "/groups/{group}/ban/{bob}", {"durationSeconds": 60}, ["durationSeconds"]),
    "send": ("POST", "/messages/send", {"groupId": "{group}", "text": "hi", "clientMessageId": "c1"},
             ["groupId", "text", "clientMessageId"]),
    "send 1:1": ("PUT", "/messages", {"participants": ["alice@example.com", "bob@example.com"],
                                      "message": {"sender": "alice@example.com", "text": "hi",
                                                  "timestamp": "2030-01-01T00:00:00Z", "clientMessageId": "c2"}},
                 ["participants", "participants.0", "message", "message.sender", "message.text",
                  "message.timestamp", "message.clientMessageId"]),
    "read 1:1": ("POST", "/messages", {"participants": ["alice@example.com", "bob@example.com"], "limit": 5},
                 ["participants", "participants.1", "limit"]),
    "mark read": ("POST", "/conversations/{group}/read", {"seq": 1}, ["seq"]),
    "register device": ("POST", "/devices", {"platform": "apns", "token": "ab" * 32, "name": "Phone"},
                        ["platform", "token", "name"]),
    "mute": ("PUT", "/conversations/{group}/mute", {"until": "2030-01-01T00:00:00Z"}, ["until"]),
    "invite link": ("POST", "/groups/{group}/invites", {"expiresInSeconds": 3600, "maxUses": 2},
                    ["expiresInSeconds", "maxUses"]),
}


def _with(body, field, value):
    """A deep copy of `body` with the key path `field` ("message.text", "participants.0") set to `value`."""
    copy = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    target = copy
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return copy


def _fill(text, scene):
    return text.replace("{group}", scene["group"]).replace("{bob}", scene["bob"]["id"])


def _body_cases():
    return [pytest.param(route, field, operator, id=f"{route}-{field}-{next(iter(operator))}")
            for route, (_, _, _, fields) in BODIES.items() for field in fields for operator in OPERATORS]


@pytest.mark.parametrize("route", BODIES)
def test_the_valid_bodies_are_accepted(client, scene, route):
    """So that each refusal below is the operator's doing, not a broken base body."""
    method, path, body, _ = BODIES[route]
    body = json.loads(_fill(json.dumps(body), scene))
    status, reply, _ = call(client, method, _fill(path, scene), body, token=scene["token"])
    assert status < 300, reply


@pytest.mark.parametrize("route, field, operator", _body_cases())
def test_operators_in_bodies_are_refused_and_change_nothing(client, db, scene, route, field, operator):
    method, path, body, _ = BODIES[route]
    body = _with(json.loads(_fill(json.dumps(body), scene)), field, operator)
    before = _state(db)

    status, reply, _ = call(client, method, _fill(path, scene), body, token=scene["token"])

    assert status == 400 and reply["error"]["code"] in ("invalid_input", "invalid_json"), reply
    assert "token" not in reply
    assert _state(db) == before


def _cursor(parts):
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", [
    "/users/by-email?email[$ne]=x",
    "/users/by-email?email=" + quote('{"$gt": ""}'),
    "/groups/discover?q[$gt]=",
    "/messages/{group}?before[$gt]=0",
    "/messages/{group}?limit=" + quote('{"$gt": 0}'),
    "/conversations?limit[$gt]=0",
    "/groups/{group}/reports?state[$ne]=open",
])
def test_operators_in_query_strings_are_refused(client, scene, path):
    status, reply, _ = call(client, "GET", _fill(path, scene), token=scene["token"])
    assert status == 400, reply


@pytest.mark.parametrize("path", [
    "/groups/discover?cursor=" + _cursor([{"$gt": ""}, "x"]),
    "/groups?cursor=" + _cursor([{"$ne": None}]),
    "/groups/{group}/members?cursor=" + _cursor([{"$gt": ""}]),
    "/groups/{group}/invites?cursor=" + _cursor([{"$gt": ""}]),
    "/users/blocked?cursor=" + _cursor([{"$gt": ""}]),
])
def test_operators_in_cursors_are_only_text(client, scene, path):
    # A cursor is base64url text decoded to position strings (chalicelib/groups/paging.py):
    # whatever it spells is compared as a string, never read as an operator. It pages on
    # from that position, within what the caller may see anyway.
    status, reply, _ = call(client, "GET", _fill(path, scene), token=scene["token"])
    assert status == 200, reply
    assert str(reply).count("$") == 0


@pytest.mark.parametrize("method, path", [
    ("GET", "/groups/$gt"),
    ("GET", "/groups/" + quote('{"$ne":null}', safe="")),
    ("POST", "/groups/{group}/request/" + quote('{"$gt":""}', safe="")),
    ("GET", "/messages/" + quote('{"$gt":""}', safe="")),
    ("POST", "/conversations/$where/read"),
])
def test_operators_in_path_ids_are_refused(client, db, scene, method, path):
    before = _state(db)
    body = {"seq": 1} if path.endswith("/read") else None
    status, reply, _ = call(client, method, _fill(path, scene), body, token=scene["token"])
    assert status in (400, 404), reply
    assert _state(db) == before


@pytest.mark.parametrize("frame", [
    {"action": "sendMessage", "conversationId": {"$gt": ""}, "text": "hi"},
    {"action": "sendMessage", "conversationId": "{group}", "text": {"$ne": None}},
    {"action": "sendMessage", "conversationId": "{group}", "text": "hi", "clientMessageId": {"$gt": ""}},
    {"action": "typing", "conversationId": {"$regex": "^"}, "isTyping": True},
    {"action": "markRead", "conversationId": "{group}", "seq": {"$gt": 0}},
    {"action": "presence", "conversationId": {"$ne": None}},
    {"action": {"$ne": None}},
    {"action": "ping", "requestId": {"$gt": ""}},
], ids=lambda frame: json.dumps(frame))
def test_operators_in_websocket_frames_are_refused(db, scene, frame):
    pusher, publisher = RecordingPusher(), RecordingPublisher()
    realtime = services.build(db, pusher=pusher, publisher=publisher).sockets
    realtime.connect("conn-alice", "http://gateway.test", token=scene["token"])
    publisher.published.clear()  # alice came online: the connect's announcement, not the frame's
    before = _state(db)

    realtime.receive("conn-alice", "http://gateway.test", _fill(json.dumps(frame), scene))

    (reply,) = [sent for _, _, sent in pusher.sent]
    assert reply["type"] == "error" and reply["error"]["code"] in ("invalid_input", "unknown_action"), reply
    assert publisher.published == [] and _state(db) == before
