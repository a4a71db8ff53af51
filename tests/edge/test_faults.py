"""Fault injection: a dependency fails under the running app, which answers 503 with the
contract's error body, writes nothing half-way, and recovers by itself once the dependency
is back. Each test starts its own MongoDB or moto server and stops it (the session's shared
servers are never touched), and a fixture restores the settings afterwards.

Covered elsewhere, not repeated here: the fan-out consumer crashing mid-batch is redelivered
without a lost message, and a client that vanished without $disconnect is pruned on its
first Gone (tests/stack/test_realtime.py); a poison job ends in the dead-letter queue (same
file); a KMS key that does not exist (tests/messaging/test_routes.py).
"""
import pytest
from chalice.test import Client

from chalicelib import services
from chalicelib.core import aws
from chalicelib.core.errors import Unavailable, as_domain_error
from chalicelib.storage import mongo
from devstack import processes
from devstack.harness import drain_queue
from devstack.provision import provision_kms, provision_queues
from tests.helpers import call, make_group, new_user

QUEUE_NAME = "secure-messaging-fanout-faults"
IGNORED = ("throttles",)


def _rebuild(reconnect):
    """Every process-wide client and service built again from the environment."""
    from chalicelib.core.config import settings

    if reconnect:
        mongo.reset_for_tests()
    aws.reset_for_tests()
    services.forget_all()
    settings()  # read now: chalice.test.Client swaps stage environments while serving


def _state(database):
    return {name: sorted(database[name].find(), key=lambda doc: str(doc["_id"]))
            for name in database.list_collection_names() if name not in IGNORED}


def _unavailable(answer, code):
    status, body, _ = answer
    return status == 503 and body == {"error": {"code": code, "message": body["error"]["message"]}}


# MongoDB ---------------------------------------------------------------------------------

class OwnMongo:
    """An embedded MongoDB of this test's own, which it stops and starts at will."""

    def __init__(self, storage):
        self.port = processes.free_port()
        self.storage = storage
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self._process = processes.start_mongo(self.port, storage)

    def stop(self):
        processes.stop(self._process, timeout=2)

    def start(self):
        self._process = processes.start_mongo(self.port, self.storage)  # same port, same data


@pytest.fixture
def own_mongo(test_settings, monkeypatch, tmp_path):
    """The app pointed at an OwnMongo for one test; the test settings come back afterwards."""
    server = OwnMongo(str(tmp_path / "mongo"))
    monkeypatch.setenv("MONGO_URI", server.uri)
    monkeypatch.setenv("MONGO_DB", "faults")
    _rebuild(reconnect=True)
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        _rebuild(reconnect=True)


def test_mongodb_stopping_answers_503_writes_nothing_and_the_app_recovers(own_mongo):
    from pymongo import MongoClient

    from app import app

    with Client(app, stage_name="unit-tests") as client, MongoClient(own_mongo.uri, tz_aware=True) as observer:
        alice, token = new_user(client, "alice@example.com", "Alice")
        status, body, _ = call(client, "POST", "/groups/create", {"name": "Team", "type": "open"}, token=token)
        group = body["group"]["id"]
        first = call(client, "POST", "/messages/send", {"groupId": group, "text": "before"}, token=token)
        assert first[0] == 201
        before = _state(observer["faults"])

        own_mongo.stop()
        during = {
            "send": call(client, "POST", "/messages/send",
                         {"groupId": group, "text": "during", "clientMessageId": "outage-1"}, token=token),
            "login": call(client, "POST", "/login", {"email": "alice@example.com", "password": "correct horse battery"}),
            "health": call(client, "GET", "/health"),
        }
        own_mongo.start()

        assert _unavailable(during["send"], "service_unavailable"), during
        assert _unavailable(during["login"], "service_unavailable"), during
        assert _unavailable(during["health"], "dependency_down") and "database" in during["health"][1]["error"]["message"]
        assert _state(observer["faults"]) == before  # nothing half-written
        # Recovery needs no restart of the app: the same process serves again at once.
        retried = call(client, "POST", "/messages/send",
                        {"groupId": group, "text": "during", "clientMessageId": "outage-1"}, token=token)
        assert retried[0] == 201 and retried[1]["message"]["seq"] == 2, retried
        assert call(client, "GET", "/health")[0] == 200
        assert call(client, "POST", "/login", {"email": "alice@example.com", "password": "correct horse battery"})[0] == 200
        history = call(client, "GET", f"/messages/{group}", token=token)[1]
        assert [m["text"] for m in history["messages"]] == ["before", "during"]


class StopsMongoAfterAppend:
    """The message store, but the database goes away right after a message is inserted:
    past the send's commit point, before the conversation and read marker are updated."""

    def __init__(self, store, server):
        self._store = store
        self._server = server

    def append(self, document, next_seq_hint):
        stored = self._store.append(document, next_seq_hint)
        self._server.stop()
        return stored

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_mongodb_stopping_in_the_middle_of_a_send_is_completed_by_a_retry(own_mongo):
    from chalicelib.storage.messages import MessageStore
    from tests.fakes import RecordingPublisher

    database = mongo.database()
    users = services.build(database).user_store
    alice = users.create(email="alice@example.com", name="Alice", password_hash="unused")["_id"]
    group = make_group(database, alice)
    publisher = RecordingPublisher()

    def messaging(messages):
        return services.build(database, message_store=messages, publisher=publisher).messaging

    with pytest.raises(Exception) as failed:
        messaging(StopsMongoAfterAppend(MessageStore(database), own_mongo)).send(alice, group, "cut", "mid-1")
    assert isinstance(as_domain_error(failed.value), Unavailable)  # a 503 at the edge
    own_mongo.start()

    # Only the message itself was stored: no reader sees a half-message, none was published.
    assert [m["clientMessageId"] for m in database["messages"].find()] == ["mid-1"]
    assert publisher.published == []
    again = messaging(MessageStore(database)).send(alice, group, "cut", "mid-1")
    assert again["seq"] == 1 and database["messages"].count_documents({}) == 1
    assert database["conversations"].find_one({"_id": group})["lastSeq"] == 1
    assert database["read_markers"].find_one({"userId": alice})["readSeq"] == 1
    assert [entry["event"]["message"]["id"] for entry in publisher.published] == [again["id"]]


