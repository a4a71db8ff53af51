"""Mobile push from the fan-out consumer: the use cases wired by services.build with an
in-memory SNS (tests/fakes.py) on the real database, the real key service and the real
fan-out consumer."""
import json
from datetime import timedelta

import pytest

from chalicelib import services
from chalicelib.core.clock import iso, utcnow
from chalicelib.realtime.fanout import DeliveryIncomplete
from chalicelib.realtime.notifications import BURST_SECONDS, HIDDEN_BODY, PushIncomplete
from tests.fakes import RecordingMobilePush, RecordingPublisher, RecordingPusher
from tests.helpers import make_group

ENDPOINT = "http://gateway.test"


class World:
    def __init__(self, db, push=None, monotonic=None):
        self.db = db
        self.push = push or RecordingMobilePush()
        self.publisher = RecordingPublisher()
        self.pusher = RecordingPusher()
        self.app = services.build(db, mobile_push=self.push, publisher=self.publisher, pusher=self.pusher)
        if monotonic is not None:  # the same notifier, on a clock of the test's
            self.app = services.build(db, mobile_push=self.push, publisher=self.publisher, pusher=self.pusher,
                                      notifier=_notifier(self.app, monotonic))
            # The fan-out hands its deadline to the notifier: both on the test's clock.
            from chalicelib.realtime.fanout import Fanout

            self.app.fanout = Fanout(self.app.audience, self.app.connection_store, self.app.pusher,
                                     self.app.publisher, keyring=self.app.keyring, notifier=self.app.notifier,
                                     clock=monotonic)
        self.users = {}
        for name in ("alice", "bob", "carol"):
            self.users[name] = self.app.user_store.create(
                email=f"{name}@example.com", name=name.title(), password_hash="x")["_id"]
        self.group = make_group(db, self.users["alice"], members=[self.users["bob"], self.users["carol"]],
                                name="Team")

    def device(self, name, token, platform="apns"):
        device, _ = self.app.devices.register(self.users[name], platform, token, f"{name}'s phone")
        return device

    def online(self, name):
        self.app.connection_store.add(f"conn-{name}", self.users[name], ENDPOINT)

    def previews(self, name, on=True):
        self.db["users"].update_one({"_id": self.users[name]}, {"$set": {"pushPreviews": on}})

    def send(self, sender, text="hello there", to=None, mentions=None, at=None):
        """Send and run the fan-out job (its message as if sent `at`); the stored message."""
        self.publisher.published.clear()
        if to is None:
            message = self.app.messaging.send(self.users[sender], self.group, text)
        else:
            message = self.app.messaging.send_direct(
                self.users[sender], [f"{sender}@example.com", f"{to}@example.com"], f"{sender}@example.com",
                text)["message"]
        (job,) = self.publisher.published
        if mentions is not None:
            job["event"]["message"]["mentions"] = [self.users[name] for name in mentions]
        if at is not None:
            job["event"]["message"]["createdAt"] = iso(at)
        self.last_job = job
        self.app.fanout.deliver(job)
        return message


def _notifier(app, monotonic):
    """The notifier services.build makes, on the given clock."""
    from chalicelib.messaging.unread import UnreadTotals
    from chalicelib.realtime.notifications import Notifier
    from chalicelib.storage.push_receipts import PushReceiptStore

    return Notifier(devices=app.device_store, mutes=app.mute_store, users=app.user_store, groups=app.group_store,
                    unread=UnreadTotals(app.membership_store, app.conversation_store, app.read_marker_store),
                    receipts=PushReceiptStore(app.db), push=app.mobile_push, clock=app.clock, monotonic=monotonic)


@pytest.fixture
def world(db):
    return World(db)


def test_an_offline_member_gets_one_push_per_device_and_a_connected_one_none(world):
    world.device("bob", "b0b" * 22)
    world.device("bob", "b1b" * 22, platform="fcm")
    world.device("carol", "c0c" * 22)
    world.device("alice", "a0a" * 22)
    world.online("carol")

    message = world.send("alice")

    assert len(world.push.to_token("b0b" * 22)) == 1 and len(world.push.to_token("b1b" * 22)) == 1
    assert world.push.to_token("c0c" * 22) == []  # her socket took it
    assert world.push.to_token("a0a" * 22) == []  # never one's own message
    (push,) = world.push.to_token("b0b" * 22)
    assert push["data"] == {"type": "message", "conversationId": world.group, "messageId": message["id"],
                            "seq": message["seq"]}
    assert push["title"] == "Alice in Team"
    assert push["collapseKey"] == world.group
    assert world.pusher.frames_to("conn-carol")[0]["message"]["id"] == message["id"]


def _window_start():
    """The start of the current push window, so a test's burst cannot straddle two."""
    now = utcnow()
    return now - timedelta(seconds=now.timestamp() % BURST_SECONDS)


