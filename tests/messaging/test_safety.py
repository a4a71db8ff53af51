"""Safety in messaging: blocks in 1:1 chats, a group's "joined" history visibility, and
reports of group messages (use cases wired by services.build on the real database, moto's
KMS; routes through chalice.test.Client)."""
import time

import pytest

from chalicelib import services
from chalicelib.core.errors import Forbidden, InvalidInput, NotFound
from chalicelib.realtime.sockets import Sockets
from chalicelib.storage.conversations import direct_conversation_id
from tests.fakes import RecordingPublisher, RecordingPusher
from tests.helpers import call, new_user


class Scene:
    def __init__(self, db, key_service):
        self.publisher = RecordingPublisher()
        self.wired = services.build(db, publisher=self.publisher, key_service=key_service)
        self.messaging = self.wired.messaging
        self.users = {}
        for name in ("alice", "bob", "carol", "dave"):
            self.users[name] = self.wired.user_store.create(
                email=f"{name}@example.com", name=name.title(), password_hash="x")["_id"]

    def __getitem__(self, name):
        return self.users[name]

    def email(self, name):
        return f"{name}@example.com"

    def dm(self, sender, other, text="hi"):
        return self.messaging.send_direct(self[sender], [self.email(sender), self.email(other)], self.email(sender),
                                          text)

    def group(self, owner, visibility="shared", members=()):
        group_id = self.wired.groups.create(self[owner], name="Team", group_type="open",
                                            history_visibility=visibility)["id"]
        for member in members:
            self.join(group_id, member)
        return group_id

    def join(self, group_id, name):
        time.sleep(0.01)  # stored times have millisecond precision: keep "before" and "after" apart
        self.wired.group_joining.request(group_id, self[name], self[name])
        time.sleep(0.01)

    def say(self, name, group_id, text):
        return self.messaging.send(self[name], group_id, text)


@pytest.fixture
def scene(db, key_service):
    return Scene(db, key_service)


# Blocks ------------------------------------------------------------------------------------


def test_a_blocked_user_cannot_send_to_the_blocker(scene):
    conversation_id = scene.dm("alice", "bob")["conversationId"]
    scene.wired.blocking.block(scene["bob"], scene["alice"])

    with pytest.raises(Forbidden) as refused:
        scene.dm("alice", "bob")
    assert refused.value.code == "blocked"
    with pytest.raises(Forbidden):
        scene.messaging.send(scene["alice"], conversation_id, "by id")
    scene.dm("bob", "alice", "the blocker still may")  # the contract stops the blocked side only

    scene.wired.blocking.unblock(scene["bob"], scene["alice"])
    scene.dm("alice", "bob", "friends again")


def test_a_blocked_user_cannot_start_a_conversation(scene, db):
    scene.wired.blocking.block(scene["carol"], scene["alice"])

    with pytest.raises(Forbidden):
        scene.dm("alice", "carol")

    assert db["conversations"].find_one({"_id": direct_conversation_id(scene["alice"], scene["carol"])}) is None


def test_groups_are_untouched_by_blocks(scene):
    group_id = scene.group("alice", members=["bob"])
    scene.wired.blocking.block(scene["alice"], scene["bob"])

    assert scene.say("bob", group_id, "still here")["text"] == "still here"


def test_the_block_list(scene):
    blocking = scene.wired.blocking
    blocking.block(scene["alice"], scene["bob"])
    blocking.block(scene["alice"], scene["bob"])  # again: harmless
    blocking.block(scene["alice"], scene["carol"])

    listed = blocking.blocked(scene["alice"])["blocked"]
    assert {row["userId"]: row["name"] for row in listed} == {scene["bob"]: "Bob", scene["carol"]: "Carol"}
    page = blocking.blocked(scene["alice"], limit=1)
    assert len(page["blocked"]) == 1 and page["nextCursor"]
    with pytest.raises(InvalidInput):
        blocking.block(scene["alice"], scene["alice"])
    with pytest.raises(NotFound):
        blocking.block(scene["alice"], "no-such-user-xx")


def test_typing_and_presence_stop_between_the_two(scene, db):
    group_id = scene.group("alice", members=["bob", "carol"])
    scene.wired.blocking.block(scene["bob"], scene["alice"])
    pusher = RecordingPusher()
    wired = scene.wired
    sockets = Sockets(sessions=wired.sessions, tickets=wired.ticket_store, connections=wired.connection_store,
                      pusher=pusher, publisher=scene.publisher, conversations=wired.messaging,
                      audience=wired.audience, limiter=wired.limiter, blocks=wired.block_store)
    for name in ("alice", "bob", "carol"):
        wired.connection_store.add(f"conn-{name}", scene[name], "http://gateway.test")

    sockets.receive("conn-alice", "http://gateway.test",
                    f'{{"action": "typing", "conversationId": "{group_id}", "isTyping": true}}')
    sockets.receive("conn-bob", "http://gateway.test", f'{{"action": "presence", "conversationId": "{group_id}"}}')
    sockets.receive("conn-carol", "http://gateway.test", f'{{"action": "presence", "conversationId": "{group_id}"}}')

    (typing,) = scene.publisher.of_type("typing")
    assert set(typing["exceptUserIds"]) == {scene["alice"], scene["bob"]}
    by_connection = {connection: frame for _, connection, frame in pusher.sent}
    assert by_connection["conn-bob"]["online"] == {scene["alice"]: False, scene["bob"]: True, scene["carol"]: True}
    assert by_connection["conn-carol"]["online"][scene["alice"]] is True


