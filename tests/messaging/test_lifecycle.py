"""Edit, delete, replies, mentions and catch-up: the use cases built by services.build on
the real MongoDB wire protocol, moto's KMS and a recording publisher."""
from datetime import timedelta

import pytest

from chalicelib import services
from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from chalicelib.crypto.cipher import message_aad, open_sealed
from chalicelib.messaging.lifecycle import EDIT_WINDOW
from chalicelib.messaging.schemas import MAX_TEXT_CHARS
from chalicelib.storage.conversations import direct_conversation_id
from chalicelib.storage.users import UserStore
from tests.fakes import RecordingPublisher
from tests.helpers import make_group, set_membership


class RecordingAttachments:
    def __init__(self):
        self.deleted = []

    def delete_objects(self, conversation_id, attachment_ids):
        self.deleted.append((conversation_id, list(attachment_ids)))


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def people(db):
    users = UserStore(db)
    return {name: users.create(email=f"{name}@example.com", name=name.title(), password_hash="x")["_id"]
            for name in ("alice", "bob", "carol", "dave")}


@pytest.fixture
def publisher():
    return RecordingPublisher()


@pytest.fixture
def attachments():
    return RecordingAttachments()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(db, key_service, publisher, attachments, clock):
    return services.build(db, key_service=key_service, publisher=publisher, message_attachments=attachments,
                          clock=clock)


@pytest.fixture
def group(db, people):
    """Alice owns it; Bob and Dave are members; Carol is not."""
    return make_group(db, people["alice"], members=[people["bob"], people["dave"]])


def _unchanged(db):
    return {name: list(db[name].find()) for name in ("messages", "reactions") if name in db.list_collection_names()}


class TestEdit:
    def test_the_sender_edits_and_history_shows_it_in_the_same_slot(self, app, group, people, publisher):
        first = app.messaging.send(people["bob"], group, "helo")
        second = app.messaging.send(people["bob"], group, "second")
        edited = app.message_lifecycle.edit(people["bob"], group, first["id"], "hello")
        assert edited["text"] == "hello" and edited["editedAt"] and edited["version"] == 2
        assert (edited["id"], edited["seq"], edited["createdAt"]) == (first["id"], 1, first["createdAt"])
        page = app.messaging.history(people["alice"], group)["messages"]
        assert [m["text"] for m in page] == ["hello", "second"] and page[0] == edited and page[1] == second
        (event,) = publisher.of_type("message.edited")
        assert event["event"] == {"type": "message.edited", "conversationId": group, "message": edited,
                                  "actorId": people["bob"]}
        assert event["conversationId"] == group

    def test_an_edit_is_sealed_under_the_current_key_with_the_same_binding(self, app, db, group, people):
        sent = app.messaging.send(people["bob"], group, "before rotation")
        assert app.messaging.rotate_key(group) == 2
        app.message_lifecycle.edit(people["bob"], group, sent["id"], "after rotation")
        stored = db["messages"].find_one({"_id": sent["id"]})
        assert stored["keyVersion"] == 2 and b"after rotation" not in stored["ciphertext"]
        aad = message_aad(conversation_id=group, message_id=sent["id"], sender_id=people["bob"], key_version=2)
        assert open_sealed(app.keyring.key(group, 2), stored["nonce"], stored["ciphertext"], aad) == "after rotation"

    def test_edits_in_a_one_to_one_reach_both_participants(self, app, people, publisher, db):
        emails = ["alice@example.com", "bob@example.com"]
        sent = app.messaging.send_direct(people["alice"], emails, emails[0], "hi")
        conversation_id = sent["conversationId"]
        app.message_lifecycle.edit(people["alice"], conversation_id, sent["message"]["id"], "hi bob")
        (event,) = publisher.of_type("message.edited")
        assert sorted(event["userIds"]) == sorted([people["alice"], people["bob"]])

    @pytest.mark.parametrize("who, text, error, code", [
        ("alice", "mine now", Forbidden, "not_the_sender"),  # the group's owner, not the sender
        ("carol", "let me", Forbidden, "not_a_member"),
        ("bob", "   ", InvalidInput, "empty_text"),
        ("bob", "x" * (MAX_TEXT_CHARS + 1), TooLarge, "text_too_large"),
    ])
    def test_refused_edits_change_nothing(self, app, db, group, people, publisher, who, text, error, code):
        sent = app.messaging.send(people["bob"], group, "original")
        before = _unchanged(db)
        with pytest.raises(error) as refused:
            app.message_lifecycle.edit(people[who], group, sent["id"], text)
        assert refused.value.code == code
        assert _unchanged(db) == before and publisher.of_type("message.edited") == []

    def test_a_message_of_another_conversation_is_not_found(self, app, db, group, people):
        other = make_group(db, people["bob"], name="Other")
        sent = app.messaging.send(people["bob"], other, "elsewhere")
        with pytest.raises(NotFound) as refused:
            app.message_lifecycle.edit(people["bob"], group, sent["id"], "moved?")
        assert refused.value.code == "message_not_found"
        with pytest.raises(NotFound):
            app.message_lifecycle.edit(people["bob"], group, "no-such-message-id", "x")

    def test_a_deleted_message_cannot_be_edited(self, app, db, group, people):
        sent = app.messaging.send(people["bob"], group, "gone soon")
        app.message_lifecycle.delete(people["bob"], group, sent["id"])
        before = _unchanged(db)
        with pytest.raises(Conflict) as refused:
            app.message_lifecycle.edit(people["bob"], group, sent["id"], "back?")
        assert refused.value.code == "message_deleted" and _unchanged(db) == before

    def test_the_edit_window_closes(self, app, db, group, people, clock):
        sent = app.messaging.send(people["bob"], group, "old news")
        clock.now = clock.now + EDIT_WINDOW - timedelta(seconds=1)
        app.message_lifecycle.edit(people["bob"], group, sent["id"], "still in time")
        clock.now = clock.now + timedelta(seconds=2)
        with pytest.raises(Conflict) as refused:
            app.message_lifecycle.edit(people["bob"], group, sent["id"], "too late")
        assert refused.value.code == "edit_window_closed"


