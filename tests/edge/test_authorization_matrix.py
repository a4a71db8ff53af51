"""Who may do what: every REST route and every WebSocket action, against every relation a
caller can have to the resource it names, in one table (OWASP API1 object level and API5
function level authorization).

The scene, built once through the real API: a private group (its owner, a moderator, a
member, a pending requester, a banned former member, an invite link and a report), a 1:1
conversation between the owner and the member, an outsider with an account, an anonymous caller and the member holding an expired
token. Each case starts from that scene, restored in the database, and most name ids the
caller does not own: someone else's group, conversation, user id or email.

A route or action added to the app without a row here fails
`test_every_route_and_action_has_a_row`. A refused call must answer the contract's error
body and change nothing.
"""
import json
import time
import uuid
from dataclasses import dataclass

import pytest

from chalicelib import services
from chalicelib.core.errors import NotAuthenticated
from chalicelib.realtime.sockets import FRAME_SCHEMAS
from tests.fakes import RecordingPublisher, RecordingPusher
from tests.helpers import call

ACTORS = ("owner", "moderator", "member", "pending", "banned", "outsider", "anonymous", "expired")
PASSWORD = "correct horse battery"
IGNORED = ("throttles",)  # counters that refused calls are meant to move (failed logins, ...)
# ... and the frame counter a connection's record carries (storage/connections.py: count_frame).
IGNORED_FIELDS = {"connections": ("frames", "framesWindowEnds")}
ENDPOINT = "http://gateway.test"


@dataclass(frozen=True)
class Rest:
    route: str  # "METHOD /template" exactly as the app declares it
    path: str  # the concrete path, with {placeholders} (see Scene.values)
    expect: tuple  # status per actor, in ACTORS order
    body: object = None
    variant: str = ""

    @property
    def id(self):
        return f"{self.route} {self.variant}".strip()


@dataclass(frozen=True)
class Ws:
    action: str
    frame: dict
    expect: tuple  # reply type, "published" (no reply, an event for others), error code, or 401
    variant: str = ""

    @property
    def id(self):
        return f"ws {self.action} {self.variant}".strip()


def everyone(status):
    return (status,) * len(ACTORS)


def signed_in(status):
    """`status` for every signed-in caller; 401 without a token or with an expired one."""
    return (status,) * 6 + (401, 401)


def by_relation(owner, member, pending, banned, outsider, *, moderator=None):
    """Expected statuses by relation; a moderator is answered as a member unless told otherwise."""
    return (owner, member if moderator is None else moderator, member, pending, banned, outsider, 401, 401)


TEXT = {"text": "hello"}
THUMBS_UP = "%F0%9F%91%8D"  # 👍, percent-encoded as a client sends it in a path
FILE = {"name": "note.txt", "contentType": "text/plain", "size": 5}
PAIR = ["{owner_email}", "{member_email}"]

