"""Conversation, message and read-marker storage against the real MongoDB wire protocol."""
import threading
from datetime import timedelta

import pytest

from chalicelib.core.clock import utcnow
from chalicelib.core.ids import new_id
from chalicelib.storage.conversations import (
    ConversationStore,
    direct_conversation_id,
    is_direct_id,
)
from chalicelib.storage.messages import MessageStore, idempotent_message_id
from chalicelib.storage.read_markers import ReadMarkerStore


@pytest.fixture
def conversations(db):
    return ConversationStore(db)


@pytest.fixture
def messages(db):
    return MessageStore(db)


@pytest.fixture
def markers(db):
    return ReadMarkerStore(db)


def a_message(conversation_id="conv", message_id=None):
    return {
        "_id": message_id or new_id(),
        "conversationId": conversation_id,
        "senderId": "user-1",
        "createdAt": utcnow(),
        "keyVersion": 1,
        "nonce": b"n" * 12,
        "ciphertext": b"c" * 20,
    }


def run_together(count, work):
    """Run `work(index)` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(index):
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


class TestConversations:
    def test_direct_id_is_order_independent_and_distinct_per_pair(self):
        assert direct_conversation_id("alice", "bob") == direct_conversation_id("bob", "alice")
        assert direct_conversation_id("alice", "bob") != direct_conversation_id("alice", "carol")
        assert is_direct_id(direct_conversation_id("alice", "bob"))
        assert not is_direct_id(new_id())

    def test_concurrent_creation_of_a_pair_yields_one_conversation(self, conversations, db):
        found = run_together(8, lambda i: conversations.ensure_direct(*(("u1", "u2") if i % 2 else ("u2", "u1"))))
        assert len({doc["_id"] for doc in found}) == 1
        assert db["conversations"].count_documents({}) == 1
        assert found[0]["participants"] == ["u1", "u2"] and found[0]["kind"] == "direct"

    def test_group_conversation_is_created_once_with_the_group_id(self, conversations, db):
        first = conversations.ensure_group("group-1")
        again = conversations.ensure_group("group-1")
        assert first == again and first["_id"] == "group-1" and first["lastSeq"] == 0
        assert db["conversations"].count_documents({}) == 1

    def test_record_message_never_moves_back(self, conversations):
        conversations.ensure_group("g")
        now = utcnow()
        conversations.record_message("g", 2, "m2", now)
        conversations.record_message("g", 1, "m1", now - timedelta(seconds=1))
        stored = conversations.get("g")
        assert (stored["lastSeq"], stored["lastMessageId"]) == (2, "m2")

    def test_recent_of_lists_only_conversations_with_messages_newest_first(self, conversations):
        now = utcnow()
        for name, offset in (("g-old", 3), ("g-new", 1), ("g-other", 0)):
            conversations.ensure_group(name)
            conversations.record_message(name, 1, "m", now - timedelta(seconds=offset))
        conversations.ensure_group("g-empty")
        direct = conversations.ensure_direct("me", "you")
        conversations.record_message(direct["_id"], 1, "m", now - timedelta(seconds=2))
        found = conversations.recent_of("me", ["g-old", "g-new", "g-empty"], limit=10)
        assert [doc["_id"] for doc in found] == ["g-new", direct["_id"], "g-old"]
        assert len(conversations.recent_of("me", ["g-old", "g-new"], limit=2)) == 2


class TestMessages:
    def test_append_numbers_messages_from_one(self, messages):
        stored = [messages.append(a_message(), next_seq_hint=1)[0]["seq"] for _ in range(3)]
        assert stored == [1, 2, 3]

    def test_stale_hint_takes_the_next_free_seq(self, messages):
        for _ in range(3):
            messages.append(a_message(), next_seq_hint=1)  # always the stale hint
        assert messages.last_seq("conv") == 3

    def test_same_id_returns_the_first_message_and_consumes_no_seq(self, messages):
        message_id = idempotent_message_id("conv", "user-1", "client-1")
        first, created = messages.append(a_message(message_id=message_id), next_seq_hint=1)
        again, created_again = messages.append(a_message(message_id=message_id), next_seq_hint=2)
        assert created and not created_again and again == first
        assert messages.append(a_message(), next_seq_hint=2)[0]["seq"] == 2

    def test_idempotent_id_depends_on_conversation_sender_and_client_id(self):
        base = idempotent_message_id("c", "s", "x")
        assert base == idempotent_message_id("c", "s", "x")
        assert len({base, idempotent_message_id("c2", "s", "x"), idempotent_message_id("c", "s2", "x"),
                    idempotent_message_id("c", "s", "x2")}) == 4

    def test_concurrent_senders_get_gap_free_distinct_seqs(self, messages):
        seqs = run_together(8, lambda i: [messages.append(a_message(), next_seq_hint=1)[0]["seq"] for _ in range(5)])
        everything = sorted(seq for per_thread in seqs for seq in per_thread)
        assert everything == list(range(1, 41))

    def test_concurrent_retries_of_one_send_store_one_message(self, messages, db):
        message_id = idempotent_message_id("conv", "user-1", "retry-me")
        results = run_together(8, lambda i: messages.append(a_message(message_id=message_id), next_seq_hint=1))
        assert sum(created for _, created in results) == 1
        assert {stored["_id"] for stored, _ in results} == {message_id}
        assert db["messages"].count_documents({}) == 1

    def test_conversations_number_independently(self, messages):
        messages.append(a_message("a"), 1)
        messages.append(a_message("a"), 1)
        assert messages.append(a_message("b"), 1)[0]["seq"] == 1


class TestPaging:
    @pytest.fixture
    def seven(self, messages):
        for _ in range(7):
            messages.append(a_message(), next_seq_hint=1)
        return messages

    @pytest.mark.parametrize(
        "cursor, limit, expected, more",
        [
            ({}, 3, [5, 6, 7], True),
            ({"before": 5}, 3, [2, 3, 4], True),
            ({"before": 2}, 3, [1], False),
            ({"before": 1}, 3, [], False),
            ({"before": 4}, 3, [1, 2, 3], False),
            ({}, 7, [1, 2, 3, 4, 5, 6, 7], False),
            ({"after": 0}, 3, [1, 2, 3], True),
            ({"after": 4}, 3, [5, 6, 7], False),
            ({"after": 7}, 3, [], False),
            ({"before": 100}, 2, [6, 7], True),
        ],
    )
    def test_boundaries(self, seven, cursor, limit, expected, more):
        page, has_more = seven.page("conv", limit=limit, **cursor)
        assert [found["seq"] for found in page] == expected
        assert has_more is more


class TestReadMarkers:
    def test_marker_only_moves_forward(self, markers):
        assert markers.mark("c", "u", 3) == 3
        assert markers.mark("c", "u", 1) == 3
        assert markers.mark("c", "u", 5) == 5
        assert markers.read_seqs("u", ["c", "other"]) == {"c": 5}

    def test_concurrent_first_marks_all_land(self, markers):
        results = run_together(8, lambda i: markers.mark("c", "u", i + 1))
        assert all(result >= index + 1 for index, result in enumerate(results))
        assert markers.read_seqs("u", ["c"]) == {"c": 8}

    def test_markers_are_per_user(self, markers):
        markers.mark("c", "u1", 4)
        assert markers.read_seqs("u2", ["c"]) == {}
