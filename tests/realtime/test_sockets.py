"""WebSocket use cases with fakes for delivery and messaging, real stores for the rest."""
import json

import pytest

from chalicelib.accounts.sessions import Sessions
from chalicelib.accounts.tokens import Tokens
from chalicelib.core.errors import NotAuthenticated
from chalicelib.core.limits import WS_FRAMES_PER_CONNECTION, Limiter
from chalicelib.realtime.sockets import MAX_FRAME_BYTES, Sockets
from chalicelib.storage.connections import ConnectionStore
from chalicelib.storage.sessions import SessionStore
from chalicelib.storage.throttles import ThrottleStore
from chalicelib.storage.tickets import TicketStore
from tests.fakes import (
    FakeConversations,
    RecordingPublisher,
    RecordingPusher,
    StaticAudience,
)

ENDPOINT = "http://gateway.test"
tokens = Tokens("realtime-unit-test-secret-long-enough-xxxxxxxx", "iss", "aud", 60)


@pytest.fixture
def world(db):
    pusher = RecordingPusher()
    publisher = RecordingPublisher()
    connections = ConnectionStore(db)
    tickets = TicketStore(db)
    limiter = Limiter(ThrottleStore(db))
    sessions = Sessions(sessions=SessionStore(db), tokens=tokens, connections=connections, pusher=pusher,
                        limiter=limiter, refresh_days=30, cache_seconds=0)
    realtime = Sockets(
        sessions=sessions, tickets=tickets, connections=connections, pusher=pusher, publisher=publisher,
        conversations=FakeConversations({"g1": {"alice", "bob"}}),
        audience=StaticAudience({"g1": {"alice", "bob"}}), limiter=limiter,
    )
    realtime.connect("conn-a", ENDPOINT, token=sessions.open("alice")["token"])
    return realtime, pusher, publisher, connections, tickets


def replies(pusher):
    return [frame for _, _, frame in pusher.sent]


def test_connect_with_a_token_records_the_connection(world):
    _, _, _, connections, _ = world
    assert connections.get("conn-a")["userId"] == "alice"


@pytest.mark.parametrize("credentials", [{}, {"token": "garbage"}, {"ticket": "never-issued"}])
def test_connect_refuses_without_valid_credentials(world, credentials):
    realtime, _, _, connections, _ = world
    with pytest.raises(NotAuthenticated):
        realtime.connect("conn-x", ENDPOINT, **credentials)
    assert connections.get("conn-x") is None


def test_a_ticket_opens_one_connection_only(world):
    realtime, _, _, connections, tickets = world
    ticket = tickets.issue("bob", 30)
    assert realtime.connect("conn-b", ENDPOINT, ticket=ticket) == "bob"
    with pytest.raises(NotAuthenticated):
        realtime.connect("conn-b2", ENDPOINT, ticket=ticket)
    assert connections.get("conn-b2") is None


def test_disconnect_forgets_the_connection(world):
    realtime, _, _, connections, _ = world
    realtime.disconnect("conn-a")
    assert connections.get("conn-a") is None


def test_ping_gets_a_pong(world):
    realtime, pusher, _, _, _ = world
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "ping", "requestId": "r1"}))
    (pong,) = replies(pusher)
    assert pong["type"] == "pong" and pong["requestId"] == "r1"


def test_send_message_acks_the_sender(world):
    realtime, pusher, _, _, _ = world
    realtime.receive("conn-a", ENDPOINT, json.dumps(
        {"action": "sendMessage", "conversationId": "g1", "text": "hi", "clientMessageId": "c1"}))
    (ack,) = replies(pusher)
    assert ack["type"] == "ack" and ack["message"]["text"] == "hi" and ack["clientMessageId"] == "c1"


def test_typing_goes_to_the_other_members_only(world):
    realtime, pusher, publisher, _, _ = world
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "typing", "conversationId": "g1", "isTyping": True}))
    (entry,) = publisher.of_type("typing")
    assert entry["conversationId"] == "g1" and entry["exceptUserIds"] == ["alice"]
    assert entry["event"]["userId"] == "alice" and entry["event"]["isTyping"] is True
    assert replies(pusher) == []


def test_mark_read_acks_and_tells_the_others(world):
    realtime, pusher, publisher, _, _ = world
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "markRead", "conversationId": "g1", "seq": 4}))
    assert replies(pusher) == [{"type": "read", "conversationId": "g1", "userId": "alice", "seq": 4}]
    assert publisher.of_type("read")[0]["exceptUserIds"] == ["alice"]


def test_presence_lists_which_members_are_online(world):
    realtime, pusher, _, _, _ = world
    realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "presence", "conversationId": "g1"}))
    (presence,) = replies(pusher)
    assert presence["online"] == {"alice": True, "bob": False}


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json", "invalid_json"),
        ("[1]", "invalid_json"),
        (json.dumps({"action": "fly"}), "unknown_action"),
        (json.dumps({"text": "no action"}), "unknown_action"),
        (json.dumps({"action": "sendMessage", "conversationId": "g1"}), "invalid_input"),
        (json.dumps({"action": "sendMessage", "conversationId": "g1", "text": "x", "extra": 1}), "invalid_input"),
        (json.dumps({"action": "sendMessage", "conversationId": "g1", "text": "   "}), "invalid_input"),
        (json.dumps({"action": "typing", "conversationId": "g1", "isTyping": "yes"}), "invalid_input"),
        (json.dumps({"action": "typing", "conversationId": "elsewhere", "isTyping": True}), "conversation_not_found"),
        (json.dumps({"action": "sendMessage", "conversationId": "g1", "text": "x" * MAX_FRAME_BYTES}), "frame_too_large"),
    ],
)
def test_bad_frames_get_an_error_frame_and_keep_the_connection(world, frame, code):
    realtime, pusher, publisher, connections, _ = world
    realtime.receive("conn-a", ENDPOINT, frame)
    (error,) = replies(pusher)
    assert error["type"] == "error" and error["error"]["code"] == code and error["error"]["message"]
    assert connections.get("conn-a") is not None
    assert publisher.published == []


def test_frames_past_the_rate_limit_are_refused(world):
    realtime, pusher, _, _, _ = world
    for _ in range(WS_FRAMES_PER_CONNECTION.max_hits + 1):
        realtime.receive("conn-a", ENDPOINT, json.dumps({"action": "ping"}))
    last = replies(pusher)[-1]
    assert last["type"] == "error" and last["error"]["code"] == "rate_limited" and last["error"]["retryAfter"] >= 1
    assert all(frame["type"] == "pong" for frame in replies(pusher)[:-1])


def test_a_frame_from_an_unknown_connection_is_refused(world):
    realtime, pusher, _, _, _ = world
    realtime.receive("conn-unknown", ENDPOINT, json.dumps({"action": "ping"}))
    assert replies(pusher)[0]["error"]["code"] == "unknown_connection"