REST = [
    # Accounts: public routes ignore any token they are sent, even an expired one.
    Rest("POST /register", "/register", everyone(201), {"email": "{fresh_email}", "password": PASSWORD, "name": "N"}),
    Rest("POST /employees", "/employees", everyone(201), {"email": "{fresh_email}", "password": PASSWORD, "name": "N"}),
    Rest("POST /login", "/login", everyone(200), {"email": "{owner_email}", "password": PASSWORD}),
    Rest("GET /health", "/health", everyone(200)),
    Rest("GET /openapi.json", "/openapi.json", everyone(200)),
    Rest("GET /asyncapi.json", "/asyncapi.json", everyone(200)),
    Rest("GET /me", "/me", signed_in(200)),
    Rest("PATCH /me", "/me", signed_in(200), {"name": "Renamed", "pushPreviews": True}),
    Rest("DELETE /me", "/me", by_relation(409, 204, 204, 204, 204), {"password": PASSWORD}),
    Rest("GET /users/search", "/users/search?q=o", signed_in(200)),
    # Sessions and passwords: the refresh token and the reset code are the credentials there.
    Rest("POST /token/refresh", "/token/refresh", everyone(200), {"refreshToken": "{refresh}"}),
    Rest("POST /token/refresh", "/token/refresh", everyone(401), {"refreshToken": "not-a-refresh-token"},
         variant="a wrong one"),
    Rest("POST /logout", "/logout", signed_in(204)),
    Rest("POST /logout/all", "/logout/all", signed_in(204)),
    Rest("GET /sessions", "/sessions", signed_in(200)),
    Rest("DELETE /sessions/{sessionId}", "/sessions/{session}", signed_in(204), variant="one's own"),
    Rest("DELETE /sessions/{sessionId}", "/sessions/{owner_session}", by_relation(204, 404, 404, 404, 404),
         variant="the owner's"),
    Rest("POST /me/password", "/me/password", signed_in(204),
         {"currentPassword": PASSWORD, "newPassword": "another long password"}),
    Rest("POST /password/forgot", "/password/forgot", everyone(202), {"email": "{self_email}"}),
    Rest("POST /password/reset", "/password/reset", everyone(400),
         {"email": "{self_email}", "code": "not-the-code", "newPassword": "another long password"}),
    Rest("GET /users/by-email", "/users/by-email?email={owner_email}", signed_in(200)),
    Rest("POST /realtime/ticket", "/realtime/ticket", signed_in(201)),
    # Groups.
    Rest("POST /groups/create", "/groups/create", signed_in(201), {"name": "Mine", "type": "private"}),
    Rest("GET /groups", "/groups", signed_in(200)),
    Rest("GET /groups/discover", "/groups/discover", signed_in(200)),
    Rest("GET /groups/{groupId}", "/groups/{group}", by_relation(200, 200, 200, 403, 404)),
    Rest("PATCH /groups/{groupId}", "/groups/{group}", by_relation(200, 403, 403, 403, 404), {"name": "Renamed"}),
    Rest("GET /groups/{groupId}/members", "/groups/{group}/members", by_relation(200, 200, 403, 403, 404)),
    Rest("GET /groups/{groupId}/requests", "/groups/{group}/requests",
         by_relation(200, 403, 403, 403, 404, moderator=200)),
    Rest("GET /groups/{groupId}/bans", "/groups/{group}/bans", by_relation(200, 403, 403, 403, 404, moderator=200)),
    Rest("POST /groups/{groupId}/request/{userId}", "/groups/{group}/request/{self}",
         by_relation(200, 200, 202, 403, 202), variant="for oneself"),
    Rest("POST /groups/{groupId}/request/{userId}", "/groups/{group}/request/{other}",
         by_relation(403, 403, 403, 403, 403), variant="for someone else"),
    Rest("POST /groups/{groupId}/approve/{userId}", "/groups/{group}/approve/{pending}",
         by_relation(200, 403, 403, 403, 404, moderator=200)),
    Rest("POST /groups/{groupId}/reject/{userId}", "/groups/{group}/reject/{pending}",
         by_relation(204, 403, 403, 403, 404, moderator=204)),
    Rest("POST /groups/{groupId}/withdraw/{userId}", "/groups/{group}/withdraw/{self}",
         by_relation(404, 404, 204, 404, 404), variant="for oneself"),
    Rest("POST /groups/{groupId}/withdraw/{userId}", "/groups/{group}/withdraw/{pending}",
         by_relation(403, 403, 204, 403, 403), variant="the requester's"),
    Rest("POST /groups/{groupId}/leave/{userId}", "/groups/{group}/leave/{self}",
         by_relation(409, 204, 404, 404, 404), variant="for oneself"),
    Rest("POST /groups/{groupId}/leave/{userId}", "/groups/{group}/leave/{member}",
         by_relation(403, 204, 403, 403, 403, moderator=403), variant="the member's"),
    Rest("POST /groups/{groupId}/kick/{userId}", "/groups/{group}/kick/{member}",
         by_relation(204, 403, 403, 403, 404, moderator=204), variant="a member"),
    Rest("POST /groups/{groupId}/kick/{userId}", "/groups/{group}/kick/{moderator}",
         by_relation(204, 403, 403, 403, 404, moderator=403), variant="a moderator"),
    Rest("POST /groups/{groupId}/kick/{userId}", "/groups/{group}/kick/{owner}",
         by_relation(409, 403, 403, 403, 404, moderator=409), variant="the owner"),
    Rest("POST /groups/{groupId}/ban/{userId}", "/groups/{group}/ban/{member}",
         by_relation(200, 403, 403, 403, 404, moderator=200), variant="a member"),
    Rest("POST /groups/{groupId}/ban/{userId}", "/groups/{group}/ban/{moderator}",
         by_relation(200, 403, 403, 403, 404, moderator=403), variant="a moderator"),
    Rest("POST /groups/{groupId}/ban/{userId}", "/groups/{group}/ban/{owner}",
         by_relation(409, 403, 403, 403, 404, moderator=409), variant="the owner"),
    Rest("POST /groups/{groupId}/unban/{userId}", "/groups/{group}/unban/{banned}",
         by_relation(204, 403, 403, 403, 404, moderator=204)),
    Rest("POST /groups/{groupId}/transfer-owner/{ownerId}/{newOwnerId}", "/groups/{group}/transfer-owner/{self}/{member}",
         by_relation(200, 403, 403, 403, 404), variant="as oneself"),
    Rest("POST /groups/{groupId}/transfer-owner/{ownerId}/{newOwnerId}", "/groups/{group}/transfer-owner/{owner}/{member}",
         by_relation(200, 403, 403, 403, 403), variant="naming the owner"),
    # Messages: a private group's messages stay as hidden as the group itself.
    Rest("POST /messages/send", "/messages/send", by_relation(201, 201, 403, 403, 404), {"groupId": "{group}", **TEXT},
         variant="to the group"),
    Rest("POST /messages/send", "/messages/send", by_relation(201, 201, 404, 404, 404, moderator=404),
         {"conversationId": "{dm}", **TEXT}, variant="to the 1:1 by id"),
    Rest("GET /messages/{conversationId}", "/messages/{group}", by_relation(200, 200, 403, 403, 404), variant="the group's"),
    Rest("GET /messages/{conversationId}", "/messages/{dm}", by_relation(200, 200, 404, 404, 404, moderator=404),
         variant="the 1:1's"),
    Rest("PUT /messages", "/messages", by_relation(201, 201, 403, 403, 403, moderator=403),
         {"participants": PAIR, "message": {"sender": "{self_email}", **TEXT}}, variant="as oneself"),
    Rest("PUT /messages", "/messages", by_relation(201, 403, 403, 403, 403),
         {"participants": PAIR, "message": {"sender": "{owner_email}", **TEXT}}, variant="as the owner"),
    Rest("POST /messages", "/messages", by_relation(200, 200, 404, 404, 404, moderator=404), {"participants": PAIR}),
    # Message lifecycle: only the sender edits; the sender, the group's owner or (for plain members'
    # messages) a moderator deletes. The group's message here is the owner's.
    Rest("PATCH /messages/{conversationId}/{messageId}", "/messages/{group}/{group_message}",
         by_relation(200, 403, 403, 403, 404), TEXT, variant="the group's"),
    Rest("PATCH /messages/{conversationId}/{messageId}", "/messages/{dm}/{dm_message}",
         by_relation(200, 403, 404, 404, 404, moderator=404), TEXT, variant="the 1:1's"),
    Rest("DELETE /messages/{conversationId}/{messageId}", "/messages/{group}/{group_message}",
         by_relation(204, 403, 403, 403, 404), variant="the group's"),
    Rest("DELETE /messages/{conversationId}/{messageId}", "/messages/{dm}/{dm_message}",
         by_relation(204, 403, 404, 404, 404, moderator=404), variant="the 1:1's"),
    Rest("PUT /messages/{conversationId}/{messageId}/reactions/{emoji}", "/messages/{group}/{group_message}/reactions/"
         + THUMBS_UP, by_relation(200, 200, 403, 403, 404), variant="in the group"),
    Rest("PUT /messages/{conversationId}/{messageId}/reactions/{emoji}", "/messages/{dm}/{dm_message}/reactions/"
         + THUMBS_UP, by_relation(200, 200, 404, 404, 404, moderator=404), variant="in the 1:1"),
    Rest("DELETE /messages/{conversationId}/{messageId}/reactions/{emoji}",
         "/messages/{group}/{group_message}/reactions/" + THUMBS_UP, by_relation(204, 204, 403, 403, 404),
         variant="in the group"),
    Rest("DELETE /messages/{conversationId}/{messageId}/reactions/{emoji}",
         "/messages/{dm}/{dm_message}/reactions/" + THUMBS_UP, by_relation(204, 204, 404, 404, 404, moderator=404),
         variant="in the 1:1"),
    Rest("GET /conversations", "/conversations", signed_in(200)),
    Rest("POST /conversations/{conversationId}/read", "/conversations/{group}/read",
         by_relation(200, 200, 403, 403, 404), {"seq": 1}, variant="the group's"),
    Rest("POST /conversations/{conversationId}/read", "/conversations/{dm}/read",
         by_relation(200, 200, 404, 404, 404, moderator=404), {"seq": 1}, variant="the 1:1's"),
    Rest("GET /conversations/{conversationId}/reads", "/conversations/{group}/reads",
         by_relation(200, 200, 403, 403, 404), variant="the group's"),
    Rest("GET /conversations/{conversationId}/reads", "/conversations/{dm}/reads",
         by_relation(200, 200, 404, 404, 404, moderator=404), variant="the 1:1's"),
    # Moderation and safety: moderators act on plain members only, never on the owner or each other.
    Rest("PUT /groups/{groupId}/moderators/{userId}", "/groups/{group}/moderators/{member}",
         by_relation(200, 403, 403, 403, 404, moderator=403)),
    Rest("DELETE /groups/{groupId}/moderators/{userId}", "/groups/{group}/moderators/{moderator}",
         by_relation(204, 403, 403, 403, 404, moderator=403)),
    Rest("POST /groups/{groupId}/invites", "/groups/{group}/invites",
         by_relation(201, 403, 403, 403, 404, moderator=201), {"maxUses": 5}),
    Rest("GET /groups/{groupId}/invites", "/groups/{group}/invites",
         by_relation(200, 403, 403, 403, 404, moderator=200)),
    Rest("DELETE /groups/{groupId}/invites/{inviteId}", "/groups/{group}/invites/{invite}",
         by_relation(204, 403, 403, 403, 404, moderator=204)),
    Rest("POST /invites/{code}/accept", "/invites/{invite_code}/accept", by_relation(200, 200, 200, 403, 200)),
    Rest("POST /messages/{conversationId}/{messageId}/report", "/messages/{group}/{group_message}/report",
         by_relation(202, 202, 403, 403, 404), {"reason": "spam"}, variant="in the group"),
    Rest("POST /messages/{conversationId}/{messageId}/report", "/messages/{dm}/{dm_message}/report",
         signed_in(400), {"reason": "spam"}, variant="in the 1:1"),
    Rest("GET /groups/{groupId}/reports", "/groups/{group}/reports",
         by_relation(200, 403, 403, 403, 404, moderator=200)),
    Rest("POST /groups/{groupId}/reports/{reportId}/resolve", "/groups/{group}/reports/{report}/resolve",
         by_relation(200, 403, 403, 403, 404, moderator=200), {"resolution": "warned"}),
    Rest("PUT /users/{userId}/block", "/users/{other}/block", signed_in(200)),
    Rest("DELETE /users/{userId}/block", "/users/{other}/block", signed_in(204)),
    Rest("GET /users/blocked", "/users/blocked", signed_in(200)),
    # Attachments: uploading follows sending; a file is fetched by members only, 404 for anyone else.
    Rest("POST /attachments", "/attachments", by_relation(201, 201, 403, 403, 404),
         {"conversationId": "{group}", **FILE}, variant="to the group"),
    Rest("POST /attachments", "/attachments", by_relation(201, 201, 404, 404, 404, moderator=404),
         {"conversationId": "{dm}", **FILE}, variant="to the 1:1"),
    Rest("GET /attachments/{attachmentId}", "/attachments/{group_file}", by_relation(200, 200, 404, 404, 404),
         variant="the group's"),
    Rest("GET /attachments/{attachmentId}", "/attachments/{dm_file}",
         by_relation(200, 200, 404, 404, 404, moderator=404),
         variant="the 1:1's"),
    # Mobile push: a device is its owner's alone; muting needs the same access as reading.
    Rest("POST /devices", "/devices", signed_in(201), {"platform": "apns", "token": "{fresh_token}"}),
    Rest("GET /devices", "/devices", signed_in(200)),
    Rest("DELETE /devices/{deviceId}", "/devices/{device}", by_relation(204, 404, 404, 404, 404)),
    Rest("PUT /conversations/{conversationId}/mute", "/conversations/{group}/mute",
         by_relation(200, 200, 403, 403, 404), {}, variant="the group's"),
    Rest("PUT /conversations/{conversationId}/mute", "/conversations/{dm}/mute",
         by_relation(200, 200, 404, 404, 404, moderator=404), {}, variant="the 1:1's"),
    Rest("DELETE /conversations/{conversationId}/mute", "/conversations/{group}/mute",
         by_relation(204, 204, 403, 403, 404), variant="the group's"),
    Rest("DELETE /conversations/{conversationId}/mute", "/conversations/{dm}/mute",
         by_relation(204, 204, 404, 404, 404, moderator=404), variant="the 1:1's"),
]

