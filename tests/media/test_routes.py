"""Attachments end to end through chalice.test.Client, the real database and moto's S3 (its
server, which checks upload policies as S3 does): upload by presigned POST, send, download
by presigned GET, and every way to get it wrong."""
import json
import os

import boto3
import pytest
import requests

from chalicelib import services
from chalicelib.media.schemas import MAX_ATTACHMENT_BYTES
from tests.helpers import call, make_group, set_membership

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def declare(client, token, conversation_id, data=PNG, name="holiday.png", content_type="image/png", size=None):
    return call(client, "POST", "/attachments", {"conversationId": conversation_id, "name": name,
                                                 "contentType": content_type,
                                                 "size": len(data) if size is None else size}, token=token)


def post_form(upload, data, filename="file.bin"):
    """The browser's part: the form's fields, then the file, straight to S3."""
    return requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=10)


def uploaded(client, token, conversation_id, data=PNG, **declared):
    status, body, _ = declare(client, token, conversation_id, data, **declared)
    assert status == 201, body
    answer = post_form(body["upload"], data)
    assert answer.status_code == 204, answer.text
    return body["attachment"]


def send(client, token, conversation_id, attachments, text=""):
    return call(client, "POST", "/messages/send",
                {"conversationId": conversation_id, "text": text, "attachments": attachments}, token=token)


def s3():
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])


