"""Reactions: the use cases built by services.build on the real MongoDB, and what a history
page costs with them."""
import pytest

from chalicelib import services
from chalicelib.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.messaging.reactions import MAX_REACTION_KINDS
from chalicelib.storage.users import UserStore
from tests.fakes import RecordingPublisher
from tests.helpers import make_group

KINDS = ["😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "🫠", "😉", "😊", "😇", "🥰", "😍", "🤩",
         "😘", "😗", "😚", "😙", "🥲"]


@pytest.fixture
def app(db, key_service, publisher):
    return services.build(db, key_service=key_service, publisher=publisher)


@pytest.fixture
def group(db, people):
    return make_group(db, people["alice"], members=[people["bob"]])


@pytest.fixture
def message(app, group, people):
    return app.messaging.send(people["alice"], group, "lunch?")


def _state(db):
    return [list(db[name].find()) for name in ("messages", "reactions")]


def test_reactions_count_per_emoji_and_mark_mine(app, group, people, message, publisher):
    reactions = app.message_reactions
    reactions.add(people["alice"], group, message["id"], "👍")
    reactions.add(people["bob"], group, message["id"], "👍")
    answered = reactions.add(people["bob"], group, message["id"], "🍕")
    assert answered["reactions"] == [{"emoji": "👍", "count": 2, "me": True}, {"emoji": "🍕", "count": 1, "me": True}]
    seen_by = {name: app.messaging.history(people[name], group)["messages"][0]["reactions"] for name in ("alice", "bob")}
    assert seen_by["alice"] == [{"emoji": "👍", "count": 2, "me": True}, {"emoji": "🍕", "count": 1, "me": False}]
    assert seen_by["bob"] == answered["reactions"]
    events = publisher.of_type("reaction.changed")
    assert len(events) == 3 and [e["event"]["message"]["version"] for e in events] == [2, 3, 4]
    assert events[-1]["event"]["reaction"] == {"emoji": "🍕", "userId": people["bob"], "reacted": True}
    last = app.messaging.conversations_of(people["bob"])["conversations"][0]["lastMessage"]
    assert last["reactions"] == answered["reactions"]


def test_adding_twice_and_removing_twice_are_idempotent(app, db, group, people, message, publisher):
    reactions = app.message_reactions
    first = reactions.add(people["bob"], group, message["id"], "👍")
    state = _state(db)
    assert reactions.add(people["bob"], group, message["id"], "👍") == first
    assert _state(db) == state and len(publisher.of_type("reaction.changed")) == 1
    reactions.remove(people["bob"], group, message["id"], "👍")
    state = _state(db)
    reactions.remove(people["bob"], group, message["id"], "👍")
    assert _state(db) == state and len(publisher.of_type("reaction.changed")) == 2
    view = app.messaging.history(people["bob"], group)["messages"][0]
    assert view["reactions"] == [] and view["version"] == 3
    assert "reactions" not in db["messages"].find_one({"_id": message["id"]}) or \
        db["messages"].find_one({"_id": message["id"]})["reactions"] == {}


def test_a_message_takes_a_bounded_number_of_kinds(app, db, group, people, message):
    for emoji in KINDS[:MAX_REACTION_KINDS]:
        app.message_reactions.add(people["bob"], group, message["id"], emoji)
    state = _state(db)
    with pytest.raises(Conflict) as refused:
        app.message_reactions.add(people["alice"], group, message["id"], KINDS[MAX_REACTION_KINDS])
    assert refused.value.code == "too_many_reactions" and _state(db) == state
    app.message_reactions.add(people["alice"], group, message["id"], KINDS[0])  # an existing kind still counts
    app.message_reactions.remove(people["bob"], group, message["id"], KINDS[1])
    app.message_reactions.add(people["alice"], group, message["id"], KINDS[MAX_REACTION_KINDS])  # room again


