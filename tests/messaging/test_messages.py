"""Messaging use cases over real stores (MongoDB wire protocol), moto's KMS and in-memory publishers."""
import threading

import pytest

from chalicelib import services
from chalicelib.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TooLarge,
    Unavailable,
)
from chalicelib.messaging.schemas import MAX_TEXT_CHARS
from chalicelib.storage.conversations import direct_conversation_id
from tests.fakes import RecordingPublisher
from tests.helpers import make_group, set_membership


class FailingPublisher(RecordingPublisher):
    """Refuses the first `failures` events (as a queue outage would), then records."""

    def __init__(self, failures):
        super().__init__()
        self.failures = failures

    def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=()):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("queue unreachable")
        super().publish(event, conversation_id=conversation_id, user_ids=user_ids, except_user_ids=except_user_ids)


def build(db, key_service, publisher=None):
    return services.build(db, key_service=key_service,
                          publisher=publisher if publisher is not None else RecordingPublisher()).messaging


@pytest.fixture
def messaging(db, key_service, publisher):
    return build(db, key_service, publisher)


@pytest.fixture
def group(db, people):
    return make_group(db, people["alice"], members=[people["bob"]])


class TestGroupMessages:
    def test_member_sends_and_members_read_back(self, messaging, group, people, publisher):
        sent = messaging.send(people["alice"], group, "hello team")
        assert sent["text"] == "hello team" and sent["seq"] == 1
        assert sent["conversationId"] == group
        assert (sent["senderId"], sent["sender"]) == (people["alice"], "alice@example.com")
        page = messaging.history(people["bob"], group)
        assert page["messages"] == [sent] and page["hasMore"] is False
        assert publisher.published == [{"event": {"type": "message", "message": sent},
                                        "conversationId": group, "userIds": [], "exceptUserIds": []}]

    def test_a_message_keeps_its_sender_s_name_after_they_are_banned(self, db, key_service, messaging, group, people):
        """The members list names current members only: a banned sender's messages carry his name."""
        messaging.send(people["bob"], group, "before the ban")
        services.build(db, key_service=key_service, publisher=RecordingPublisher()).group_moderation.ban(group, people["bob"], people["alice"])
        [message] = messaging.history(people["alice"], group)["messages"]
        assert (message["sender"], message["senderName"]) == ("bob@example.com", "Bob")

    def test_seq_grows_by_one(self, messaging, group, people):
        seqs = [messaging.send(people["bob"], group, f"m{i}")["seq"] for i in range(4)]
        assert seqs == [1, 2, 3, 4]

    def test_non_member_can_neither_send_nor_read(self, messaging, group, people, db):
        with pytest.raises(Forbidden):
            messaging.send(people["carol"], group, "let me in")
        with pytest.raises(Forbidden):
            messaging.history(people["carol"], group)
        assert db["messages"].count_documents({}) == 0

    def test_unknown_group_is_not_found(self, messaging, people):
        with pytest.raises(NotFound):
            messaging.send(people["alice"], "no-such-group-id", "hi")

    @pytest.mark.parametrize("state", ["banned", None, "pending"], ids=["banned", "left", "pending"])
    def test_member_who_loses_membership_loses_access_at_once(self, messaging, group, people, db, state):
        messaging.send(people["bob"], group, "before")
        set_membership(db, group, people["bob"], state)
        with pytest.raises(Forbidden):
            messaging.send(people["bob"], group, "after")
        with pytest.raises(Forbidden):
            messaging.history(people["bob"], group)

    def test_empty_and_oversized_text_change_nothing(self, messaging, group, people, db):
        for bad, error in ((" \n\t ", InvalidInput), ("", InvalidInput), ("x" * (MAX_TEXT_CHARS + 1), TooLarge)):
            with pytest.raises(error):
                messaging.send(people["alice"], group, bad)
        assert messaging.send(people["alice"], group, "x" * MAX_TEXT_CHARS)["seq"] == 1
        assert db["messages"].count_documents({}) == 1


