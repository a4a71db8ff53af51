"""WebSocket use cases with fakes for delivery and messaging, real stores for the rest."""
import json

import pytest

from chalicelib import services
from chalicelib.accounts.tokens import Tokens
from chalicelib.core.clock import utcnow
from chalicelib.core.errors import NotAuthenticated
from chalicelib.core.limits import WS_FRAMES_PER_CONNECTION
from chalicelib.realtime.sockets import MAX_FRAME_BYTES
from chalicelib.storage.connections import ConnectionStore
from chalicelib.storage.throttles import ThrottleStore
from tests.fakes import (
    FakeConversations,
    RecordingPublisher,
    RecordingPusher,
    StaticAudience,
)

ENDPOINT = "http://gateway.test"
tokens = Tokens("realtime-unit-test-secret-long-enough-xxxxxxxx", "iss", "aud", 60)


@pytest.fixture
def sockets_with_alice(db, request):
    """Sockets over fakes for delivery and messaging (real stores), alice connected as conn-a;
    (sockets, pusher, publisher, connections, tickets). With the parameter "standing clock"
    the rate limits' clock stands still, so no window ends midway through a test however
    slowly the machine runs it."""
    pusher = RecordingPusher()
    publisher = RecordingPublisher()
    standing = {}
    if getattr(request, "param", None) == "standing clock":
        now = utcnow()
        standing["throttle_store"] = ThrottleStore(db, clock=lambda: now)
        standing["connection_store"] = ConnectionStore(db, frame_clock=lambda: now)  # its frame counter
    wired = services.build(db, tokens=tokens, pusher=pusher, publisher=publisher, **standing,
                           messaging=FakeConversations({"group-0001": {"alice", "bob"}}),
                           audience=StaticAudience({"group-0001": {"alice", "bob"}}))
    wired.sockets.connect("conn-a", ENDPOINT, token=wired.sessions.open("alice")["token"])
    publisher.published.clear()  # alice came online (test_presence_is_announced_on_change covers it)
    return wired.sockets, pusher, publisher, wired.connection_store, wired.ticket_store


def replies(pusher):
    return [frame for _, _, frame in pusher.sent]


def test_connect_with_a_token_records_the_connection(sockets_with_alice):
    _, _, _, connections, _ = sockets_with_alice
    assert connections.get("conn-a")["userId"] == "alice"


@pytest.mark.parametrize("credentials", [{}, {"token": "garbage"}, {"ticket": "never-issued"}])
def test_connect_refuses_without_valid_credentials(sockets_with_alice, credentials):
    realtime, _, _, connections, _ = sockets_with_alice
    with pytest.raises(NotAuthenticated):
        realtime.connect("conn-x", ENDPOINT, **credentials)
    assert connections.get("conn-x") is None


def test_a_ticket_opens_one_connection_only(sockets_with_alice):
    realtime, _, _, connections, tickets = sockets_with_alice
    ticket = tickets.issue("bob", 30)
    assert realtime.connect("conn-b", ENDPOINT, ticket=ticket) == "bob"
    with pytest.raises(NotAuthenticated):
        realtime.connect("conn-b2", ENDPOINT, ticket=ticket)
    assert connections.get("conn-b2") is None


def test_disconnect_forgets_the_connection(sockets_with_alice):
    realtime, _, _, connections, _ = sockets_with_alice
    realtime.disconnect("conn-a")
    assert connections.get("conn-a") is None


def test_ping_gets_a_pong(sockets_with_alice):
    realtime, pusher, _, _, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "ping", "requestId": "r1"}))
    (pong,) = replies(pusher)
    assert pong["type"] == "pong" and pong["requestId"] == "r1"


def test_send_message_acks_the_sender(sockets_with_alice):
    realtime, pusher, _, _, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps(
        {"action": "sendMessage", "conversationId": "group-0001", "text": "hi", "clientMessageId": "c1"}))
    (ack,) = replies(pusher)
    assert ack["type"] == "ack" and ack["message"]["text"] == "hi" and ack["clientMessageId"] == "c1"