def stored_keys(conversation_id):
    listed = s3().list_objects_v2(Bucket=os.environ["ATTACHMENTS_BUCKET"], Prefix=f"conversations/{conversation_id}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_member_uploads_and_another_downloads_the_same_bytes(client, group, alice, bob):
    attachment = uploaded(client, alice[1], group)

    status, body, _ = send(client, alice[1], group, [attachment["id"]])
    assert status == 201, body
    shown = {"id": attachment["id"], "name": "holiday.png", "contentType": "image/png", "size": len(PNG)}
    assert body["message"]["text"] == "" and body["message"]["attachments"] == [shown]

    status, history, _ = call(client, "GET", f"/messages/{group}", token=bob[1])
    assert status == 200 and history["messages"][-1]["attachments"] == [shown]
    status, download, _ = call(client, "GET", f"/attachments/{attachment['id']}", token=bob[1])
    assert status == 200, download
    assert download["attachment"] == {**shown, "conversationId": group}
    assert 60 <= download["expiresIn"] <= 3600
    fetched = requests.get(download["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == PNG
    for person in (alice[0], bob[0]):  # the URL names no user
        assert person["id"] not in download["url"] and person["email"] not in download["url"]


def test_the_upload_form_admits_exactly_the_declared_size_and_type(client, group, alice):
    status, body, _ = declare(client, alice[1], group)
    assert status == 201
    upload = body["upload"]
    assert upload["fields"]["Content-Type"] == "image/png"
    assert upload["fields"]["key"] == f"conversations/{group}/{body['attachment']['id']}"
    assert post_form(upload, PNG + b"x").status_code == 400  # EntityTooLarge
    assert post_form(upload, PNG[:-1]).status_code == 400  # EntityTooSmall
    assert post_form({**upload, "fields": {**upload["fields"], "Content-Type": "text/html"}}, PNG).status_code == 403
    assert post_form({**upload, "fields": {**upload["fields"], "key": f"conversations/{group}/mine"}},
                     PNG).status_code == 403
    assert stored_keys(group) == []
    assert post_form(upload, PNG).status_code == 204


def test_outsiders_and_former_members_get_404(client, db, alice, bob, carol):
    group = make_group(db, alice[0]["id"], members=[bob[0]["id"]], group_type="private")
    attachment = uploaded(client, alice[1], group)
    assert send(client, alice[1], group, [attachment["id"]])[0] == 201
    path = f"/attachments/{attachment['id']}"

    assert call(client, "GET", path, token=carol[1])[0] == 404
    assert call(client, "GET", "/attachments/NoSuchAttachment00", token=bob[1])[0] == 404
    assert declare(client, carol[1], group)[0] == 404
    assert call(client, "GET", path, token=bob[1])[0] == 200
    set_membership(db, group, bob[0]["id"], None)  # bob leaves: access ends with the next call
    assert call(client, "GET", path, token=bob[1])[0] == 404
    set_membership(db, group, bob[0]["id"], "banned")
    status, body, _ = call(client, "GET", path, token=bob[1])
    assert status == 404 and body["error"]["code"] == "attachment_not_found"


def test_an_unsent_upload_is_only_its_uploaders(client, group, alice, bob):
    attachment = uploaded(client, alice[1], group)
    assert call(client, "GET", f"/attachments/{attachment['id']}", token=bob[1])[0] == 404
    assert call(client, "GET", f"/attachments/{attachment['id']}", token=alice[1])[0] == 200


@pytest.mark.parametrize("declared", [
    {"content_type": "text/html"},
    {"content_type": "application/x-msdownload"},
    {"size": MAX_ATTACHMENT_BYTES + 1},
    {"size": 0},
    {"name": ""},
    {"name": "x" * 256},
], ids=["html", "executable", "over 25 MiB", "empty", "no name", "long name"])
def test_a_bad_declaration_is_400_and_stores_nothing(client, db, group, alice, declared):
    status, body, _ = declare(client, alice[1], group, **declared)
    assert status == 400, body
    assert db["attachments"].count_documents({}) == 0


def test_the_largest_allowed_file_can_be_declared(client, group, alice):
    assert declare(client, alice[1], group, size=MAX_ATTACHMENT_BYTES)[0] == 201


class TestSendingRefusesWhatIsNotTheSendersUpload:
    def test_never_uploaded(self, client, db, group, alice):
        status, body, _ = declare(client, alice[1], group)
        self._refused(client, db, alice, group, [body["attachment"]["id"]], "attachment_not_uploaded")

    def test_someone_elses(self, client, db, group, alice, bob):
        attachment = uploaded(client, bob[1], group)
        self._refused(client, db, alice, group, [attachment["id"]], "unknown_attachment")

    def test_uploaded_to_another_conversation(self, client, db, group, alice, bob):
        other = make_group(db, alice[0]["id"], members=[bob[0]["id"]], name="Other")
        attachment = uploaded(client, alice[1], other)
        self._refused(client, db, alice, group, [attachment["id"]], "unknown_attachment")

    def test_unknown_id(self, client, db, group, alice):
        self._refused(client, db, alice, group, ["NoSuchAttachment00"], "unknown_attachment")

    def test_already_in_another_message(self, client, db, group, alice):
        attachment = uploaded(client, alice[1], group)
        assert send(client, alice[1], group, [attachment["id"]])[0] == 201
        self._refused(client, db, alice, group, [attachment["id"]], "attachment_already_sent", messages=1)

    def test_not_the_declared_file(self, client, db, group, alice):
        status, body, _ = declare(client, alice[1], group)
        # Put straight into the bucket, around the form's policy: the send still checks.
        s3().put_object(Bucket=os.environ["ATTACHMENTS_BUCKET"], Key=body["upload"]["fields"]["key"],
                        Body=PNG + b"more", ContentType="image/png")
        self._refused(client, db, alice, group, [body["attachment"]["id"]], "attachment_mismatch")

    def test_one_bad_id_takes_none(self, client, db, group, alice):
        good = uploaded(client, alice[1], group)
        self._refused(client, db, alice, group, [good["id"], "NoSuchAttachment00"], "unknown_attachment")
        assert send(client, alice[1], group, [good["id"]])[0] == 201

    def test_the_same_id_twice(self, client, db, group, alice):
        good = uploaded(client, alice[1], group)
        self._refused(client, db, alice, group, [good["id"], good["id"]], "duplicate_attachment")

    def test_more_than_ten(self, client, db, group, alice):
        ids = [f"attachment{index:08d}" for index in range(11)]
        status, body, _ = send(client, alice[1], group, ids)
        assert status == 400 and db["messages"].count_documents({}) == 0

    @staticmethod
    def _refused(client, db, sender, group, ids, code, messages=0):
        claimed_before = db["attachments"].count_documents({"messageId": {"$exists": True}})
        status, body, _ = send(client, sender[1], group, ids)
        assert (status, body["error"]["code"]) == (400, code), body
        assert db["messages"].count_documents({}) == messages
        assert db["attachments"].count_documents({"messageId": {"$exists": True}}) == claimed_before


def test_empty_text_needs_an_attachment(client, group, alice):
    status, body, _ = send(client, alice[1], group, [])
    assert status == 400 and body["error"]["code"] == "empty_text"


def test_a_retried_send_keeps_its_attachments(client, db, group, alice):
    attachment = uploaded(client, alice[1], group)
    body = {"conversationId": group, "text": "look", "attachments": [attachment["id"]], "clientMessageId": "c-9"}
    first = call(client, "POST", "/messages/send", body, token=alice[1])
    again = call(client, "POST", "/messages/send", body, token=alice[1])
    assert first[0] == again[0] == 201
    assert first[1]["message"] == again[1]["message"]
    assert db["messages"].count_documents({}) == 1


def test_a_one_to_one_send_carries_attachments(client, alice, bob):
    pair = ["alice@example.com", "bob@example.com"]
    status, first, _ = call(client, "PUT", "/messages", {"participants": pair,
                                                         "message": {"sender": "alice@example.com", "text": "hi"}},
                            token=alice[1])
    conversation_id = first["conversationId"]
    attachment = uploaded(client, alice[1], conversation_id, b"%PDF-1.4 tiny", name="cv.pdf",
                          content_type="application/pdf")
    status, sent, _ = call(client, "PUT", "/messages", {
        "participants": pair, "message": {"sender": "alice@example.com", "text": "", "attachments": [attachment["id"]]}},
        token=alice[1])
    assert status == 201 and sent["message"]["attachments"][0]["name"] == "cv.pdf"
    download = call(client, "GET", f"/attachments/{attachment['id']}", token=bob[1])[1]
    assert requests.get(download["url"], timeout=10).content == b"%PDF-1.4 tiny"


def test_the_file_name_is_stored_encrypted(client, db, group, alice):
    attachment = uploaded(client, alice[1], group, name="secret-plans.png")
    send(client, alice[1], group, [attachment["id"]])
    for name in ("attachments", "messages"):
        for document in db[name].find():
            assert b"secret-plans" not in repr(document).encode(), name


def test_sent_objects_are_kept_and_unsent_ones_left_to_expire(client, group, alice):
    sent = uploaded(client, alice[1], group)
    unsent = uploaded(client, alice[1], group)
    send(client, alice[1], group, [sent["id"]])
    bucket = os.environ["ATTACHMENTS_BUCKET"]
    tags = {attachment["id"]: s3().get_object_tagging(Bucket=bucket, Key=f"conversations/{group}/{attachment['id']}")
            ["TagSet"] for attachment in (sent, unsent)}
    assert tags[sent["id"]] == [{"Key": "state", "Value": "attached"}]
    assert tags[unsent["id"]] != [{"Key": "state", "Value": "attached"}]  # S3 tags it pending from the form


def test_shredding_a_conversation_deletes_its_objects(client, db, group, alice, bob):
    other = make_group(db, alice[0]["id"], members=[bob[0]["id"]], name="Other")
    for conversation_id in (group, other):
        send(client, alice[1], conversation_id, [uploaded(client, alice[1], conversation_id)["id"]])
    uploaded(client, alice[1], group)  # never sent

    services.messaging().delete_conversation(group)

    assert stored_keys(group) == [] and len(stored_keys(other)) == 1
    assert db["attachments"].count_documents({"conversationId": group}) == 0


def test_a_deleted_messages_objects_can_be_deleted(client, db, group, alice):
    kept, dropped = uploaded(client, alice[1], group), uploaded(client, alice[1], group)
    send(client, alice[1], group, [kept["id"], dropped["id"]])

    assert services.attachments().delete_objects(group, [dropped["id"]]) == 1

    assert stored_keys(group) == [f"conversations/{group}/{kept['id']}"]
    assert db["attachments"].count_documents({}) == 1


def test_uploads_are_limited_per_user_per_hour(client, group, alice, bob):
    from chalicelib.core.limits import ATTACHMENTS_UPLOADED_PER_USER

    for _ in range(ATTACHMENTS_UPLOADED_PER_USER.max_hits):
        assert declare(client, alice[1], group)[0] == 201
    status, body, headers = declare(client, alice[1], group)
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert declare(client, bob[1], group)[0] == 201


def test_the_socket_send_carries_attachments(client, group, alice, bob):
    from chalicelib.realtime.sockets import Sockets
    from tests.fakes import RecordingPublisher, RecordingPusher

    attachment = uploaded(client, alice[1], group)
    pusher = RecordingPusher()
    sockets = Sockets(sessions=services.sessions(), tickets=services.tickets(), connections=services.connections(),
                      pusher=pusher, publisher=RecordingPublisher(), conversations=services.messaging(),
                      audience=services.audience(), limiter=services.limiter())
    sockets.connect("c-1", "http://gateway.test", token=alice[1])

    reply = sockets.receive("c-1", "http://gateway.test", json.dumps({
        "action": "sendMessage", "conversationId": group, "text": "", "attachments": [attachment["id"]]}))
    assert reply["type"] == "ack", reply
    assert reply["message"]["attachments"][0]["id"] == attachment["id"]