class TestDelete:
    def test_the_sender_deletes_and_the_ciphertext_is_gone_from_the_database(self, app, db, group, people, publisher):
        app.messaging.send(people["bob"], group, "keep")
        secret = app.messaging.send(people["bob"], group, "the secret plan")
        app.message_lifecycle.delete(people["bob"], group, secret["id"])
        stored = db["messages"].find_one({"_id": secret["id"]})
        for field in ("ciphertext", "nonce", "keyVersion", "attachments", "reactions"):
            assert field not in stored
        assert stored["deleted"] is True and stored["seq"] == 2
        # Nothing anywhere in the database holds the text, sealed or not.
        for name in db.list_collection_names():
            for document in db[name].find():
                assert b"the secret plan" not in repr(document).encode() and "the secret plan" not in repr(document)
        page = app.messaging.history(people["dave"], group)["messages"]
        tombstone = page[1]
        assert tombstone["deleted"] is True and tombstone["text"] is None and tombstone["seq"] == 2
        assert "attachments" not in tombstone and tombstone["reactions"] == [] and tombstone["deletedAt"]
        (event,) = publisher.of_type("message.deleted")
        assert event["event"]["message"] == tombstone and event["event"]["conversationId"] == group

    @pytest.mark.parametrize("role", ["owner", "moderator"])
    def test_the_owner_or_a_moderator_deletes_anyones_message(self, app, db, group, people, role):
        sent = app.messaging.send(people["bob"], group, "off topic")
        deleter = people["alice"]
        if role == "moderator":
            deleter = people["dave"]
            set_membership(db, group, deleter, "member", role="moderator")
        app.message_lifecycle.delete(deleter, group, sent["id"])
        stored = db["messages"].find_one({"_id": sent["id"]})
        assert stored["deleted"] is True and stored["deletedBy"] == deleter

    @pytest.mark.parametrize("sender", ["alice", "bob"], ids=["the owner's", "another moderator's"])
    def test_a_moderator_cannot_delete_the_owners_or_another_moderators_message(self, app, db, group, people, sender):
        set_membership(db, group, people["dave"], "member", role="moderator")
        set_membership(db, group, people["bob"], "member", role="moderator")
        sent = app.messaging.send(people[sender], group, "from above")
        before = _unchanged(db)
        with pytest.raises(Forbidden):
            app.message_lifecycle.delete(people["dave"], group, sent["id"])
        assert _unchanged(db) == before

    def test_a_plain_member_cannot_delete_someone_elses_message(self, app, db, group, people, publisher):
        sent = app.messaging.send(people["bob"], group, "mine")
        before = _unchanged(db)
        with pytest.raises(Forbidden) as refused:
            app.message_lifecycle.delete(people["dave"], group, sent["id"])
        assert refused.value.code == "not_allowed" and _unchanged(db) == before
        assert publisher.of_type("message.deleted") == []

    def test_in_a_one_to_one_only_the_sender_deletes(self, app, people):
        emails = ["alice@example.com", "bob@example.com"]
        sent = app.messaging.send_direct(people["alice"], emails, emails[0], "hi")
        with pytest.raises(Forbidden):
            app.message_lifecycle.delete(people["bob"], sent["conversationId"], sent["message"]["id"])
        app.message_lifecycle.delete(people["alice"], sent["conversationId"], sent["message"]["id"])

    def test_deleting_again_changes_nothing(self, app, db, group, people, publisher):
        sent = app.messaging.send(people["bob"], group, "once")
        app.message_lifecycle.delete(people["bob"], group, sent["id"])
        before = _unchanged(db)
        assert app.message_lifecycle.delete(people["bob"], group, sent["id"]) is None
        assert _unchanged(db) == before and len(publisher.of_type("message.deleted")) == 1

    def test_attachment_objects_are_removed_and_reactions_go(self, app, db, group, people, attachments):
        sent = app.messaging.send(people["bob"], group, "see attached")
        db["messages"].update_one({"_id": sent["id"]}, {"$set": {"attachments": ["att-1-xxxxxx", "att-2-xxxxxx"]}})
        app.message_reactions.add(people["alice"], group, sent["id"], "👍")
        app.message_lifecycle.delete(people["bob"], group, sent["id"])
        assert attachments.deleted == [(group, ["att-1-xxxxxx", "att-2-xxxxxx"])]
        assert db["reactions"].count_documents({}) == 0
        assert "attachments" not in db["messages"].find_one({"_id": sent["id"]})

    def test_a_failing_attachment_store_leaves_the_message_whole(self, app, db, group, people):
        class Broken:
            def delete_objects(self, conversation_id, attachment_ids):
                raise ConnectionError("s3 down")

        app.message_lifecycle._attachments = Broken()
        sent = app.messaging.send(people["bob"], group, "with file")
        db["messages"].update_one({"_id": sent["id"]}, {"$set": {"attachments": ["att-1-xxxxxx"]}})
        with pytest.raises(ConnectionError):
            app.message_lifecycle.delete(people["bob"], group, sent["id"])
        assert "ciphertext" in db["messages"].find_one({"_id": sent["id"]})