class TestIdempotency:
    def test_retry_returns_the_first_message_and_publishes_again(self, messaging, group, people, publisher, db):
        first = messaging.send(people["alice"], group, "once", client_message_id="c-1")
        again = messaging.send(people["alice"], group, "once (edited retry)", client_message_id="c-1")
        assert again == first and again["text"] == "once" and again["clientMessageId"] == "c-1"
        assert db["messages"].count_documents({}) == 1
        assert len(publisher.of_type("message")) == 2
        assert messaging.send(people["alice"], group, "next")["seq"] == 2  # the retry took no seq

    def test_same_client_id_from_another_sender_is_another_message(self, messaging, group, people):
        first = messaging.send(people["alice"], group, "a", client_message_id="c-1")
        second = messaging.send(people["bob"], group, "b", client_message_id="c-1")
        assert first["id"] != second["id"] and second["seq"] == 2

    def test_concurrent_retries_store_one_message(self, db, key_service, group, people):
        results, errors = [], []
        barrier = threading.Barrier(8)

        def retry():
            messaging = build(db, key_service)  # each retry in its own "Lambda"
            barrier.wait()
            try:
                results.append(messaging.send(people["alice"], group, "exactly once", client_message_id="dup"))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=retry) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len({(r["id"], r["seq"], r["text"]) for r in results}) == 1 and results[0]["seq"] == 1
        assert db["messages"].count_documents({}) == 1

    def test_publish_failure_keeps_the_message_and_a_retry_delivers_it(self, db, key_service, group, people):
        publisher = FailingPublisher(failures=1)
        messaging = build(db, key_service, publisher)
        with pytest.raises(Unavailable) as raised:
            messaging.send(people["alice"], group, "important", client_message_id="c-9")
        assert raised.value.code == "delivery_unavailable"
        assert [m["text"] for m in messaging.history(people["bob"], group)["messages"]] == ["important"]
        retried = messaging.send(people["alice"], group, "important", client_message_id="c-9")
        assert retried["seq"] == 1
        assert [e["event"]["message"]["id"] for e in publisher.published] == [retried["id"]]
        assert db["messages"].count_documents({}) == 1


class TestDirectMessages:
    def test_either_participant_reads_the_one_conversation(self, messaging, people, publisher):
        sent = messaging.send_direct(people["alice"], ["alice@example.com", "bob@example.com"],
                                     "alice@example.com", "Hi Bob!", client_timestamp="2025-06-19T15:00:00Z")
        conversation_id = direct_conversation_id(people["alice"], people["bob"])
        assert sent["conversationId"] == conversation_id
        assert sent["message"]["clientTimestamp"] == "2025-06-19T15:00:00.000Z"
        reply = messaging.send_direct(people["bob"], ["Alice@Example.com", "bob@example.com"],
                                      "BOB@example.com", "Hi Alice")
        assert reply["conversationId"] == conversation_id and reply["message"]["seq"] == 2
        read = messaging.direct_history(people["bob"], ["bob@example.com", "alice@example.com"])
        assert [m["text"] for m in read["messages"]] == ["Hi Bob!", "Hi Alice"]
        assert read["participants"] == ["bob@example.com", "alice@example.com"]
        assert publisher.published[0]["userIds"] == sorted([people["alice"], people["bob"]])
        assert publisher.published[0]["conversationId"] is None

    def test_send_by_conversation_id_works_for_participants_only(self, messaging, people):
        conversation_id = messaging.send_direct(people["alice"], ["alice@example.com", "bob@example.com"],
                                                "alice@example.com", "first")["conversationId"]
        assert messaging.send(people["bob"], conversation_id, "second")["seq"] == 2
        with pytest.raises(NotFound):
            messaging.send(people["carol"], conversation_id, "intrude")
        with pytest.raises(NotFound):
            messaging.history(people["carol"], conversation_id)

    def test_unknown_conversation_id_is_not_found(self, messaging, people):
        with pytest.raises(NotFound):
            messaging.history(people["alice"], direct_conversation_id(people["alice"], people["carol"]))

    def test_caller_must_be_sender_and_participant(self, messaging, people, db):
        with pytest.raises(Forbidden):  # carol is not a participant
            messaging.send_direct(people["carol"], ["alice@example.com", "bob@example.com"], "carol@example.com", "x")
        with pytest.raises(Forbidden):  # alice claims to be bob
            messaging.send_direct(people["alice"], ["alice@example.com", "bob@example.com"], "bob@example.com", "x")
        with pytest.raises(NotFound):  # the other participant does not exist
            messaging.send_direct(people["alice"], ["alice@example.com", "nobody@example.com"],
                                  "alice@example.com", "x")
        with pytest.raises(InvalidInput):  # talking to oneself
            messaging.send_direct(people["alice"], ["alice@example.com", "ALICE@example.com"], "alice@example.com", "x")
        assert db["messages"].count_documents({}) == 0 and db["conversations"].count_documents({}) == 0

    def test_outsider_reading_a_pair_gets_not_found(self, messaging, people):
        messaging.send_direct(people["alice"], ["alice@example.com", "bob@example.com"], "alice@example.com", "x")
        with pytest.raises(NotFound):
            messaging.direct_history(people["carol"], ["alice@example.com", "bob@example.com"])

    def test_pair_that_never_talked_has_an_empty_history(self, messaging, people, db):
        read = messaging.direct_history(people["alice"], ["alice@example.com", "carol@example.com"])
        assert read["messages"] == [] and read["hasMore"] is False
        assert db["conversations"].count_documents({}) == 0  # reading creates nothing