def test_a_burst_alerts_each_device_once_per_conversation_window(world):
    world.device("bob", "b0b" * 22)
    start = _window_start()
    first = world.send("alice", "one", at=start)
    world.send("carol", "two", at=start + timedelta(seconds=20))
    world.send("alice", "three", at=start + timedelta(seconds=BURST_SECONDS - 1))
    world.send("alice", "hi bob", to="bob", at=start)  # another conversation has its own window

    pushes = world.push.to_token("b0b" * 22)
    assert [push["data"]["messageId"] for push in pushes][0] == first["id"]
    assert [push["collapseKey"] for push in pushes] == [world.group, pushes[1]["collapseKey"]]
    assert pushes[1]["collapseKey"].startswith("dm_")

    later = world.send("alice", "after the burst", at=start + timedelta(seconds=BURST_SECONDS))
    pushes = world.push.to_token("b0b" * 22)
    assert pushes[-1]["data"]["messageId"] == later["id"] and len(pushes) == 3
    assert pushes[-1]["badge"] == 5  # the group's four (those the window kept quiet too) and the 1:1's one


def test_a_mention_pushes_inside_the_window(world):
    world.device("bob", "b0b" * 22)
    world.device("carol", "c0c" * 22)
    start = _window_start()
    world.send("alice", "one", at=start)
    mentioning = world.send("alice", "@bob look", mentions=["bob"], at=start)
    assert [push["data"]["messageId"] for push in world.push.to_token("b0b" * 22)][-1] == mentioning["id"]
    assert len(world.push.to_token("b0b" * 22)) == 2
    assert len(world.push.to_token("c0c" * 22)) == 1  # carol was not mentioned


def test_a_failed_push_leaves_the_window_open_for_the_next_message(world):
    world.device("bob", "b0b" * 22)
    arn = world.app.device_store.of_users([world.users["bob"]])[0]["endpointArn"]
    world.push.broken.add(arn)
    start = _window_start()
    with pytest.raises(PushIncomplete):
        world.send("alice", "one", at=start)
    world.push.broken.discard(arn)
    second = world.send("alice", "two", at=start)
    assert [push["data"]["messageId"] for push in world.push.to_token("b0b" * 22)] == [second["id"]]


def test_a_direct_message_is_titled_with_the_senders_name(world):
    world.device("bob", "b0b" * 22)
    world.send("alice", to="bob")
    (push,) = world.push.to_token("b0b" * 22)
    assert push["title"] == "Alice"
    assert push["collapseKey"].startswith("dm_")


def test_no_text_leaves_unless_the_user_turned_previews_on(world):
    world.device("bob", "b0b" * 22)
    world.device("carol", "c0c" * 22)
    world.previews("carol")
    world.send("alice", "the secret plan")
    assert world.push.to_token("b0b" * 22)[0]["body"] == HIDDEN_BODY
    assert world.push.to_token("c0c" * 22)[0]["body"] == "the secret plan"
    assert all("secret" not in str(push) for push in world.push.to_token("b0b" * 22))


def test_a_long_preview_is_cut(world):
    world.device("carol", "c0c" * 22)
    world.previews("carol")
    world.send("alice", "x" * 1000)
    body = world.push.to_token("c0c" * 22)[0]["body"]
    assert len(body) <= 180 and body.endswith("…")


def test_a_muted_conversation_does_not_push_unless_it_mentions_you(world):
    world.device("bob", "b0b" * 22)
    world.device("carol", "c0c" * 22)
    world.app.mutes.mute(world.users["bob"], world.group)
    world.app.mutes.mute(world.users["carol"], world.group)

    world.send("alice", mentions=["carol"])

    assert world.push.to_token("b0b" * 22) == []
    assert len(world.push.to_token("c0c" * 22)) == 1
    world.app.mutes.unmute(world.users["bob"], world.group)
    world.send("alice")
    assert len(world.push.to_token("b0b" * 22)) == 1


def test_a_mute_ends_at_its_time(world):
    world.device("bob", "b0b" * 22)
    world.app.mutes.mute(world.users["bob"], world.group, (utcnow() + timedelta(hours=1)).isoformat())
    world.send("alice")
    assert world.push.to_token("b0b" * 22) == []
    world.db["mutes"].update_many({}, {"$set": {"until": utcnow() - timedelta(seconds=1)}})
    world.send("alice")
    assert len(world.push.to_token("b0b" * 22)) == 1


def test_the_badge_is_the_total_unread_over_every_conversation(world):
    world.device("bob", "b0b" * 22)
    other_group = make_group(world.db, world.users["carol"], members=[world.users["bob"]], name="Other")
    for text in ("one", "two", "three"):
        world.app.messaging.send(world.users["carol"], other_group, text)
    world.app.messaging.mark_read(world.users["bob"], other_group, 1)  # 2 unread there
    world.send("carol", to="bob")  # 1 unread in the 1:1
    world.send("alice")  # and this one: 1 in Team
    badges = [push["badge"] for push in world.push.to_token("b0b" * 22)]
    assert badges == [3, 4]
    world.app.messaging.mark_read(world.users["bob"], world.group, 1)
    world.send("alice")
    assert world.push.to_token("b0b" * 22)[-1]["badge"] == 4  # 2 + 1 + 1 (the new one)


