"""Fakes against production: the same cases run against each fake in tests/fakes.py and the
production adapter it stands in for (chalicelib/core/ports.py), so they cannot drift apart.

Each port's fixture is parametrized "fake" / "production" and yields the adapter with a way
to observe what it did in the port's own terms.
"""
import inspect
import json

import pytest

from chalicelib import services
from chalicelib.core import ports
from chalicelib.core.errors import DomainError, InvalidInput, NotFound
from chalicelib.core.limits import MESSAGES_SENT_PER_USER, Limiter
from chalicelib.messaging.messages import Messaging
from chalicelib.realtime.audience import ConversationAudience
from chalicelib.realtime.pusher import ConnectionPusher, Gone
from chalicelib.realtime.queue import FanoutQueue
from devstack.harness import drain_queue
from tests import fakes
from tests.helpers import make_group, set_membership

PAIRS = [  # (port, fake, production)
    (ports.Publisher, fakes.RecordingPublisher, FanoutQueue),
    (ports.JobQueue, fakes.RecordingQueue, FanoutQueue),
    (ports.Pusher, fakes.RecordingPusher, ConnectionPusher),
    (ports.Audience, fakes.StaticAudience, ConversationAudience),
    (ports.Limiter, fakes.NoLimits, Limiter),
    (ports.Conversations, fakes.FakeConversations, Messaging),
]


def _methods(protocol):
    return [name for name, member in vars(protocol).items() if callable(member) and not name.startswith("_")]


@pytest.mark.parametrize("port, fake, production", PAIRS, ids=lambda value: getattr(value, "__name__", ""))
def test_fake_and_production_take_the_ports_arguments(port, fake, production):
    for name in _methods(port):
        wanted = list(inspect.signature(getattr(port, name)).parameters)
        for implementation in (fake, production):
            found = list(inspect.signature(getattr(implementation, name)).parameters)
            assert found[:len(wanted)] == wanted, f"{implementation.__name__}.{name}{found} is not {port.__name__}'s"
            extra = inspect.signature(getattr(implementation, name)).parameters
            assert all(extra[parameter].default is not inspect.Parameter.empty for parameter in found[len(wanted):]), \
                f"{implementation.__name__}.{name} needs more than {port.__name__} gives"


# Publisher and JobQueue: FanoutQueue on moto's SQS ----------------------------------------

class QueueSide:
    def __init__(self, kind):
        self.kind = kind
        if kind == "fake":
            self.publisher, self.queue = fakes.RecordingPublisher(), fakes.RecordingQueue()
        else:
            drain_queue()  # what earlier tests left
            self.publisher = self.queue = FanoutQueue.from_env()

    def published(self):
        """[(event, conversation id or None, user ids, except user ids)] in order."""
        if self.kind == "fake":
            entries = self.publisher.published
        else:
            entries = drain_queue()
            assert all(job.pop("jobId") for job in entries)
        return [(entry["event"], entry.get("conversationId"), entry["userIds"], entry["exceptUserIds"])
                for entry in entries]

    def enqueued(self):
        return self.queue.jobs if self.kind == "fake" else drain_queue()


@pytest.fixture(params=["fake", "production"])
def queue_side(request, test_settings):
    return QueueSide(request.param)


def test_publish_reaches_a_conversation_and_named_users_less_the_excepted(queue_side):
    event = {"type": "typing", "conversationId": "g1", "userId": "u1"}
    queue_side.publisher.publish(event, conversation_id="g1", except_user_ids=["u1"])
    queue_side.publisher.publish({"type": "member.joined"}, user_ids=("u2", "u3"))

    assert queue_side.published() == [(event, "g1", [], ["u1"]), ({"type": "member.joined"}, None, ["u2", "u3"], [])]


def test_a_job_is_enqueued_as_it_is(queue_side):
    job = {"jobId": "j1", "event": {"type": "message"}, "conversationId": "g1", "userIds": [], "exceptUserIds": [],
           "after": "u5"}
    queue_side.queue.enqueue(job)

    assert queue_side.enqueued() == [job]


# Audience: ConversationAudience on MongoDB ----------------------------------------------------

