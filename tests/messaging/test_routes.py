"""The message endpoints through chalice.test.Client, the real database and moto's KMS."""
import pytest

from chalicelib.messaging.schemas import MAX_TEXT_CHARS
from tests.helpers import call, set_membership

STORED = ("messages", "conversations", "read_markers")






@pytest.fixture
def reconfigured(monkeypatch):
    """Change the stage's environment for one test; the services are rebuilt before and after.

    Settings are read again at once, outside any request: chalice.test.Client swaps in the
    dev stage's environment (.chalice/config.json) while it serves a request.
    """
    from chalicelib import services
    from chalicelib.core.config import settings
    from chalicelib.storage import mongo

    def rebuild(reconnect):
        if reconnect:
            mongo.reset_for_tests()
        services.forget_all()
        settings()

    reconnect = False

    def change(**env):
        nonlocal reconnect
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reconnect = reconnect or "MONGO_URI" in env
        rebuild(reconnect)

    yield change
    monkeypatch.undo()
    rebuild(reconnect)


def send(client, token, conversation_id, text, **extra):
    return call(client, "POST", "/messages/send", {"groupId": conversation_id, "text": text, **extra}, token=token)


def count_stored(db):
    return sum(db[name].count_documents({}) for name in STORED)


class TestGroupRoutes:
    def test_send_then_read_back(self, client, group, alice, bob):
        status, body, _ = send(client, alice[1], group, "Hello, team", clientMessageId="c-1")
        assert status == 201
        message = body["message"]
        assert {k: message[k] for k in ("conversationId", "senderId", "sender", "text", "seq", "clientMessageId")} == {
            "conversationId": group, "senderId": alice[0]["id"], "sender": "alice@example.com",
            "text": "Hello, team", "seq": 1, "clientMessageId": "c-1"}
        assert message["createdAt"].endswith("Z") and message["id"]
        status, body, _ = call(client, "GET", f"/messages/{group}", token=bob[1])
        assert status == 200 and body["messages"] == [message] and body["hasMore"] is False

    def test_conversation_id_is_accepted_in_place_of_group_id(self, client, group, alice):
        body = {"conversationId": group, "text": "hi"}
        status, body, _ = call(client, "POST", "/messages/send", body, token=alice[1])
        assert status == 201 and body["message"]["conversationId"] == group

    def test_retry_with_the_same_client_message_id_returns_the_first(self, client, group, alice, db):
        first = send(client, alice[1], group, "once", clientMessageId="retry-1")
        again = send(client, alice[1], group, "once", clientMessageId="retry-1")
        assert first[0] == again[0] == 201 and first[1] == again[1]
        assert db["messages"].count_documents({}) == 1

    @pytest.mark.parametrize(
        "body, status, code",
        [
            ({}, 400, "invalid_input"),
            ({"groupId": "GROUP"}, 400, "invalid_input"),
            ({"groupId": "GROUP", "text": ""}, 400, "empty_text"),
            ({"groupId": "GROUP", "text": " \n\t "}, 400, "empty_text"),
            ({"groupId": "GROUP", "text": 42}, 400, "invalid_input"),
            ({"groupId": "GROUP", "text": None}, 400, "invalid_input"),
            ({"groupId": "GROUP", "text": "x" * (MAX_TEXT_CHARS + 1)}, 413, "text_too_large"),
            ({"text": "hi"}, 400, "missing_conversation"),
            ({"groupId": "GROUP", "conversationId": "another-id", "text": "hi"}, 400, "missing_conversation"),
            ({"groupId": "GROUP", "text": "hi", "extra": True}, 400, "invalid_input"),
            ({"groupId": "GROUP", "text": "hi", "clientMessageId": ""}, 400, "invalid_input"),
            ({"groupId": "GROUP", "text": "hi", "clientMessageId": "has space"}, 400, "invalid_input"),
            ({"groupId": "not an id!", "text": "hi"}, 400, "invalid_input"),
            ({"groupId": ["GROUP"], "text": "hi"}, 400, "invalid_input"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, client, group, alice, db, body, status, code):
        body = {k: (group if v == "GROUP" else v) for k, v in body.items()}
        got_status, got, _ = call(client, "POST", "/messages/send", body, token=alice[1])
        assert (got_status, got["error"]["code"]) == (status, code)
        assert got["error"]["message"]
        assert count_stored(db) == 0

    @pytest.mark.parametrize(
        "raw, status",
        [("{not json", 400), ("[1, 2]", 400), ("", 400), ('{"text": "' + "x" * 70_000 + '"}', 413),
         ('{"groupId": "abcdefghij", "text": "lone \\ud800 surrogate"}', 400),
         ('{"groupId": "abcdefghij", "text": "hi", "\\udfff": 1}', 400)],
        ids=["malformed", "array", "empty", "over-64KiB", "lone-surrogate-value", "lone-surrogate-key"],
    )
    def test_unparseable_bodies(self, client, group, alice, db, raw, status):
        got_status, got, _ = call(client, "POST", "/messages/send", raw=raw, token=alice[1])
        assert got_status == status and "error" in got
        assert count_stored(db) == 0

    def test_non_member_gets_403_and_unknown_group_404(self, client, group, carol, alice, db):
        assert send(client, carol[1], group, "hi")[0] == 403
        status, body, _ = call(client, "GET", f"/messages/{group}", token=carol[1])
        assert (status, body["error"]["code"]) == (403, "not_a_member")
        assert send(client, alice[1], "unknownGroupId00", "hi")[0] == 404
        assert call(client, "GET", "/messages/unknownGroupId00", token=alice[1])[0] == 404
        assert call(client, "GET", "/messages/no.such$id", token=alice[1])[0] == 404
        assert count_stored(db) == 0

    def test_banned_member_loses_access_at_once(self, client, db, group, alice, bob):
        assert send(client, bob[1], group, "still here")[0] == 201
        set_membership(db, group, bob[0]["id"], "banned")
        assert send(client, bob[1], group, "and now?")[0] == 403
        assert call(client, "GET", f"/messages/{group}", token=bob[1])[0] == 403

    @pytest.mark.parametrize(
        "method, path, body",
        [
            ("POST", "/messages/send", {"groupId": "abcdefghij", "text": "hi"}),
            ("GET", "/messages/abcdefghij", None),
            ("PUT", "/messages", {"participants": ["a@x.io", "b@x.io"], "message": {"sender": "a@x.io", "text": "t"}}),
            ("POST", "/messages", {"participants": ["a@x.io", "b@x.io"]}),
            ("GET", "/conversations", None),
            ("POST", "/conversations/abcdefghij/read", {"seq": 1}),
        ],
    )
    def test_every_route_needs_a_token(self, client, method, path, body):
        for token in (None, "not-a-jwt"):
            status, got, _ = call(client, method, path, body, token=token)
            assert status == 401 and got["error"]["code"] in ("missing_token", "invalid_token")


class TestPagination:
    @pytest.fixture
    def seven(self, client, group, alice):
        return [send(client, alice[1], group, f"message {n}")[1]["message"]["seq"] for n in range(1, 8)]

    def test_walk_back_with_next_before_then_catch_up_with_after(self, client, group, bob, seven):
        pages, path = [], f"/messages/{group}?limit=3"
        while True:
            status, body, _ = call(client, "GET", path, token=bob[1])
            assert status == 200
            pages.append([m["seq"] for m in body["messages"]])
            if not body["hasMore"]:
                assert "nextBefore" not in body
                break
            path = f"/messages/{group}?limit=3&before={body['nextBefore']}"
        assert pages == [[5, 6, 7], [2, 3, 4], [1]]
        status, body, _ = call(client, "GET", f"/messages/{group}?after=4&limit=2", token=bob[1])
        assert [m["seq"] for m in body["messages"]] == [5, 6] and body["hasMore"] and body["nextAfter"] == 6
        status, body, _ = call(client, "GET", f"/messages/{group}?after=7", token=bob[1])
        assert body["messages"] == [] and body["hasMore"] is False
        status, body, _ = call(client, "GET", f"/messages/{group}", token=bob[1])
        assert [m["text"] for m in body["messages"]] == [f"message {n}" for n in range(1, 8)]

    @pytest.mark.parametrize(
        "query",
        ["limit=0", "limit=101", "limit=ten", "before=0", "after=-1", "since=1", "limit=1.5",
         "limit=%205", "limit=5_0", "limit=%D9%A3",
         # Found by fuzzing: past 2**63 MongoDB cannot encode the number and the query was a 500.
         f"before={2**63}", f"after={2**63}", f"after={2**53}", "after=99999999999999999999999"],
    )
    def test_bad_paging_parameters_are_400(self, client, group, bob, query):
        status, body, _ = call(client, "GET", f"/messages/{group}?{query}", token=bob[1])
        assert status == 400 and body["error"]["message"]

    def test_before_with_after_is_the_window_between_them(self, client, group, bob, seven):
        status, body, _ = call(client, "GET", f"/messages/{group}?after=1&before=6&limit=2", token=bob[1])
        assert status == 200 and [m["seq"] for m in body["messages"]] == [2, 3] and body["nextAfter"] == 3
        status, body, _ = call(client, "GET", f"/messages/{group}?after=3&before=6", token=bob[1])
        assert [m["seq"] for m in body["messages"]] == [4, 5] and body["hasMore"] is False

    def test_the_highest_cursor_a_client_may_name_is_an_ordinary_page(self, client, group, bob, seven):
        status, body, _ = call(client, "GET", f"/messages/{group}?before={2**53 - 1}&limit=2", token=bob[1])
        assert status == 200 and [m["seq"] for m in body["messages"]] == [6, 7]
        status, body, _ = call(client, "GET", f"/messages/{group}?after={2**53 - 1}", token=bob[1])
        assert status == 200 and body["messages"] == []

    def test_limit_100_is_allowed(self, client, group, bob, seven):
        status, body, _ = call(client, "GET", f"/messages/{group}?limit=100", token=bob[1])
        assert status == 200 and len(body["messages"]) == 7


class TestDirectSeedRoutes:
    PAIR = ["alice@example.com", "bob@example.com"]

    def put(self, client, token, sender="alice@example.com", text="Hi Bob!", participants=None, **extra):
        body = {"participants": participants or self.PAIR, "message": {"sender": sender, "text": text, **extra}}
        return call(client, "PUT", "/messages", body, token=token)

    def test_seed_send_and_read(self, client, alice, bob):
        status, body, _ = self.put(client, alice[1], timestamp="2025-06-19T15:00:00Z")
        assert status == 201 and set(body) == {"conversationId", "message"}
        message = body["message"]
        assert (message["text"], message["sender"], message["seq"]) == ("Hi Bob!", "alice@example.com", 1)
        assert message["clientTimestamp"] == "2025-06-19T15:00:00.000Z"
        assert message["createdAt"] != message["clientTimestamp"]  # the server's time is authoritative
        status, read, _ = call(client, "POST", "/messages", {"participants": list(reversed(self.PAIR))}, token=bob[1])
        assert status == 200
        assert read["conversationId"] == body["conversationId"]
        assert read["participants"] == ["bob@example.com", "alice@example.com"]
        assert read["messages"] == [message]

    def test_direct_conversation_is_readable_by_id_too(self, client, alice, bob):
        conversation_id = self.put(client, alice[1])[1]["conversationId"]
        status, body, _ = call(client, "GET", f"/messages/{conversation_id}", token=bob[1])
        assert status == 200 and [m["text"] for m in body["messages"]] == ["Hi Bob!"]

    def test_idempotent_put(self, client, alice, bob, db):
        first = self.put(client, alice[1], clientMessageId="m-1")
        again = self.put(client, alice[1], clientMessageId="m-1")
        assert first[0] == 201 and first[1] == again[1] and db["messages"].count_documents({}) == 1

    @pytest.mark.parametrize(
        "who, body, status, code",
        [
            ("carol", {"sender": "carol@example.com"}, 403, "not_a_participant"),
            ("alice", {"sender": "bob@example.com"}, 403, "not_the_sender"),
            ("alice", {"participants": ["alice@example.com", "ghost@example.com"]}, 404, "user_not_found"),
            ("alice", {"participants": ["alice@example.com", "Alice@Example.com"]}, 400, "self_conversation"),
            ("alice", {"participants": ["alice@example.com"]}, 400, "invalid_input"),
            ("alice", {"participants": ["alice@example.com", "bob@example.com", "carol@example.com"]},
             400, "invalid_input"),
            ("alice", {"participants": ["alice@example.com", "not-an-email"]}, 400, "invalid_input"),
            ("alice", {"text": ""}, 400, "empty_text"),
            ("alice", {"text": "y" * (MAX_TEXT_CHARS + 1)}, 413, "text_too_large"),
            ("alice", {"timestamp": "yesterday"}, 400, "invalid_timestamp"),
            ("alice", {"timestamp": 1718809200}, 400, "invalid_input"),
        ],
    )
    def test_refusals_change_nothing(self, client, db, alice, bob, carol, who, body, status, code):
        token = {"alice": alice, "bob": bob, "carol": carol}[who][1]
        message = {"sender": "alice@example.com", "text": "hi"}
        participants = body.pop("participants", self.PAIR)
        message.update(body)
        body = {"participants": participants, "message": message}
        got_status, got, _ = call(client, "PUT", "/messages", body, token=token)
        assert (got_status, got["error"]["code"]) == (status, code)
        assert count_stored(db) == 0

    @pytest.mark.parametrize("method", ["PUT", "POST"])
    def test_participant_that_is_not_text_is_400(self, client, alice, method):
        raw = ('{"participants": ["alice@example.com", "b\\ud800@example.com"], '
               '"message": {"sender": "alice@example.com", "text": "x"}}')
        if method == "POST":
            raw = '{"participants": ["alice@example.com", "b\\ud800@example.com"]}'
        status, body, _ = call(client, method, "/messages", raw=raw, token=alice[1])
        assert (status, body["error"]["code"]) == (400, "invalid_json")

    def test_outsiders_and_unknown_pairs_get_404_on_read(self, client, alice, bob, carol):
        self.put(client, alice[1])
        status, body, _ = call(client, "POST", "/messages", {"participants": self.PAIR}, token=carol[1])
        assert (status, body["error"]["code"]) == (404, "conversation_not_found")
        status, body, _ = call(client, "POST", "/messages",
                               {"participants": ["alice@example.com", "ghost@example.com"]}, token=alice[1])
        assert status == 404

    def test_post_supports_paging(self, client, alice, bob):
        for n in range(4):
            self.put(client, alice[1], text=f"n{n}")
        status, body, _ = call(client, "POST", "/messages", {"participants": self.PAIR, "limit": 2}, token=bob[1])
        assert [m["text"] for m in body["messages"]] == ["n2", "n3"] and body["nextBefore"] == 3
        status, body, _ = call(client, "POST", "/messages",
                               {"participants": self.PAIR, "limit": 2, "before": 3}, token=bob[1])
        assert [m["text"] for m in body["messages"]] == ["n0", "n1"] and not body["hasMore"]

    @pytest.mark.parametrize("cursor", [{"after": 2**63}, {"before": 10**23}])
    def test_cursors_too_large_for_the_database_are_400(self, client, alice, bob, cursor):
        # Found by fuzzing: these were a 500 (OverflowError encoding the query).
        self.put(client, alice[1], text="hi")
        status, body, _ = call(client, "POST", "/messages", {"participants": self.PAIR, **cursor}, token=bob[1])
        assert status == 400 and body["error"]["code"] == "invalid_input"


class TestConversationRoutes:
    def test_listing_and_marking_read(self, client, group, alice, bob):
        for text in ("one", "two", "three"):
            send(client, alice[1], group, text)
        status, body, _ = call(client, "GET", "/conversations", token=bob[1])
        assert status == 200
        [listed] = body["conversations"]
        assert (listed["id"], listed["unreadCount"], listed["lastMessage"]["text"]) == (group, 3, "three")
        status, body, _ = call(client, "POST", f"/conversations/{group}/read", {"seq": 2}, token=bob[1])
        assert status == 200 and body == {"conversationId": group, "readSeq": 2, "lastSeq": 3, "unreadCount": 1}
        assert call(client, "GET", "/conversations", token=bob[1])[1]["conversations"][0]["unreadCount"] == 1
        assert call(client, "GET", "/conversations", token=alice[1])[1]["conversations"][0]["unreadCount"] == 0

    @pytest.mark.parametrize("body", [{}, {"seq": -1}, {"seq": "2"}, {"seq": 1, "x": 1}, {"seq": 2**63}, {"seq": 1.5}])
    def test_bad_read_marks_are_400(self, client, group, bob, body):
        assert call(client, "POST", f"/conversations/{group}/read", body, token=bob[1])[0] == 400

    def test_a_whole_number_written_with_a_fraction_is_a_whole_number(self, client, group, alice, bob):
        # JSON Schema's "integer" (which the OpenAPI document promises) takes 2.0 as 2.
        for text in ("one", "two", "three"):
            send(client, alice[1], group, text)
        status, body, _ = call(client, "POST", f"/conversations/{group}/read", {"seq": 2.0}, token=bob[1])
        assert status == 200 and body["readSeq"] == 2 and isinstance(body["readSeq"], int)

    def test_outsider_cannot_mark_read(self, client, group, carol):
        assert call(client, "POST", f"/conversations/{group}/read", {"seq": 1}, token=carol[1])[0] == 403
        assert call(client, "POST", "/conversations/unknownGroupId00/read", {"seq": 1}, token=carol[1])[0] == 404

    @pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=2"])
    def test_bad_listing_parameters(self, client, alice, query):
        assert call(client, "GET", f"/conversations?{query}", token=alice[1])[0] == 400


class TestDependencies:
    def test_health_checks_the_key_service(self, client, reconfigured):
        status, body, _ = call(client, "GET", "/health")
        assert (status, body) == (200, {"status": "ok"})
        reconfigured(KMS_KEY_ID="alias/never-created")
        status, body, _ = call(client, "GET", "/health")
        assert status == 503 and "keys" in body["error"]["message"]

    def test_key_service_down_answers_503_and_writes_nothing(self, client, group, alice, db, reconfigured):
        reconfigured(KMS_KEY_ID="alias/never-created")
        status, body, _ = send(client, alice[1], group, "is anyone there?", clientMessageId="k-1")
        assert (status, body["error"]["code"]) == (503, "key_service_unavailable"), body
        assert count_stored(db) == 0 and db["conversation_keys"].count_documents({}) == 0

    def test_database_down_answers_503(self, test_settings, reconfigured):
        # No `db` fixture here: its client is the one this test disconnects.
        from chalice.test import Client

        from app import app
        from chalicelib import services
        from devstack.processes import free_port

        reconfigured(MONGO_URI=f"mongodb://127.0.0.1:{free_port()}")
        token = services.tokens().issue("someone", "some-session")
        with Client(app) as client:
            status, body, _ = send(client, token, "abcdefghijkl", "hello?")
            assert (status, body["error"]["code"]) == (503, "service_unavailable")
            status, body, _ = call(client, "GET", "/health")
            assert status == 503 and "database" in body["error"]["message"]