_NOT_IN_GROUP = ("not_a_member", "banned", "group_not_found")
_NOT_IN_DM = ("conversation_not_found",) * 3


def in_dm(owner, member):
    """A 1:1 between the owner and the member: the moderator is as much a stranger to it as the others."""
    return by_relation(owner, member, *_NOT_IN_DM, moderator="conversation_not_found")

WS = [
    Ws("$connect", {}, signed_in("connected")),
    Ws("ping", {"action": "ping"}, signed_in("pong")),
    Ws("sendMessage", {"action": "sendMessage", "conversationId": "{group}", **TEXT},
       by_relation("ack", "ack", *_NOT_IN_GROUP), "to the group"),
    Ws("sendMessage", {"action": "sendMessage", "conversationId": "{dm}", **TEXT},
       in_dm("ack", "ack"), "to the 1:1"),
    Ws("typing", {"action": "typing", "conversationId": "{group}", "isTyping": True},
       by_relation("published", "published", *_NOT_IN_GROUP), "in the group"),
    Ws("typing", {"action": "typing", "conversationId": "{dm}", "isTyping": True},
       in_dm("published", "published"), "in the 1:1"),
    Ws("markRead", {"action": "markRead", "conversationId": "{group}", "seq": 1},
       by_relation("read", "read", *_NOT_IN_GROUP), "in the group"),
    Ws("markRead", {"action": "markRead", "conversationId": "{dm}", "seq": 1},
       in_dm("read", "read"), "in the 1:1"),
    Ws("presence", {"action": "presence", "conversationId": "{group}"},
       by_relation("presence", "presence", *_NOT_IN_GROUP), "of the group"),
    Ws("presence", {"action": "presence", "conversationId": "{dm}"},
       in_dm("presence", "presence"), "of the 1:1"),
]