def test_each_job_counts_its_pushes_in_the_metrics(world, capsys):
    from chalicelib.core.metrics import metrics

    world.device("bob", "b0b" * 22)
    dead = world.device("carol", "c0c" * 22)
    world.push.disable(next(arn for arn, e in world.push.endpoints.items() if e["token"] == "c0c" * 22))
    metrics.flush()
    capsys.readouterr()
    world.send("alice")
    metrics.flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert {name: line[name] for line in lines for name in ("PushesSent", "PushesPruned") if name in line} == {
        "PushesSent": 1, "PushesPruned": 1}
    assert world.db["devices"].find_one({"_id": dead["id"]}) is None


def test_the_push_line_names_the_message_for_the_saved_query(world):
    from tests.helpers import capture_app_logs
    from tests.realtime.test_observability import _saved_query_fields

    world.device("bob", "b0b" * 22)
    with capture_app_logs("INFO") as logs:
        message = world.send("alice", text="a secret plan")
    (line,) = [json.loads(text) for text in logs.getvalue().splitlines() if "mobile push:" in text]
    assert line["messageId"] == message["id"] and "a secret plan" not in json.dumps(line)
    assert (line["pushesSent"], line["pushesDisabled"], line["pushesFailed"]) == (1, 0, 0)
    assert {"pushesSent", "pushesDisabled", "pushesFailed"} <= set(_saved_query_fields())


def test_a_disabled_endpoint_is_pruned_with_its_device(world):
    device = world.device("bob", "b0b" * 22)
    kept = world.device("bob", "b1b" * 22)
    (arn,) = [arn for arn, endpoint in world.push.endpoints.items() if endpoint["token"] == "b0b" * 22]
    world.push.disable(arn)

    world.send("alice")

    assert world.db["devices"].find_one({"_id": device["id"]}) is None
    assert world.db["devices"].find_one({"_id": kept["id"]}) is not None
    assert arn in world.push.deleted
    assert [d["id"] for d in world.app.devices.list(world.users["bob"])["devices"]] == [kept["id"]]


def test_throttling_is_retried_and_pushes_once(db):
    push = RecordingMobilePush()
    world = World(db, push)
    world.device("bob", "b0b" * 22)
    (arn,) = list(push.endpoints)
    push._throttles_left[arn] = 2
    world.send("alice")
    assert len(push.to_token("b0b" * 22)) == 1


def test_a_failed_push_fails_the_job_and_its_retry_pushes_only_the_failed_devices(world):
    world.device("bob", "b0b" * 22)
    world.device("carol", "c0c" * 22)
    (carol_arn,) = [arn for arn, e in world.push.endpoints.items() if e["token"] == "c0c" * 22]
    world.push.broken.add(carol_arn)
    with pytest.raises(PushIncomplete):
        world.send("alice")
    assert len(world.push.to_token("b0b" * 22)) == 1 and world.push.to_token("c0c" * 22) == []

    world.push.broken.clear()
    world.app.fanout.deliver(world.last_job)  # SQS delivers the job again
    world.app.fanout.deliver(world.last_job)  # and again: nothing more to push
    assert len(world.push.to_token("b0b" * 22)) == 1 and len(world.push.to_token("c0c" * 22)) == 1


def test_a_socket_failure_retries_the_job_without_pushing_twice(db):
    world = World(db)
    world.device("bob", "b0b" * 22)
    world.online("carol")
    world.pusher._broken.add("conn-carol")
    with pytest.raises(DeliveryIncomplete):
        world.send("alice")
    world.pusher._broken.clear()
    world.app.fanout.deliver(world.last_job)
    assert len(world.push.to_token("b0b" * 22)) == 1


def test_other_events_never_push(world):
    world.device("bob", "b0b" * 22)
    world.app.fanout.deliver({"event": {"type": "typing", "conversationId": world.group, "userId": "x"},
                              "conversationId": world.group, "userIds": [], "exceptUserIds": []})
    assert world.push.published == []


def test_users_without_devices_cost_one_query(world, monkeypatch):
    calls = []
    monkeypatch.setattr(world.app.mute_store, "muted_users", lambda *a: calls.append(a) or set())
    world.send("alice")
    assert calls == [] and world.push.published == []


def test_past_the_deadline_a_throttled_push_is_left_for_the_jobs_retry(db):
    # The job starts (its deadline: the fan-out's 25 s budget); its first push is throttled, and then it is late.
    clock = iter([0.0, 30.0])
    push = RecordingMobilePush()
    world = World(db, push, monotonic=lambda: next(clock, 30.0))
    world.device("bob", "b0b" * 22)
    (arn,) = list(push.endpoints)
    push._throttles_left[arn] = 1
    with pytest.raises(PushIncomplete):
        world.send("alice")
    assert push.to_token("b0b" * 22) == []
    world.app.fanout.deliver(world.last_job)  # the retry: its own deadline
    assert len(push.to_token("b0b" * 22)) == 1