def test_block_routes(client):
    alice, alice_token = new_user(client, "block-alice@example.com", name="Alice")
    bob, bob_token = new_user(client, "block-bob@example.com", name="Bob")

    status, body, _ = call(client, "PUT", f"/users/{alice['id']}/block", token=bob_token)
    assert status == 200 and body["block"]["userId"] == alice["id"] and body["block"]["name"] == "Alice"
    status, body, _ = call(client, "GET", "/users/blocked", token=bob_token)
    assert [row["userId"] for row in body["blocked"]] == [alice["id"]]
    status, body, _ = call(client, "PUT", "/messages", {
        "participants": [alice["email"], bob["email"]], "message": {"sender": alice["email"], "text": "hey"}},
        token=alice_token)
    assert (status, body["error"]["code"]) == (403, "blocked")
    status, _, _ = call(client, "DELETE", f"/users/{alice['id']}/block", token=bob_token)
    assert status == 204
    status, body, _ = call(client, "GET", "/users/blocked", token=bob_token)
    assert body == {"blocked": [], "nextCursor": None}
    status, body, _ = call(client, "PUT", f"/users/{bob['id']}/block", token=bob_token)
    assert (status, body["error"]["code"]) == (400, "self_block")


# History visibility ------------------------------------------------------------------------


def test_joined_visibility_shows_members_only_what_came_after_they_joined(scene):
    group_id = scene.group("alice", "joined")
    before = scene.say("alice", group_id, "before bob")
    scene.join(group_id, "bob")
    after = scene.say("alice", group_id, "after bob")

    def texts(name, **page):
        return [m["text"] for m in scene.messaging.history(scene[name], group_id, **page)["messages"]]

    assert texts("alice") == ["before bob", "after bob"]
    assert texts("bob") == ["after bob"]
    assert texts("bob", after=0) == ["after bob"]  # catch-up takes the same floor
    assert texts("bob", before=after["seq"]) == []
    assert before["seq"] == 1


def test_joined_visibility_holds_for_the_changed_since_catch_up(scene):
    group_id = scene.group("alice", "joined")
    before = scene.say("alice", group_id, "before bob")
    scene.join(group_id, "bob")
    after = scene.say("alice", group_id, "after bob")
    cursor = scene.messaging.history(scene["bob"], group_id)["changeCursor"]
    time.sleep(0.01)
    lifecycle = scene.wired.message_lifecycle
    lifecycle.edit(scene["alice"], group_id, before["id"], "before bob, edited")
    lifecycle.edit(scene["alice"], group_id, after["id"], "after bob, edited")

    def changed(name):
        return [m["text"] for m in lifecycle.changes(scene[name], group_id, cursor)["messages"]]

    assert changed("bob") == ["after bob, edited"]
    assert changed("alice") == ["before bob, edited", "after bob, edited"]


def test_lifecycle_events_name_when_the_message_was_sent_so_the_audience_can_filter(scene):
    from chalicelib.core.clock import parse_iso

    group_id = scene.group("alice", "joined")
    before = scene.say("alice", group_id, "before bob")
    scene.join(group_id, "bob")
    scene.wired.message_lifecycle.edit(scene["alice"], group_id, before["id"], "edited")
    (edited,) = scene.publisher.of_type("message.edited")
    assert edited["conversationId"] == group_id and edited["sentAt"] == parse_iso(before["createdAt"])
    # ...and the production audience leaves Bob out of it (he joined after), not Alice.
    assert scene.wired.audience.member_ids(group_id, sent_at=edited["sentAt"]) == [scene["alice"]]


def test_the_conversation_list_hides_what_came_before_the_join(scene):
    group_id = scene.group("alice", "joined")
    scene.say("alice", group_id, "before bob")
    scene.join(group_id, "bob")

    (entry,) = scene.messaging.conversations_of(scene["bob"])["conversations"]
    assert entry["lastMessage"] is None and entry["unreadCount"] == 0

    scene.say("alice", group_id, "after bob")
    (entry,) = scene.messaging.conversations_of(scene["bob"])["conversations"]
    assert entry["lastMessage"]["text"] == "after bob" and entry["unreadCount"] == 1


def test_rejoining_moves_the_floor_and_shared_shows_everything(scene):
    group_id = scene.group("alice", "joined", members=["bob"])
    scene.say("alice", group_id, "first")
    scene.wired.group_joining.leave(group_id, scene["bob"], scene["bob"])
    scene.say("alice", group_id, "while away")
    scene.join(group_id, "bob")
    scene.say("alice", group_id, "back")

    assert [m["text"] for m in scene.messaging.history(scene["bob"], group_id)["messages"]] == ["back"]
    scene.wired.groups.update(group_id, scene["alice"], history_visibility="shared")
    assert len(scene.messaging.history(scene["bob"], group_id)["messages"]) == 3