class Scene:
    """The people and resources of every case, and the database state they start from."""

    def __init__(self, client):
        self.users, self.tokens, self.emails, self.refresh, self.sessions = {}, {}, {}, {}, {}
        for role in ("owner", "moderator", "member", "pending", "banned", "outsider", "other"):
            email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
            self._ok(call(client, "POST", "/register", {"email": email, "password": PASSWORD, "name": role.title()}))
            login = self._ok(call(client, "POST", "/login", {"email": email, "password": PASSWORD}))
            self.users[role], self.tokens[role], self.emails[role] = login["user"]["id"], login["token"], email
            self.refresh[role], self.sessions[role] = login["refreshToken"], login["sessionId"]
        owner = self.tokens["owner"]
        self.group = self._ok(call(client, "POST", "/groups/create", {"name": "Secret", "type": "private"},
                                   token=owner))["group"]["id"]
        for role in ("moderator", "member", "pending", "banned"):
            self._ok(call(client, "POST", f"/groups/{self.group}/request/{self.users[role]}", token=self.tokens[role]))
        for role in ("moderator", "member", "banned"):
            self._ok(call(client, "POST", f"/groups/{self.group}/approve/{self.users[role]}", token=owner))
        self._ok(call(client, "PUT", f"/groups/{self.group}/moderators/{self.users['moderator']}", token=owner))
        self._ok(call(client, "POST", f"/groups/{self.group}/ban/{self.users['banned']}", token=owner))
        self.group_message = self._ok(call(client, "POST", "/messages/send", {"groupId": self.group, "text": "welcome"},
                                           token=owner))["message"]["id"]
        direct = self._ok(call(client, "PUT", "/messages", {
            "participants": [self.emails["owner"], self.emails["member"]],
            "message": {"sender": self.emails["owner"], "text": "just us"}}, token=owner))
        self.dm, self.dm_message = direct["conversationId"], direct["message"]["id"]
        self.group_file = self._sent_file(client, self.group)
        self.dm_file = self._sent_file(client, self.dm)
        invite = self._ok(call(client, "POST", f"/groups/{self.group}/invites", {}, token=owner))["invite"]
        self.invite, self.invite_code = invite["id"], invite["code"]
        self.report = self._ok(call(client, "POST", f"/messages/{self.group}/{self.group_message}/report",
                                    {"reason": "rude"}, token=self.tokens["member"]))["report"]["id"]
        self.device = self._ok(call(client, "POST", "/devices", {"platform": "fcm", "token": uuid.uuid4().hex * 2},
                                    token=owner))["device"]["id"]
        # Issued two lifetimes ago: expired, though its signature and claims are right.
        self.tokens["expired"] = services.tokens().issue(
            self.users["member"], self.sessions["member"], now=time.time() - 2 * services.tokens().ttl_seconds())

    def _sent_file(self, client, conversation_id):
        """A file the owner uploaded (through its presigned POST) and sent in the conversation."""
        import requests

        owner = self.tokens["owner"]
        declared = self._ok(call(client, "POST", "/attachments", {"conversationId": conversation_id, **FILE},
                                 token=owner))
        upload = declared["upload"]
        posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("note.txt", b"hello")}, timeout=10)
        assert posted.status_code == 204, posted.text
        file_id = declared["attachment"]["id"]
        self._ok(call(client, "POST", "/messages/send", {"conversationId": conversation_id, "text": "",
                                                         "attachments": [file_id]}, token=owner))
        return file_id

    @staticmethod
    def _ok(answer):
        status, body, _ = answer
        assert status < 300, body
        return body

    def own(self, actor):
        """The role whose id and email `actor` uses as its own."""
        return {"anonymous": "other", "expired": "member"}.get(actor, actor)

    def values(self, actor):
        me = self.own(actor)
        return {"group": self.group, "dm": self.dm, "group_file": self.group_file, "dm_file": self.dm_file,
                "device": self.device, "fresh_token": uuid.uuid4().hex * 2,
                "self": self.users[me], "self_email": self.emails[me],
                "group_message": self.group_message, "dm_message": self.dm_message, "invite": self.invite,
                "invite_code": self.invite_code, "report": self.report,
                "refresh": self.refresh[me], "session": self.sessions[me], "owner_session": self.sessions["owner"],
                "fresh_email": f"new-{uuid.uuid4().hex[:10]}@example.com",
                **self.users, **{f"{role}_email": email for role, email in self.emails.items()}}

    def fill(self, template, actor):
        values = self.values(actor)

        def filled(part):
            if isinstance(part, str):
                return part.format(**values)
            if isinstance(part, dict):
                return {key: filled(value) for key, value in part.items()}
            if isinstance(part, list):
                return [filled(item) for item in part]
            return part

        return filled(template)