def test_typing_goes_to_the_other_members_only(sockets_with_alice):
    realtime, pusher, publisher, _, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "typing", "conversationId": "group-0001", "isTyping": True}))
    (entry,) = publisher.of_type("typing")
    assert entry["conversationId"] == "group-0001" and entry["exceptUserIds"] == ["alice"]
    assert entry["event"]["userId"] == "alice" and entry["event"]["isTyping"] is True
    assert replies(pusher) == []


def test_mark_read_acks_and_tells_the_others(sockets_with_alice):
    realtime, pusher, publisher, _, _ = sockets_with_alice
    realtime.connect("conn-b", ENDPOINT, token=realtime._sessions.open("bob")["token"])
    for n in range(5):  # bob writes, alice reads
        realtime.receive("conn-b", ENDPOINT, json.dumps({"action": "sendMessage", "conversationId": "group-0001", "text": f"m{n}"}))
    pusher.sent.clear()
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "markRead", "conversationId": "group-0001", "seq": 4}))
    assert replies(pusher) == [{"type": "read", "conversationId": "group-0001", "userId": "alice", "seq": 4}]
    assert publisher.of_type("read")[0]["exceptUserIds"] == ["alice"]


def test_presence_lists_which_members_are_online(sockets_with_alice):
    realtime, pusher, _, _, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "presence", "conversationId": "group-0001"}))
    (presence,) = replies(pusher)
    assert presence["online"] == {"alice": True, "bob": False}


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json", "invalid_json"),
        ("[1]", "invalid_json"),
        (json.dumps({"action": "fly"}), "unknown_action"),
        (json.dumps({"text": "no action"}), "unknown_action"),
        (json.dumps({"action": "sendMessage", "conversationId": "group-0001"}), "invalid_input"),
        (json.dumps({"action": "sendMessage", "conversationId": "group-0001", "text": "x", "extra": 1}), "invalid_input"),
        (json.dumps({"action": "sendMessage", "conversationId": "group-0001", "text": "   "}), "empty_text"),
        (json.dumps({"action": "typing", "conversationId": "group-0001", "isTyping": "yes"}), "invalid_input"),
        (json.dumps({"action": "typing", "conversationId": "elsewhere", "isTyping": True}), "group_not_found"),
        (json.dumps({"action": "sendMessage", "conversationId": "group-0001", "text": "x" * MAX_FRAME_BYTES}), "frame_too_large"),
    ],
)
def test_bad_frames_get_an_error_frame_and_keep_the_connection(sockets_with_alice, frame, code):
    realtime, pusher, publisher, connections, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, frame)
    (error,) = replies(pusher)
    assert error["type"] == "error" and error["error"]["code"] == code and error["error"]["message"]
    assert connections.get("conn-a") is not None
    assert publisher.published == []


def test_frames_past_the_rate_limit_are_refused(sockets_with_alice):
    realtime, pusher, _, _, _ = sockets_with_alice
    for _ in range(WS_FRAMES_PER_CONNECTION.max_hits + 1):
        realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "ping"}))
    last = replies(pusher)[-1]
    assert last["type"] == "error" and last["error"]["code"] == "rate_limited" and last["error"]["retryAfter"] >= 1
    assert all(frame["type"] == "pong" for frame in replies(pusher)[:-1])


def test_a_frame_from_an_unknown_connection_is_refused(sockets_with_alice):
    realtime, pusher, _, _, _ = sockets_with_alice
    realtime.receive("conn-unknown", ENDPOINT, json.dumps({"action": "ping"}))
    assert replies(pusher)[0]["error"]["code"] == "unknown_connection"


# --- Red-team findings (issue 13) ------------------------------------------------------------

@pytest.mark.parametrize("sockets_with_alice", ["standing clock"], indirect=True)
def test_the_frame_limit_is_taken_before_size_and_parsing_and_only_one_refusal_is_answered(sockets_with_alice):
    """F2: 200 invalid frames were all answered; past the limit they cost nothing now."""
    realtime, pusher, _, _, _ = sockets_with_alice
    for _ in range(WS_FRAMES_PER_CONNECTION.max_hits + 80):
        realtime.receive("conn-a", ENDPOINT, "{not json" + "x" * MAX_FRAME_BYTES)
    answered = replies(pusher)
    assert len(answered) == WS_FRAMES_PER_CONNECTION.max_hits + 1
    assert answered[-1]["error"]["code"] == "rate_limited"
    assert {frame["error"]["code"] for frame in answered[:-1]} == {"frame_too_large"}