class TestRepliesAndMentions:
    def test_a_reply_and_mentions_are_carried(self, app, group, people):
        first = app.messaging.send(people["alice"], group, "who's in?")
        reply = app.messaging.send(people["bob"], group, "me and @dave", reply_to=first["id"],
                                   mentions=[people["dave"], people["dave"], people["alice"]])
        assert reply["replyTo"] == first["id"] and reply["mentions"] == [people["dave"], people["alice"]]
        assert app.messaging.history(people["dave"], group)["messages"][1] == reply

    def test_in_a_one_to_one_the_participants_can_be_mentioned(self, app, people):
        emails = ["alice@example.com", "bob@example.com"]
        sent = app.messaging.send_direct(people["alice"], emails, emails[0], "hi @bob", mentions=[people["bob"]])
        assert sent["message"]["mentions"] == [people["bob"]]
        with pytest.raises(InvalidInput):
            app.messaging.send_direct(people["alice"], emails, emails[0], "hi @carol", mentions=[people["carol"]])

    @pytest.mark.parametrize("case", ["reply elsewhere", "reply unknown", "reply deleted", "mention outsider",
                                      "mention former member"])
    def test_bad_references_are_refused_and_nothing_is_stored(self, app, db, group, people, case):
        other = make_group(db, people["bob"], name="Other")
        elsewhere = app.messaging.send(people["bob"], other, "elsewhere")
        gone = app.messaging.send(people["bob"], group, "gone")
        app.message_lifecycle.delete(people["bob"], group, gone["id"])
        set_membership(db, group, people["dave"], None)
        arguments = {
            "reply elsewhere": {"reply_to": elsewhere["id"]},
            "reply unknown": {"reply_to": "no-such-message"},
            "reply deleted": {"reply_to": gone["id"]},
            "mention outsider": {"mentions": [people["carol"]]},
            "mention former member": {"mentions": [people["alice"], people["dave"]]},
        }[case]
        count = db["messages"].count_documents({})
        with pytest.raises(InvalidInput) as refused:
            app.messaging.send(people["bob"], group, "refused", **arguments)
        assert refused.value.code in ("invalid_reply_to", "invalid_mentions")
        assert db["messages"].count_documents({}) == count