def _state(database):
    """Every stored document, by collection (empty collections left out)."""
    state = {name: sorted(database[name].find({}, {field: 0 for field in IGNORED_FIELDS.get(name, ())} or None),
                          key=lambda doc: str(doc["_id"]))
             for name in database.list_collection_names() if name not in IGNORED}
    return {name: documents for name, documents in state.items() if documents}


@pytest.fixture(scope="module")
def scene(test_settings):
    """The scene, built once through the API; yields (scene, its stored state)."""
    from chalice.test import Client

    from app import app
    from chalicelib.storage.mongo import database

    database_ = database()
    for name in database_.list_collection_names():
        database_[name].delete_many({})
    with Client(app, stage_name="unit-tests") as client:
        built = Scene(client)
    state = _state(database_)
    for name in database_.list_collection_names():
        database_[name].delete_many({})
    yield built, state


@pytest.fixture
def restored_scene(scene, db):
    """The scene's stored state, restored for one case."""
    built, state = scene
    for name, documents in state.items():
        db[name].insert_many(documents)
    return built, state


def _cases(rows):
    return [pytest.param(row, actor, expected, id=f"{row.id} as {actor}")
            for row in rows for actor, expected in zip(ACTORS, row.expect)]


def test_every_route_and_action_has_a_row():
    from app import app

    declared = {f"{method} {path}" for path, entry in app.routes.items() for method in entry}
    assert declared == {row.route for row in REST}
    assert set(FRAME_SCHEMAS) | {"$connect"} == {row.action for row in WS}
    for row in REST + WS:
        assert len(row.expect) == len(ACTORS), row.id