class TestConversationsAndUnread:
    def test_listing_shows_last_message_and_unread_counts(self, messaging, group, people, db):
        make_group(db, people["carol"], name="Quiet")  # alice is not in it; it has no messages
        messaging.send(people["alice"], group, "one")
        messaging.send(people["alice"], group, "two")
        direct = messaging.send_direct(people["bob"], ["alice@example.com", "bob@example.com"],
                                       "bob@example.com", "psst")
        listed = messaging.conversations_of(people["alice"])["conversations"]
        assert [c["id"] for c in listed] == [direct["conversationId"], group]
        dm, team = listed
        assert (dm["kind"], dm["unreadCount"], dm["lastMessage"]["text"]) == ("direct", 1, "psst")
        assert dm["participants"] == [{"id": people["bob"], "email": "bob@example.com", "name": "Bob"}]
        assert (team["kind"], team["name"], team["unreadCount"]) == ("group", "Team", 0)
        assert team["lastMessage"]["text"] == "two"
        bob_view = {c["id"]: c for c in messaging.conversations_of(people["bob"])["conversations"]}
        assert bob_view[group]["unreadCount"] == 2 and bob_view[direct["conversationId"]]["unreadCount"] == 0

    def test_mark_read_moves_forward_only_and_not_past_the_end(self, messaging, group, people):
        for text in ("a", "b", "c"):
            messaging.send(people["alice"], group, text)
        assert messaging.mark_read(people["bob"], group, 2)["unreadCount"] == 1
        assert messaging.mark_read(people["bob"], group, 1)["readSeq"] == 2
        assert messaging.mark_read(people["bob"], group, 99) == {
            "conversationId": group, "readSeq": 3, "lastSeq": 3, "unreadCount": 0}

    def test_non_member_cannot_mark_read(self, messaging, group, people):
        with pytest.raises(Forbidden):
            messaging.mark_read(people["carol"], group, 1)

    def test_a_group_left_disappears_from_the_listing(self, messaging, group, people, db):
        messaging.send(people["alice"], group, "hi")
        set_membership(db, group, people["bob"], None)
        assert messaging.conversations_of(people["bob"])["conversations"] == []


class TestKeysOverTime:
    def test_rotation_new_messages_use_the_new_key_old_ones_still_open(self, messaging, group, people, db,
                                                                        key_service):
        messaging.send(people["alice"], group, "under key one")
        assert messaging.rotate_key(group) == 2
        messaging.send(people["alice"], group, "under key two")
        versions = [m["keyVersion"] for m in db["messages"].find().sort("seq", 1)]
        assert versions == [1, 2]
        cold = build(db, key_service)  # a fresh process must unwrap both versions
        assert [m["text"] for m in cold.history(people["bob"], group)["messages"]] == ["under key one", "under key two"]

    def test_delete_conversation_shreds_keys_and_messages(self, messaging, group, people, db, key_service):
        messaging.send(people["alice"], group, "secret")
        kept_copy = db["messages"].find_one()  # e.g. a backup taken before deletion
        messaging.send(people["alice"], group, "another")
        messaging.rotate_key(group)
        assert messaging.delete_conversation(group) == {"keysDestroyed": 2, "messagesDeleted": 2}
        for name in ("messages", "conversation_keys", "conversations", "read_markers"):
            assert db[name].count_documents({}) == 0, name
        # A copy restored from a backup is unreadable now, in this process and in a fresh one.
        db["messages"].insert_one(kept_copy)
        for reader in (messaging, build(db, key_service)):
            [restored] = reader.history(people["bob"], group)["messages"]
            assert restored["text"] is None and restored["undecryptable"] is True

    def test_key_service_down_means_503_and_nothing_written(self, db, kms_client, group, people):
        from chalicelib.crypto.kms import KeyService

        broken = build(db, KeyService(kms_client, "alias/not-provisioned"))
        with pytest.raises(Unavailable):
            broken.send(people["alice"], group, "lost?")
        for name in ("messages", "conversation_keys", "conversations", "read_markers"):
            assert db[name].count_documents({}) == 0, name
