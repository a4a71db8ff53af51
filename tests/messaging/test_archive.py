"""Recovery: one conversation exported with the operator CLI and imported into another
stage's database reads back the same, while the archive itself holds no plaintext."""
import contextlib

import pytest

from chalicelib import services
from chalicelib.admin import main
from chalicelib.core.errors import NotFound
from chalicelib.messaging.archive import ConversationArchive, loads
from tests.helpers import call

SECRET_TEXT = "archive-plaintext-marker-51c2"


@contextlib.contextmanager
def another_stage(db):
    """The app pointed at an empty database of another stage (same MongoDB, same KMS key)."""
    name = f"{db.name}_restored"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONGO_DB", name)
        services.forget_all()
        try:
            yield
        finally:
            db.client.drop_database(name)
    services.forget_all()


def _send_direct(client, sender, other_email, text):
    body = {"participants": [sender[0]["email"], other_email], "message": {"sender": sender[0]["email"], "text": text}}
    status, reply, _ = call(client, "PUT", "/messages", body, token=sender[1])
    assert status == 201, reply
    return reply["conversationId"]


def test_an_exported_conversation_reads_back_after_import_into_another_stage(client, alice, bob, tmp_path,
                                                                                 capsys):
    conversation_id = _send_direct(client, alice, "bob@example.com", f"first {SECRET_TEXT}")
    services.keyring().rotate(conversation_id)  # two key versions in the archive
    _send_direct(client, bob, "alice@example.com", "second, under key version 2")
    original = services.messaging().history(alice[0]["id"], conversation_id)
    archive_file = tmp_path / "conversation.json"
    main(["export", conversation_id, str(archive_file)])

    with another_stage(services.current().db):
        with pytest.raises(NotFound):  # nothing of it there yet
            services.messaging().history(alice[0]["id"], conversation_id)
        main(["import", str(archive_file)])
        restored = services.messaging().history(alice[0]["id"], conversation_id)

    assert [m["text"] for m in restored["messages"]] == [f"first {SECRET_TEXT}", "second, under key version 2"]
    assert restored == original
    assert "imported: 1 conversations, 2 conversation_keys, 2 messages, 2 read_markers" in capsys.readouterr().err


def test_the_export_command_writes_only_ciphertext_and_an_import_is_idempotent(client, db, alice, bob, tmp_path):
    conversation_id = _send_direct(client, alice, "bob@example.com", SECRET_TEXT)
    archive_file = tmp_path / "export.json"

    main(["export", conversation_id, str(archive_file)])
    text = archive_file.read_text()
    assert SECRET_TEXT not in text and conversation_id in text
    archive = loads(text)
    assert {len(archive["collections"][name]) for name in ("conversations", "conversation_keys", "messages")} == {1}

    before = list(db["messages"].find({"conversationId": conversation_id}))
    main(["import", str(archive_file)])  # into the same stage: rewrites the same documents
    main(["import", str(archive_file)])
    assert list(db["messages"].find({"conversationId": conversation_id})) == before


def test_a_group_archive_carries_the_group_and_its_memberships(client, db, alice, bob, group):
    status, _, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": "hello"}, token=alice[1])
    assert status == 201
    archive = ConversationArchive(db).export(group)
    assert [g["_id"] for g in archive["collections"]["groups"]] == [group]
    assert {m["userId"] for m in archive["collections"]["memberships"]} == {alice[0]["id"], bob[0]["id"]}


@pytest.mark.parametrize("tamper", [
    lambda archive: archive.update(format="something-else/1"),
    lambda archive: archive["collections"].update(users=[{"_id": "x"}]),
    lambda archive: archive["collections"]["messages"][0].update(conversationId="another"),
])
def test_an_archive_that_is_not_one_conversation_writes_nothing(db, tamper):
    archive = {
        "format": "secure-messaging.conversation-archive/1",
        "conversationId": "c1",
        "collections": {"messages": [{"_id": "m1", "conversationId": "c1"}]},
    }
    tamper(archive)
    with pytest.raises(ValueError):
        ConversationArchive(db).restore(archive)
    assert db["messages"].count_documents({"_id": "m1"}) == 0
    assert db["users"].count_documents({"_id": "x"}) == 0


def test_exporting_an_unknown_conversation_is_refused(db):
    with pytest.raises(NotFound):
        ConversationArchive(db).export("no-such-conversation")
