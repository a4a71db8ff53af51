"""The SNS adapter against moto's server: platform endpoints from tokens, each platform's
payload (read back from what moto stored), collapse keys, disabled endpoints; and the local
outbox's reading of moto's published messages."""
import json
import os
import urllib.request
import uuid

import boto3
import pytest

from chalicelib.realtime.sns import EndpointDisabled, MobilePush, PushNotConfigured, read_message
from devstack import outbox


@pytest.fixture
def sns(aws_endpoint):
    return boto3.client("sns", endpoint_url=aws_endpoint)


@pytest.fixture
def push(sns):
    return MobilePush(sns, {"apns": os.environ["PUSH_APNS_APPLICATION_ARN"],
                            "fcm": os.environ["PUSH_FCM_APPLICATION_ARN"]})


def token():
    return uuid.uuid4().hex + uuid.uuid4().hex


NOTIFICATION = {"title": "Alice in Team", "body": "New message", "badge": 3,
                "data": {"type": "message", "conversationId": "c1", "messageId": "m1", "seq": 7},
                "collapseKey": "c1"}


def stored(aws_endpoint, endpoint_arn):
    """The messages moto keeps for one endpoint, oldest first."""
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json") as answer:
        models = json.load(answer)
    (endpoint,) = [e for e in models["sns"]["PlatformEndpoint"] if e["arn"] == endpoint_arn]
    return list(endpoint["messages"].values()), models


def test_an_endpoint_per_token_on_its_platforms_application(push, sns):
    same = token()
    arn = push.create_endpoint("apns", same, '{"userId":"u1","deviceId":"d1"}')
    assert ":endpoint/APNS_SANDBOX/secure-messaging-local-apns/" in arn
    fcm = push.create_endpoint("fcm", token())
    assert ":endpoint/GCM/secure-messaging-local-fcm/" in fcm
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Token"] == same


def test_the_same_token_for_another_account_reuses_its_endpoint(push, aws_endpoint):
    same = token()
    first = push.create_endpoint("apns", same, '{"userId":"u1"}')
    again = push.create_endpoint("apns", same, '{"userId":"u2","deviceId":"d2"}')
    assert again == first
    push.publish("apns", first, NOTIFICATION)
    _, models = stored(aws_endpoint, first)
    assert [entry["userId"] for entry in outbox.pushes(models) if entry["deviceId"] == "d2"] == ["u2"]


def test_apns_payload_with_badge_data_and_collapse_id(push, aws_endpoint, sns):
    arn = push.create_endpoint("apns", token())
    calls = []
    sns.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: calls.append(params))
    push.publish("apns", arn, NOTIFICATION)
    (message,), _ = stored(aws_endpoint, arn)
    apns = json.loads(json.loads(message)["APNS_SANDBOX"])
    assert apns["aps"]["alert"] == {"title": "Alice in Team", "body": "New message"}
    assert apns["aps"]["badge"] == 3 and apns["aps"]["thread-id"] == "c1"
    assert {key: apns[key] for key in ("type", "conversationId", "messageId", "seq")} == NOTIFICATION["data"]
    assert calls[0]["MessageAttributes"]["AWS.SNS.MOBILE.APNS.COLLAPSE_ID"]["StringValue"] == "c1"
    assert read_message("apns", message) == NOTIFICATION


def test_fcm_payload_in_the_http_v1_format_with_collapse_key(push, aws_endpoint):
    arn = push.create_endpoint("fcm", token())
    push.publish("fcm", arn, NOTIFICATION)
    (message,), _ = stored(aws_endpoint, arn)
    fcm = json.loads(json.loads(message)["GCM"])["fcmV1Message"]["message"]
    assert fcm["android"]["collapse_key"] == "c1"
    assert fcm["data"] == {"type": "message", "conversationId": "c1", "messageId": "m1", "seq": "7"}
    assert read_message("fcm", message) == NOTIFICATION


def test_a_disabled_endpoint_says_so_and_registering_again_enables_it(push, sns):
    same = token()
    arn = push.create_endpoint("apns", same)
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    with pytest.raises(EndpointDisabled):
        push.publish("apns", arn, NOTIFICATION)
    assert push.ensure_enabled(arn, same) is True
    push.publish("apns", arn, NOTIFICATION)


def test_a_deleted_endpoint_is_gone(push):
    arn = push.create_endpoint("fcm", token())
    push.delete_endpoint(arn)
    push.delete_endpoint(arn)  # deleting again is fine
    assert push.ensure_enabled(arn, "whatever-token") is False
    with pytest.raises(EndpointDisabled):
        push.publish("fcm", arn, NOTIFICATION)


def test_a_platform_without_an_application_cannot_register(sns):
    with pytest.raises(PushNotConfigured):
        MobilePush(sns, {"apns": os.environ["PUSH_APNS_APPLICATION_ARN"], "fcm": ""}).create_endpoint("fcm", token())


def test_the_outbox_lists_what_was_published_with_its_user_and_device(push, aws_endpoint):
    arn = push.create_endpoint("fcm", token(), json.dumps({"userId": "u9", "deviceId": "d9"}))
    push.publish("fcm", arn, NOTIFICATION)
    _, models = stored(aws_endpoint, arn)
    mine = [entry for entry in outbox.pushes(models) if entry["deviceId"] == "d9"]
    assert mine == [{"userId": "u9", "deviceId": "d9", "platform": "fcm", "title": "Alice in Team",
                     "body": "New message", "data": NOTIFICATION["data"], "badge": 3}]


def test_the_outbox_orders_pushes_across_devices_by_devstacks_publish_numbers():
    def endpoint(arn_id, user, messages):
        message = {"default": "x", "GCM": json.dumps({"fcmV1Message": {"message": {
            "notification": {"title": "T", "body": "B"}, "data": {"seq": "1"}, "android": {}}}})}
        return {"arn": f"arn:aws:sns:us-east-1:1:endpoint/GCM/app/{arn_id}",
                "custom_user_data": json.dumps({"userId": user, "deviceId": arn_id}),
                "messages": {mid: json.dumps(message) for mid, _ in messages},
                "published": [{"n": n, "messageId": mid} for mid, n in messages]}

    models = {"sns": {"PlatformEndpoint": [endpoint("d1", "u1", [("a", 1), ("c", 3)]),
                                           endpoint("d2", "u2", [("b", 2)])]}}
    assert [push["deviceId"] for push in outbox.pushes(models)] == ["d1", "d2", "d1"]

    # Read while a publish to d1 is under way: moto holds the message, its number is not yet
    # recorded. It is the newest push, so it comes last, never first.
    in_flight = endpoint("d1", "u1", [("a", 1), ("c", 3), ("d", None)])
    in_flight["published"].pop()
    models = {"sns": {"PlatformEndpoint": [endpoint("d2", "u2", [("b", 2)]), in_flight]}}
    assert [push["deviceId"] for push in outbox.pushes(models)] == ["d1", "d2", "d1", "d1"]