class TestCatchUp:
    def test_changes_since_a_cursor_come_in_change_order_with_the_latest_state(self, app, group, people, clock):
        sent = [app.messaging.send(people["bob"], group, f"m{index}") for index in range(4)]
        cursor = app.messaging.history(people["alice"], group)["changeCursor"]
        clock.now += timedelta(minutes=5)  # past the cursor's margin
        app.message_lifecycle.edit(people["bob"], group, sent[2]["id"], "m2 edited")
        clock.now += timedelta(milliseconds=5)
        app.message_lifecycle.delete(people["bob"], group, sent[0]["id"])
        clock.now += timedelta(milliseconds=5)
        app.message_reactions.add(people["alice"], group, sent[2]["id"], "🎉")
        changes = app.message_lifecycle.changes(people["alice"], group, cursor)
        assert [(m["id"], m["version"]) for m in changes["messages"]] == [(sent[0]["id"], 2), (sent[2]["id"], 3)]
        assert changes["messages"][1]["text"] == "m2 edited"
        assert changes["messages"][1]["reactions"] == [{"emoji": "🎉", "count": 1, "me": True}]
        assert changes["hasMore"] is False

    def test_changes_page_on_with_the_cursor_they_return(self, app, group, people, clock):
        sent = [app.messaging.send(people["bob"], group, f"m{index}") for index in range(5)]
        cursor = app.messaging.history(people["alice"], group)["changeCursor"]
        clock.now += timedelta(minutes=5)
        for message in sent:
            app.message_lifecycle.edit(people["bob"], group, message["id"], message["text"] + "!")
        seen = []
        while True:
            page = app.message_lifecycle.changes(people["alice"], group, cursor, limit=2)
            seen += [m["id"] for m in page["messages"]]
            cursor = page["changeCursor"]
            if not page["hasMore"]:
                break
        assert sorted(seen) == sorted(m["id"] for m in sent)  # each once (same instant: in id order)

    def test_only_members_catch_up_and_a_bad_cursor_is_refused(self, app, group, people):
        with pytest.raises(Forbidden):
            app.message_lifecycle.changes(people["carol"], group, "0")


def test_direct_ids_are_recognised(people):
    assert direct_conversation_id(people["alice"], people["bob"]).startswith("dm_")
