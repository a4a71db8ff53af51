"""Mobile push over the whole local stack: real HTTP and WebSocket clients, the fan-out
queue, SNS in moto, and the local outbox (GET /__devstack/outbox) that lists every push."""
import json
import time
import uuid

import boto3
import pytest
import requests
from pymongo import MongoClient

from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack


def outbox(stack):
    answer = requests.get(f"{stack['ws']}/__devstack/outbox".replace("ws://", "http://"), timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"emails", "pushes"}
    return body["pushes"]


def pushes_to(stack, device_id, count=1, timeout=30.0):
    """The pushes to one device once there are `count` of them (oldest first)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [push for push in outbox(stack) if push["deviceId"] == device_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def device(user, platform="apns"):
    answer = user.call("POST", "/devices", {"platform": platform, "token": uuid.uuid4().hex * 2, "name": "phone"})
    assert answer.status_code == 201, answer.text
    return answer.json()["device"]["id"]


@pytest.fixture
def team(stack):
    """Owner Olga (sends), Bob online with a phone too, Carol offline with a phone."""
    olga, bob, carol = (Api(stack["http"], unique_email(name), name) for name in ("Olga", "Bob", "Carol"))
    group = olga.call("POST", "/groups/create", {"name": "Crew", "type": "open"}).json()["group"]["id"]
    for member in (bob, carol):
        assert member.call("POST", f"/groups/{group}/request/{member.id}").status_code == 200
    phones = {"olga": device(olga), "bob": device(bob), "carol": device(carol, "fcm")}
    listener = Listener(f"{stack['ws']}/?token={bob.token}")
    yield {"olga": olga, "bob": bob, "carol": carol, "group": group, "phones": phones, "bob_ws": listener}
    listener.close()


def settle(team, text, mentions=None):
    """Send `text` to the group and wait until Bob's socket has it (the fan-out job ran)."""
    body = {"groupId": team["group"], "text": text, **({"mentions": mentions} if mentions else {})}
    sent = team["olga"].call("POST", "/messages/send", body)
    assert sent.status_code == 201, sent.text
    team["bob_ws"].wait_for(lambda frame: frame.get("type") == "message" and frame["message"]["text"] == text,
                            timeout=30.0)
    return sent.json()["message"]


def test_an_offline_member_gets_the_push_and_a_connected_one_does_not(stack, team):
    message = settle(team, "group hello")
    (push,) = pushes_to(stack, team["phones"]["carol"])
    assert push == {"userId": team["carol"].id, "deviceId": team["phones"]["carol"], "platform": "fcm",
                    "title": "Olga in Crew", "body": "New message", "badge": 1,
                    "data": {"type": "message", "conversationId": team["group"], "messageId": message["id"],
                             "seq": message["seq"]}}
    assert pushes_to(stack, team["phones"]["bob"], timeout=0) == []  # his socket took it
    assert pushes_to(stack, team["phones"]["olga"], timeout=0) == []  # her own message


def test_an_offline_participant_of_a_one_to_one_chat_gets_the_push(stack):
    ana, ben = Api(stack["http"], unique_email("ana"), "Ana"), Api(stack["http"], unique_email("ben"), "Ben")
    phone = device(ben)
    sent = ana.call("PUT", "/messages", {"participants": [ana.email, ben.email],
                                         "message": {"sender": ana.email, "text": "psst"}})
    assert sent.status_code == 201
    (push,) = pushes_to(stack, phone)
    assert push["title"] == "Ana" and push["body"] == "New message" and push["badge"] == 1
    assert push["data"]["conversationId"] == sent.json()["conversationId"]


def test_previews_mute_mentions_and_badge(stack, team):
    database = MongoClient(stack["mongo_uri"])[stack["db"]]
    database["users"].update_one({"_id": team["carol"].id}, {"$set": {"pushPreviews": True}})
    settle(team, "first, with a preview")
    assert pushes_to(stack, team["phones"]["carol"])[-1]["body"] == "first, with a preview"

    assert team["carol"].call("PUT", f"/conversations/{team['group']}/mute", {}).status_code == 200
    settle(team, "while muted")
    assert team["carol"].call("DELETE", f"/conversations/{team['group']}/mute").status_code == 204
    # Inside the conversation's push window only a mention pushes again (a burst alerts once).
    settle(team, "after unmuting, @carol", mentions=[team["carol"].id])
    carol = pushes_to(stack, team["phones"]["carol"], count=2)
    assert [push["body"] for push in carol] == ["first, with a preview", "after unmuting, @carol"]
    assert [push["badge"] for push in carol] == [1, 3]  # three unread; the muted one counts too
    assert team["carol"].call("POST", f"/conversations/{team['group']}/read", {"seq": 3}).status_code == 200
    settle(team, "and one more, @carol", mentions=[team["carol"].id])
    assert pushes_to(stack, team["phones"]["carol"], count=3)[-1]["badge"] == 1


def test_a_burst_alerts_an_offline_phone_once(stack, team):
    from chalicelib.realtime.notifications import BURST_SECONDS

    if time.time() % BURST_SECONDS > BURST_SECONDS - 15:  # let the burst start a window, not straddle two
        time.sleep(BURST_SECONDS - time.time() % BURST_SECONDS + 0.5)
    first = settle(team, "one")
    settle(team, "two")
    settle(team, "three")
    assert [push["data"]["messageId"] for push in pushes_to(stack, team["phones"]["carol"], count=2, timeout=3)] == [first["id"]]


def test_a_disabled_endpoint_is_pruned(stack, team):
    with requests.get(f"{stack['aws']}/moto-api/data.json", timeout=10) as answer:
        endpoints = answer.json()["sns"]["PlatformEndpoint"]
    (arn,) = [endpoint["arn"] for endpoint in endpoints
              if team["phones"]["carol"] in json.dumps(endpoint.get("custom_user_data"))]
    sns = boto3.client("sns", endpoint_url=stack["aws"], region_name="us-east-1")
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})  # as APNs/FCM report a dead token
    settle(team, "to a dead phone")
    deadline = time.monotonic() + 15
    while team["carol"].call("GET", "/devices").json()["devices"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert team["carol"].call("GET", "/devices").json()["devices"] == []
    assert pushes_to(stack, team["phones"]["carol"], timeout=0) == []