@pytest.mark.parametrize("sockets_with_alice", ["standing clock"], indirect=True)
def test_the_frame_limit_also_holds_per_user_across_connections(sockets_with_alice):
    from chalicelib.core.limits import WS_FRAMES_PER_USER

    realtime, pusher, _, _, _ = sockets_with_alice
    for index in range(1, 4):
        realtime.connect(f"conn-a{index}", ENDPOINT, token=realtime._sessions.open("alice")["token"])
    per_connection = WS_FRAMES_PER_CONNECTION.max_hits
    for connection in ("conn-a", "conn-a1", "conn-a2", "conn-a3"):
        for _ in range(per_connection):
            realtime.receive(connection, ENDPOINT, json.dumps({"action": "ping"}))
    pongs = [frame for frame in replies(pusher) if frame["type"] == "pong"]
    assert len(pongs) == WS_FRAMES_PER_USER.max_hits < 4 * per_connection


def test_a_user_holds_a_bounded_number_of_sockets_the_oldest_is_closed(sockets_with_alice):
    from chalicelib.core.limits import SOCKETS_PER_USER

    realtime, pusher, _, connections, _ = sockets_with_alice
    for index in range(SOCKETS_PER_USER + 5):
        realtime.connect(f"conn-many-{index}", ENDPOINT, token=realtime._sessions.open("bob")["token"])
    assert len(connections.of_users(["bob"])) == SOCKETS_PER_USER
    assert connections.get(f"conn-many-{SOCKETS_PER_USER + 4}") is not None
    assert connections.get("conn-many-0") is None and "conn-many-0" in pusher.closed


@pytest.mark.parametrize("sockets_with_alice", ["standing clock"], indirect=True)
def test_typing_is_coalesced_per_user_and_conversation(sockets_with_alice):
    """One "typing" per window, however many frames; "stopped" is never fanned out but
    reopens the window; whatever is dropped is dropped silently."""
    from chalicelib.core.limits import WS_TYPING_PER_CONVERSATION

    realtime, pusher, publisher, _, _ = sockets_with_alice
    for index in range(8):
        realtime.receive("conn-a", ENDPOINT, json.dumps(
            {"action": "typing", "conversationId": "group-0001", "isTyping": index != 3}))
    sent = [entry["event"]["isTyping"] for entry in publisher.of_type("typing")]
    assert sent == [True, True]  # the burst's first, then typing again after stopping is news
    assert WS_TYPING_PER_CONVERSATION.max_hits == 1 and WS_TYPING_PER_CONVERSATION.window_seconds <= 5
    assert replies(pusher) == []  # dropped silently, not answered


def test_a_socket_does_not_outlive_its_token(sockets_with_alice):
    """F5: frames after the token's `exp` are refused (and the socket closed); the fan-out
    leaves the connection out too."""
    import time

    realtime, pusher, _, connections, _ = sockets_with_alice
    short = Tokens("realtime-unit-test-secret-long-enough-xxxxxxxx", "iss", "aud", 1)
    session_id = realtime._sessions.open("bob")["sessionId"]  # a live session, a one-second token
    realtime.connect("conn-short", ENDPOINT, token=short.issue("bob", session_id))
    assert [c["_id"] for c in connections.of_users(["bob"])] == ["conn-short"]
    time.sleep(2.1)
    assert connections.of_users(["bob"]) == []
    realtime.receive("conn-short", ENDPOINT, json.dumps({"action": "ping"}))
    assert [frame["error"]["code"] for frame in pusher.frames_to("conn-short")] == ["token_expired"]
    assert "conn-short" in pusher.closed and connections.get("conn-short") is None


def test_a_ticket_connection_ends_with_the_token_that_bought_it(sockets_with_alice):
    from datetime import timedelta

    from chalicelib.core.clock import utcnow

    realtime, _, _, connections, tickets = sockets_with_alice
    ticket = tickets.issue("bob", 30, token_expires_at=utcnow() - timedelta(seconds=1))
    realtime.connect("conn-t", ENDPOINT, ticket=ticket)
    assert connections.get("conn-t") is not None and connections.of_users(["bob"]) == []