@pytest.mark.parametrize("row, actor, expected", _cases(REST))
def test_rest(client, db, restored_scene, row, actor, expected):
    scene, before = restored_scene
    body = scene.fill(row.body, actor) if row.body is not None else None

    status, reply, _ = call(client, row.route.split()[0], scene.fill(row.path, actor), body,
                            token=scene.tokens.get(actor))

    assert status == expected, reply
    if status >= 400:
        assert set(reply) == {"error"} and reply["error"]["code"] and reply["error"]["message"], reply
        assert _state(db) == before, "a refused call changed something"


@pytest.mark.parametrize("row, actor, expected", _cases(WS))
def test_websocket(db, restored_scene, row, actor, expected):
    scene, _ = restored_scene
    pusher, publisher = RecordingPusher(), RecordingPublisher()
    realtime = services.build(db, pusher=pusher, publisher=publisher).sockets
    try:
        realtime.connect("conn-under-test", ENDPOINT, token=scene.tokens.get(actor))
    except NotAuthenticated:
        assert expected == 401
        assert db["connections"].count_documents({}) == 0
        return
    if row.action == "$connect":
        assert expected == "connected" and db["connections"].count_documents({"userId": scene.users[actor]}) == 1
        return
    publisher.published.clear()  # a first connection announces its user online: not the frame's doing
    before = _state(db)

    realtime.receive("conn-under-test", ENDPOINT, json.dumps(scene.fill(row.frame, actor)))

    replies = [frame for _, _, frame in pusher.sent]
    if expected == "published":
        assert replies == [] and [job["event"]["type"] for job in publisher.published] == [row.action]
        return
    (reply,) = replies
    outcome = reply["error"]["code"] if reply["type"] == "error" else reply["type"]
    assert outcome == expected, reply
    if reply["type"] == "error":
        assert publisher.published == []
        assert _state(db) == before, "a refused frame changed something"