def test_visibility_at_create_and_by_patch(client):
    _, token = new_user(client, "vis-owner@example.com")
    status, body, _ = call(client, "POST", "/groups/create",
                           {"name": "Vis", "type": "open", "historyVisibility": "joined"}, token=token)
    assert status == 201 and body["group"]["historyVisibility"] == "joined"
    group_id = body["group"]["id"]
    status, body, _ = call(client, "PATCH", f"/groups/{group_id}", {"historyVisibility": "shared"}, token=token)
    assert status == 200 and body["group"]["historyVisibility"] == "shared"
    status, _, _ = call(client, "PATCH", f"/groups/{group_id}", {"historyVisibility": "never"}, token=token)
    assert status == 400


# Reports -----------------------------------------------------------------------------------


def test_members_report_and_moderators_read_the_message_decrypted(scene, db):
    group_id = scene.group("alice", members=["bob", "carol", "dave"])
    scene.wired.group_roles.promote(group_id, scene["carol"], scene["alice"])
    message = scene.say("dave", group_id, "something nasty")
    reports = scene.wired.reports

    first = reports.report(scene["bob"], group_id, message["id"], "  abusive  ")["report"]
    again = reports.report(scene["bob"], group_id, message["id"], "still abusive")["report"]

    assert again["id"] == first["id"] and first["reason"] == "abusive" and first["state"] == "open"
    (event,) = scene.publisher.of_type("report.created")
    assert set(event["userIds"]) == {scene["alice"], scene["carol"]} and event["conversationId"] is None
    assert "text" not in str(event["event"])
    for staff in ("alice", "carol"):
        (listed,) = reports.list(group_id, scene[staff])["reports"]
        assert listed["message"]["text"] == "something nasty" and listed["reporterName"] == "Bob"
    with pytest.raises(Forbidden):
        reports.list(group_id, scene["bob"])
    assert "something nasty" not in str(list(db["reports"].find()))

    resolved = reports.resolve(group_id, first["id"], scene["carol"], "warned dave")["report"]
    assert resolved["state"] == "resolved" and resolved["resolvedBy"] == scene["carol"]
    assert reports.list(group_id, scene["alice"])["reports"] == []
    assert reports.list(group_id, scene["alice"], state="resolved")["reports"][0]["resolution"] == "warned dave"
    assert reports.resolve(group_id, first["id"], scene["alice"])["report"]["resolvedBy"] == scene["carol"]


def test_what_cannot_be_reported(scene):
    group_id = scene.group("alice", "joined")
    old = scene.say("alice", group_id, "before bob")
    scene.join(group_id, "bob")
    other_group = scene.group("carol", members=["bob"])
    elsewhere = scene.say("carol", other_group, "elsewhere")
    dm = scene.dm("alice", "bob")
    reports = scene.wired.reports

    with pytest.raises(NotFound):
        reports.report(scene["bob"], group_id, old["id"], "cannot see it")  # before bob's join
    with pytest.raises(NotFound):
        reports.report(scene["bob"], group_id, elsewhere["id"], "wrong group")
    with pytest.raises(InvalidInput) as refused:
        reports.report(scene["bob"], dm["conversationId"], dm["message"]["id"], "in a 1:1")
    assert refused.value.code == "not_a_group"
    with pytest.raises(Forbidden):
        reports.report(scene["dave"], group_id, old["id"], "not a member")  # an open group: as its history


def test_report_routes(client):
    owner, owner_token = new_user(client, "rep-owner@example.com")
    member, member_token = new_user(client, "rep-member@example.com")
    group_id = call(client, "POST", "/groups/create", {"name": "R", "type": "open"}, token=owner_token)[1]["group"]["id"]
    call(client, "POST", f"/groups/{group_id}/request/{member['id']}", token=member_token)
    message = call(client, "POST", "/messages/send", {"groupId": group_id, "text": "spam spam"},
                   token=owner_token)[1]["message"]

    status, body, _ = call(client, "POST", f"/messages/{group_id}/{message['id']}/report", {"reason": "spam"},
                           token=member_token)
    assert status == 202 and body["report"]["messageId"] == message["id"]
    status, body, _ = call(client, "GET", f"/groups/{group_id}/reports", token=owner_token)
    assert status == 200 and body["reports"][0]["message"]["text"] == "spam spam"
    report_id = body["reports"][0]["id"]
    status, body, _ = call(client, "POST", f"/groups/{group_id}/reports/{report_id}/resolve", token=owner_token)
    assert status == 200 and body["report"]["state"] == "resolved"
    status, body, _ = call(client, "POST", f"/messages/{group_id}/nope!/report", {"reason": "x"}, token=member_token)
    assert status == 404
    status, body, _ = call(client, "POST", f"/messages/{group_id}/{message['id']}/report", {"reason": ""},
                           token=member_token)
    assert status == 400