@pytest.mark.parametrize("who, emoji, target, error, code", [
    ("carol", "👍", "message", Forbidden, "not_a_member"),
    ("bob", "ok", "message", InvalidInput, "invalid_emoji"),
    ("bob", "👍👍", "message", InvalidInput, "invalid_emoji"),
    ("bob", "👍", "elsewhere", NotFound, "message_not_found"),
    ("bob", "👍", "deleted", Conflict, "message_deleted"),
])
def test_refused_reactions_change_nothing(app, db, group, people, message, publisher, who, emoji, target, error,
                                          code):
    other = make_group(db, people["bob"], name="Other")
    elsewhere = app.messaging.send(people["bob"], other, "elsewhere")
    gone = app.messaging.send(people["bob"], group, "gone")
    app.message_lifecycle.delete(people["bob"], group, gone["id"])
    message_id = {"message": message["id"], "elsewhere": elsewhere["id"], "deleted": gone["id"]}[target]
    state, published = _state(db), len(publisher.published)
    with pytest.raises(error) as refused:
        app.message_reactions.add(people[who], group, message_id, emoji)
    assert refused.value.code == code
    assert _state(db) == state and len(publisher.published) == published


def test_a_history_page_with_reactions_costs_one_more_indexed_read(db, mongo_uri, key_service, people):
    from pymongo import MongoClient, monitoring

    class Finds(monitoring.CommandListener):
        def __init__(self):
            self.collections = None

        def started(self, event):
            if self.collections is not None and event.command_name in ("find", "aggregate", "count"):
                self.collections.append(str(event.command[event.command_name]))  # 1: a batch on the database

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    listener = Finds()
    client = MongoClient(mongo_uri, event_listeners=[listener], tz_aware=True)
    try:
        app = services.build(client[db.name], key_service=key_service, publisher=RecordingPublisher())
        group = make_group(db, people["alice"], members=[people["bob"]])
        sent = [app.messaging.send(people["alice"], group, f"m{index}") for index in range(10)]

        def finds_of_a_page():
            listener.collections = []
            app.messaging.history(people["bob"], group)
            found, listener.collections = listener.collections, None
            return found

        finds_of_a_page()  # warm: keys cached
        without = finds_of_a_page()
        for message in sent[:3]:
            app.message_reactions.add(people["alice"], group, message["id"], "👍")
        with_reactions = finds_of_a_page()
    finally:
        client.close()
    assert "reactions" not in without
    assert sorted(with_reactions) == sorted(without + ["reactions"])


def test_concurrent_reactions_count_each_once_and_the_highest_version_is_history(db, key_service, people, publisher):
    import threading

    users = UserStore(db)
    reactors = [users.create(email=f"r{index}@example.com", name=f"R{index}", password_hash="x")["_id"]
                for index in range(8)]
    group = make_group(db, people["alice"], members=reactors)
    first = services.build(db, key_service=key_service, publisher=publisher)
    message = first.messaging.send(people["alice"], group, "vote")
    barrier, errors = threading.Barrier(len(reactors)), []

    def react(user_id, emoji):
        app = services.build(db, key_service=key_service, publisher=publisher)  # each in its own "Lambda"
        barrier.wait()
        try:
            app.message_reactions.add(user_id, group, message["id"], emoji)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=react, args=(user, "👍" if index % 2 else "🎉"))
               for index, user in enumerate(reactors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    view = first.messaging.history(people["alice"], group)["messages"][0]
    assert sorted((r["emoji"], r["count"]) for r in view["reactions"]) == [("🎉", 4), ("👍", 4)]
    versions = [entry["event"]["message"]["version"] for entry in publisher.of_type("reaction.changed")]
    assert sorted(versions) == list(range(2, 10))  # each change its own version, none lost
    latest = max(publisher.of_type("reaction.changed"), key=lambda e: e["event"]["message"]["version"])
    assert [(r["emoji"], r["count"]) for r in latest["event"]["message"]["reactions"]] == \
        [(r["emoji"], r["count"]) for r in view["reactions"]]
