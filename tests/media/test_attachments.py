"""The Attachments use case with an in-memory bucket (tests/fakes.py FakeBucket), the real
database and keys: claims are atomic, undone when the message is not stored, and names are
sealed where they are stored."""
import threading

import pytest

from chalicelib import services
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.crypto.keyring import Keyring
from chalicelib.media.sealing import open_message_attachments
from tests.fakes import FakeBucket, RecordingPublisher
from tests.helpers import make_group, new_user


@pytest.fixture
def bucket():
    return FakeBucket()


@pytest.fixture
def built(db, bucket):
    return services.build(db, attachment_bucket=bucket, publisher=RecordingPublisher())


@pytest.fixture
def people(client):
    return new_user(client, "ann@example.com")[0]["id"], new_user(client, "ben@example.com")[0]["id"]


@pytest.fixture
def group(db, people):
    return make_group(db, people[0], members=[people[1]])


def uploaded(built, bucket, user_id, conversation_id, data=b"hello", name="hello.txt"):
    attachment = built.attachments.create(user_id, conversation_id, name, "text/plain", len(data))["attachment"]
    bucket.put(f"conversations/{conversation_id}/{attachment['id']}", data, "text/plain")
    return attachment["id"]


def test_two_sends_racing_for_one_attachment_give_it_to_one(built, bucket, db, people, group):
    attachment_id = uploaded(built, bucket, people[0], group)
    outcomes, start = [], threading.Barrier(4)

    def send(number):
        start.wait()
        try:
            built.messaging.send(people[0], group, f"try {number}", attachments=[attachment_id])
            outcomes.append("sent")
        except InvalidInput as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["attachment_already_sent"] * 3 + ["sent"]
    assert db["messages"].count_documents({"attachments.id": attachment_id}) == 1


def test_a_claim_is_undone_when_the_message_is_not_stored(built, bucket, db, people, group, monkeypatch):
    attachment_id = uploaded(built, bucket, people[0], group)
    monkeypatch.setattr(built.message_store, "append", lambda *_: (_ for _ in ()).throw(ConnectionError("down")))
    with pytest.raises(ConnectionError):
        built.messaging.send(people[0], group, "", attachments=[attachment_id])
    record = db["attachments"].find_one({"_id": attachment_id})
    assert "messageId" not in record and "claimToken" not in record and record["pendingUntil"]
    assert bucket.tags[f"conversations/{group}/{attachment_id}"] == "pending"
    monkeypatch.undo()
    sent = built.messaging.send(people[0], group, "", attachments=[attachment_id])
    assert [a["id"] for a in sent["attachments"]] == [attachment_id]


def test_a_claim_is_undone_when_the_objects_cannot_be_kept(built, bucket, db, people, group):
    attachment_id = uploaded(built, bucket, people[0], group)
    bucket.broken = True
    with pytest.raises(ConnectionError):
        built.messaging.send(people[0], group, "", attachments=[attachment_id])
    assert "messageId" not in db["attachments"].find_one({"_id": attachment_id})
    assert db["messages"].count_documents({}) == 0


def test_names_are_sealed_to_their_message(built, bucket, db, people, group):
    first = uploaded(built, bucket, people[0], group, name="first.txt")
    second = uploaded(built, bucket, people[0], group, name="second.txt")
    built.messaging.send(people[0], group, "two files", attachments=[first, second])
    message = db["messages"].find_one({})
    key = Keyring(built.key_store, built.key_service).key(group, message["attachmentNames"]["keyVersion"])
    assert [a["name"] for a in open_message_attachments(key, message)] == ["first.txt", "second.txt"]
    moved = {**message, "_id": "another-message-id"}  # sealed names copied onto another message
    assert [a["name"] for a in open_message_attachments(key, moved)] == [None, None]
    (read,) = built.messaging.history(people[1], group)["messages"]
    assert [a["name"] for a in read["attachments"]] == ["first.txt", "second.txt"]


def test_an_unsent_upload_of_someone_else_is_not_found(built, bucket, people, group):
    attachment_id = uploaded(built, bucket, people[0], group)
    with pytest.raises(NotFound):
        built.attachments.download(people[1], attachment_id)
    assert built.attachments.download(people[0], attachment_id)["url"].startswith("https://bucket.test/")


def test_an_upload_older_than_the_lifecycle_allows_is_refused(built, bucket, db, people, group):
    from datetime import timedelta

    attachment_id = uploaded(built, bucket, people[0], group)
    record = db["attachments"].find_one({"_id": attachment_id})
    earlier = record["createdAt"] - timedelta(hours=23, minutes=1)
    db["attachments"].update_one({"_id": attachment_id}, {"$set": {"createdAt": earlier}})
    with pytest.raises(InvalidInput) as refused:
        built.messaging.send(people[0], group, "", attachments=[attachment_id])
    assert refused.value.code == "attachment_expired"


def test_shredding_deletes_the_conversations_objects_only(built, bucket, db, people, group):
    other = make_group(db, people[0], name="Other")
    mine, theirs = uploaded(built, bucket, people[0], group), uploaded(built, bucket, people[0], other)
    built.messaging.send(people[0], group, "", attachments=[mine])
    built.messaging.delete_conversation(group)
    assert list(bucket.objects) == [f"conversations/{other}/{theirs}"]