# KMS and SQS (moto) ----------------------------------------------------------------------

class OwnMoto:
    """A moto server of this test's own. Its KMS master key keeps its id and material across
    a restart (as on `make run`), and provisioning is redone on each start."""

    def __init__(self, state_dir):
        self.port = processes.free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._state = str(state_dir / "kms-master-key.json")
        self.start()

    def start(self):
        self._process = processes.start_moto(self.port, kms_state=self._state)
        provision_kms(self.endpoint, "alias/secure-messaging")
        self.queue_url = provision_queues(self.endpoint, "us-east-1", QUEUE_NAME)["url"]

    def stop(self):
        processes.stop(self._process, timeout=2)

    def jobs(self):
        """The fan-out jobs waiting on this server's queue, taken off it."""
        return drain_queue(self.endpoint, self.queue_url)


@pytest.fixture
def own_moto(test_settings, monkeypatch, tmp_path):
    """`redirect(*services)`: the app's KMS and/or SQS at an OwnMoto, for one test."""
    started = []

    def redirect(*aws_services):
        server = OwnMoto(tmp_path)
        started.append(server)
        if "kms" in aws_services:
            monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.endpoint)
        if "sqs" in aws_services:
            monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", server.endpoint)
            monkeypatch.setenv("FANOUT_QUEUE_URL", server.queue_url)
        _rebuild(reconnect=False)
        return server

    try:
        yield redirect
    finally:
        for server in started:
            server.stop()
        monkeypatch.undo()
        _rebuild(reconnect=False)


@pytest.fixture
def pair(client, db):
    alice, alice_token = new_user(client, "alice@example.com", "Alice")
    bob, bob_token = new_user(client, "bob@example.com", "Bob")
    return {"alice": alice, "bob": bob, "alice_token": alice_token, "bob_token": bob_token,
            "group": make_group(db, alice["id"], members=[bob["id"]])}


def _send(client, token, conversation_id, text, **extra):
    return call(client, "POST", "/messages/send", {"groupId": conversation_id, "text": text, **extra}, token=token)


def _history(client, token, conversation_id):
    return call(client, "GET", f"/messages/{conversation_id}", token=token)


def test_kms_failing_refuses_what_needs_it_and_cached_keys_keep_working(client, db, pair, own_moto):
    kms = own_moto("kms")
    group, token = pair["group"], pair["alice_token"]
    assert _send(client, token, group, "before")[0] == 201  # this process now holds the group's key
    kms.stop()

    # A key this process holds: sending and reading go on without KMS.
    assert _send(client, token, group, "cached key")[0] == 201
    assert [m["text"] for m in _history(client, pair["bob_token"], group)[1]["messages"]] == ["before", "cached key"]
    # A new conversation needs a new key: refused cleanly, nothing of it stored.
    before = _state(db)
    started = call(client, "PUT", "/messages", {"participants": [pair["alice"]["email"], pair["bob"]["email"]],
                                                "message": {"sender": pair["alice"]["email"], "text": "new"}},
                   token=token)
    assert _unavailable(started, "key_service_unavailable"), started
    assert _state(db) == before
    # A cold process (a new Lambda) holds no key: reads and sends fail cleanly, nothing is written.
    _rebuild(reconnect=False)
    assert _unavailable(_history(client, token, group), "key_service_unavailable")
    assert _unavailable(_send(client, token, group, "cold", clientMessageId="cold-1"), "key_service_unavailable")
    assert _state(db) == before
    health = call(client, "GET", "/health")
    assert _unavailable(health, "dependency_down") and "keys" in health[1]["error"]["message"]

    kms.start()  # the same master key comes back: every stored message opens again
    assert _send(client, token, group, "cold", clientMessageId="cold-1")[0] == 201
    assert [m["text"] for m in _history(client, token, group)[1]["messages"]] == ["before", "cached key", "cold"]
    assert call(client, "GET", "/health")[0] == 200


def _queued_message_ids(sqs):
    """The ids of the messages queued for fan-out (each job's message is sealed: opened here)."""
    from chalicelib import services
    from chalicelib.realtime.queue import open_event

    return [open_event(job["event"], services.keyring())["message"]["id"] for job in sqs.jobs()]


def test_sqs_failing_keeps_the_message_and_a_retried_send_enqueues_it(client, db, pair, own_moto):
    sqs = own_moto("sqs")
    group, token = pair["group"], pair["alice_token"]
    first = _send(client, token, group, "queued")
    assert first[0] == 201
    assert _queued_message_ids(sqs) == [first[1]["message"]["id"]]
    sqs.stop()

    failed = _send(client, token, group, "kept", clientMessageId="q-2")
    assert _unavailable(failed, "delivery_unavailable"), failed
    # The message is stored: members read it in history.
    kept = _history(client, pair["bob_token"], group)[1]["messages"][-1]
    assert (kept["text"], kept["clientMessageId"]) == ("kept", "q-2")

    sqs.start()  # an empty queue at the same URL
    retried = _send(client, token, group, "kept", clientMessageId="q-2")
    assert retried[0] == 201 and retried[1]["message"] == kept
    assert _queued_message_ids(sqs) == [kept["id"]]
    assert db["messages"].count_documents({"conversationId": group}) == 2