@pytest.fixture(params=["fake", "production"])
def audience_side(request, db):
    """(audience, group id, 1:1 id): a group of u1..u5 (u6 only asked to join), a 1:1 of u1 and u9."""
    from chalicelib.storage.conversations import ConversationStore

    group = make_group(db, "u3", members=["u1", "u5", "u2", "u4"])
    set_membership(db, group, "u6", "pending")
    direct = ConversationStore(db).ensure_direct("u9", "u1")["_id"]
    if request.param == "fake":
        return fakes.StaticAudience({group: {"u1", "u2", "u3", "u4", "u5"}, direct: {"u1", "u9"}}), group, direct
    return services.build(db).audience, group, direct


def test_the_audience_is_its_members_in_id_order_a_page_at_a_time(audience_side):
    audience, group, direct = audience_side

    assert audience.member_ids(group) == ["u1", "u2", "u3", "u4", "u5"]
    assert audience.member_ids(group, after="u2", limit=2) == ["u3", "u4"]
    assert audience.member_ids(direct) == ["u1", "u9"]
    assert audience.member_ids(direct, after="u1") == ["u9"]
    assert audience.member_ids("nobody-knows-this-group") == []


@pytest.fixture(params=["fake", "production"])
def joined_history_side(request, db):
    """(audience, group, when u1 joined): a "joined"-history group; u1 joined an hour after the others."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.storage.memberships import membership_id

    joined = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    group = make_group(db, "u3", members=["u1", "u2"])
    db["groups"].update_one({"_id": group}, {"$set": {"historyVisibility": "joined"}})
    db["memberships"].update_many({"groupId": group}, {"$set": {"since": joined - timedelta(hours=1)}})
    db["memberships"].update_one({"_id": membership_id(group, "u1")}, {"$set": {"joinedAt": joined}})
    if request.param == "fake":
        return fakes.StaticAudience({group: {"u1", "u2", "u3"}}, joined={group: {"u1": joined}}), group, joined
    return services.build(db).audience, group, joined


def test_an_event_about_a_message_reaches_only_who_can_read_it(joined_history_side):
    from datetime import timedelta

    audience, group, joined = joined_history_side
    assert audience.member_ids(group, sent_at=joined - timedelta(minutes=1)) == ["u2", "u3"]
    assert audience.member_ids(group, sent_at=joined) == ["u1", "u2", "u3"]
    assert audience.member_ids(group) == ["u1", "u2", "u3"]


# Conversations: Messaging over the real stores -------------------------------------------------

@pytest.fixture(params=["fake", "production"])
def conversations_side(request, db):
    """(conversations, group id, member, another member, outsider)."""
    users = services.build(db).user_store
    member, other, outsider = (users.create(email=f"{name}@example.com", name=name, password_hash="x")["_id"]
                               for name in ("member", "other", "outsider"))
    group = make_group(db, member, members=[other], group_type="private")
    if request.param == "fake":
        return fakes.FakeConversations({group: {member, other}}), group, member, other, outsider
    return services.build(db, publisher=fakes.RecordingPublisher()).messaging, group, member, other, outsider


def _refusal(call, *args):
    with pytest.raises(DomainError) as refused:
        call(*args)
    return type(refused.value), refused.value.code


def test_a_member_sends_and_gets_the_stored_message(conversations_side):
    conversations, group, member, _, _ = conversations_side
    conversations.authorize(member, group)

    first = conversations.send(member, group, "hello", "c-1")
    second = conversations.send(member, group, "again")

    for field, value in {"conversationId": group, "senderId": member, "text": "hello", "seq": 1,
                         "clientMessageId": "c-1"}.items():
        assert first[field] == value, field
    assert first["id"] and second["id"] != first["id"] and second["seq"] == 2
    json.dumps(first)  # a frame can carry it


def test_empty_text_is_refused_before_anything_else(conversations_side):
    conversations, group, member, _, outsider = conversations_side

    assert _refusal(conversations.send, member, group, "   ") == (InvalidInput, "empty_text")
    assert _refusal(conversations.send, outsider, group, " ") == (InvalidInput, "empty_text")


def test_an_outsider_finds_no_private_group_and_no_unknown_one(conversations_side):
    from chalicelib.storage.conversations import direct_conversation_id

    conversations, group, member, _, outsider = conversations_side

    assert _refusal(conversations.send, outsider, group, "hi") == (NotFound, "group_not_found")
    assert _refusal(conversations.authorize, outsider, group) == (NotFound, "group_not_found")
    assert _refusal(conversations.authorize, member, "0" * 22) == (NotFound, "group_not_found")
    direct = direct_conversation_id(member, outsider)
    assert _refusal(conversations.mark_read, member, direct, 1) == (NotFound, "conversation_not_found")


def test_reading_never_goes_backwards_or_past_the_last_message(conversations_side):
    conversations, group, sender, reader, _ = conversations_side
    assert conversations.mark_read(reader, group, 3) == {"conversationId": group, "readSeq": 0, "lastSeq": 0,
                                                         "unreadCount": 0}
    for text in ("one", "two", "three"):
        conversations.send(sender, group, text)

    assert conversations.mark_read(reader, group, 2) == {"conversationId": group, "readSeq": 2, "lastSeq": 3,
                                                         "unreadCount": 1}
    assert conversations.mark_read(reader, group, 1)["readSeq"] == 2
    assert conversations.mark_read(reader, group, 9)["readSeq"] == 3
    assert conversations.mark_read(sender, group, 0)["readSeq"] == 3  # a sender has read what they sent


# Limiter: under its limit, neither refuses ------------------------------------------------------

@pytest.fixture(params=["fake", "production"])
def limiter(request, db):
    return fakes.NoLimits() if request.param == "fake" else services.build(db).limiter


def test_under_the_limit_nothing_is_refused(limiter):
    for _ in range(MESSAGES_SENT_PER_USER.max_hits - 1):
        limiter.take(MESSAGES_SENT_PER_USER, "u1")
    limiter.hit(MESSAGES_SENT_PER_USER, "u1")
    limiter.check(MESSAGES_SENT_PER_USER, "u2")
    limiter.reset(MESSAGES_SENT_PER_USER, "u1")
    limiter.take(MESSAGES_SENT_PER_USER, "u1")


# Pusher: ConnectionPusher against the local gateway's @connections API --------------------------

@pytest.fixture(params=["fake", "production"])
def pusher_side(request):
    """(pusher, endpoint, an open connection's id, frames it received, a gone connection's id)."""
    if request.param == "fake":
        pusher = fakes.RecordingPusher(gone={"gone-connection"})
        yield pusher, "http://gateway.test", "open-connection", lambda: pusher.frames_to("open-connection"), \
            "gone-connection"
        return
    stack = request.getfixturevalue("stack")
    yield from _live_connection(stack)


def _live_connection(stack):
    import time

    from pymongo import MongoClient

    from tests.live import Api, Listener, unique_email

    user = Api(stack["http"], unique_email("pusher"), "Pusher")
    listener = Listener(f"{stack['ws']}/?token={user.token}")
    try:
        with MongoClient(stack["mongo_uri"]) as client:
            deadline = time.monotonic() + 10
            while not (found := client[stack["db"]].connections.find_one({"userId": user.id})):
                assert time.monotonic() < deadline, "the connection was never recorded"
                time.sleep(0.05)
        # The endpoint the handler derived from the event, as API Gateway's: under the stage.
        yield ConnectionPusher.from_env(), found["endpoint"], found["_id"], lambda: _frames(listener), "c2lnb25lY29ubmVjdGlvbg="
    finally:
        listener.close()


def _frames(listener):
    import time

    time.sleep(0.2)  # a posted frame is on its way to the client
    return [frame for frame in listener.frames if frame.get("type") == "contract"]


def test_a_frame_reaches_an_open_connection(pusher_side):
    pusher, endpoint, connection, received, _ = pusher_side

    pusher.send(endpoint, connection, {"type": "contract", "n": 1})

    assert received() == [{"type": "contract", "n": 1}]


def test_a_gone_connection_raises_gone_and_closing_it_again_is_harmless(pusher_side):
    pusher, endpoint, _, _, gone = pusher_side

    with pytest.raises(Gone):
        pusher.send(endpoint, gone, {"type": "contract"})
    pusher.disconnect(endpoint, gone)