@pytest.mark.parametrize("frame", [
    {"action": "sendMessage", "conversationId": "g1", "text": "short id"},
    {"action": "sendMessage", "conversationId": "group 0001 with spaces", "text": "x"},
    {"action": "sendMessage", "conversationId": "group-0001", "text": "x", "clientMessageId": "has spaces"},
    {"action": "sendMessage", "conversationId": "group-0001", "text": "x", "clientMessageId": "x" * 101},
    {"action": "markRead", "conversationId": {"$ne": None}, "seq": 1},
])
def test_socket_ids_are_validated_as_rest_validates_them(sockets_with_alice, frame):
    """F7: the very schema fragments of POST /messages/send."""
    realtime, pusher, publisher, _, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps(frame))
    (error,) = replies(pusher)
    assert error["error"]["code"] == "invalid_input"
    assert publisher.published == []


@pytest.mark.parametrize("raw", [
    "[" * 20_000 + "]" * 20_000,
    '{"action": "ping", "x": ' + "[" * 5_000 + "]" * 5_000 + "}",
    '{"action": "ping", "action": "sendMessage"}',
])
def test_deep_or_ambiguous_frames_are_invalid_json_and_the_socket_stays(sockets_with_alice, raw):
    """F3 and duplicate keys, on frames."""
    realtime, pusher, _, connections, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, raw[:MAX_FRAME_BYTES])
    (error,) = replies(pusher)
    assert error["error"]["code"] == "invalid_json"
    assert connections.get("conn-a") is not None


@pytest.mark.parametrize("failure", ["forbidden", "throttled", "too_large", "broken"])
def test_a_reply_that_api_gateway_refuses_never_fails_the_handler(db, failure):
    from botocore.exceptions import ClientError

    from chalicelib.realtime.pusher import ConnectionPusher

    answers = {"forbidden": ("ForbiddenException", 403), "throttled": ("LimitExceededException", 429),
               "too_large": ("PayloadTooLargeException", 413), "broken": ("InternalServerErrorException", 500)}

    class Client:
        def post_to_connection(self, ConnectionId, Data):  # noqa: N803
            code, status = answers[failure]
            raise ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Post")

    wired = services.build(db, tokens=tokens, pusher=ConnectionPusher(lambda endpoint: Client()),
                           publisher=RecordingPublisher(), messaging=FakeConversations({}),
                           audience=StaticAudience({}))
    realtime, connections = wired.sockets, wired.connection_store
    realtime.connect("conn-r", ENDPOINT, token=wired.sessions.open("alice")["token"])
    reply = realtime.receive("conn-r", ENDPOINT, json.dumps({"action": "ping"}))
    assert reply["type"] == "pong"
    assert (connections.get("conn-r") is None) == (failure == "forbidden")


def test_presence_is_announced_on_change_not_on_every_connection(sockets_with_alice):
    """The first device of a user announces them online, the last one's $disconnect offline."""
    realtime, _, publisher, _, _ = sockets_with_alice
    realtime.connect("conn-b1", ENDPOINT, token=realtime._sessions.open("bob")["token"])
    realtime.connect("conn-b2", ENDPOINT, token=realtime._sessions.open("bob")["token"])
    realtime.disconnect("conn-b1")
    realtime.disconnect("conn-b2")
    realtime.disconnect("conn-b2")  # a repeated $disconnect changes nothing
    changes = [(entry["event"]["userId"], entry["event"]["online"]) for entry in publisher.of_type("presence")]
    assert changes == [("bob", True), ("bob", False)]
    assert all(entry["conversationId"] is None and entry["userIds"] == [] for entry in publisher.of_type("presence"))


def test_a_presence_frame_answers_and_follows_that_conversation(sockets_with_alice):
    realtime, pusher, _, connections, _ = sockets_with_alice
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "presence", "conversationId": "group-0001"}))
    (reply,) = replies(pusher)
    assert reply == {"type": "presence", "conversationId": "group-0001", "online": {"alice": True, "bob": False}}
    assert [target["_id"] for target in connections.watchers(["group-0001"])] == ["conn-a"]
