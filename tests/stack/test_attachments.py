"""Attachments through the whole local stack: real HTTP to the local API Gateway, the
presigned POST and GET against moto's S3 server (which checks the upload policy as S3
does), and the bucket's CORS for the web client's origin."""
import pytest
import requests

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack

VOICE_NOTE = b"ID3" + bytes(range(200)) * 50


def test_a_member_sends_a_voice_note_another_downloads_it_outsiders_get_404(stack):
    alice, bob = Api(stack["http"], unique_email("alice"), "Alice"), Api(stack["http"], unique_email("bob"), "Bob")
    carol = Api(stack["http"], unique_email("carol"), "Carol")
    group = alice.call("POST", "/groups/create", {"name": "Band", "type": "private"}).json()["group"]["id"]
    assert bob.call("POST", f"/groups/{group}/request/{bob.id}").status_code == 202
    assert alice.call("POST", f"/groups/{group}/approve/{bob.id}").status_code == 200

    declared = alice.call("POST", "/attachments", {"conversationId": group, "name": "riff.mp3",
                                                   "contentType": "audio/mpeg", "size": len(VOICE_NOTE)})
    assert declared.status_code == 201, declared.text
    upload = declared.json()["upload"]
    assert upload["url"].startswith(stack["aws"])  # presigned for the local S3, reachable from a browser
    too_big = requests.post(upload["url"], data=upload["fields"], files={"file": ("riff.mp3", VOICE_NOTE + b"!")})
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("riff.mp3", VOICE_NOTE)})
    assert posted.status_code == 204, posted.text

    attachment_id = declared.json()["attachment"]["id"]
    sent = alice.call("POST", "/messages/send", {"groupId": group, "text": "", "attachments": [attachment_id]})
    assert sent.status_code == 201, sent.text
    history = bob.call("GET", f"/messages/{group}").json()["messages"]
    assert history[-1]["attachments"] == [{"id": attachment_id, "name": "riff.mp3", "contentType": "audio/mpeg",
                                           "size": len(VOICE_NOTE)}]
    download = bob.call("GET", f"/attachments/{attachment_id}")
    assert download.status_code == 200, download.text
    assert requests.get(download.json()["url"]).content == VOICE_NOTE
    assert carol.call("GET", f"/attachments/{attachment_id}").status_code == 404
    assert carol.call("POST", "/attachments", {"conversationId": group, "name": "x.txt", "contentType": "text/plain",
                                               "size": 1}).status_code == 404


def test_the_bucket_lets_the_web_client_origin_upload_and_download(stack):
    alice = Api(stack["http"], unique_email("alice"), "Alice")
    group = alice.call("POST", "/groups/create", {"name": "Pics", "type": "open"}).json()["group"]["id"]
    upload = alice.call("POST", "/attachments", {"conversationId": group, "name": "a.png", "contentType": "image/png",
                                                 "size": 4}).json()["upload"]
    for method in ("POST", "GET"):
        preflight = requests.options(upload["url"], headers={
            "Origin": stack["web_origin"], "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["Access-Control-Allow-Origin"] == stack["web_origin"]
        assert method in preflight.headers["Access-Control-Allow-Methods"]
