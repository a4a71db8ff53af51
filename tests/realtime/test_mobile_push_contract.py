"""The same cases against the in-memory MobilePush of the use-case tests (tests/fakes.py) and
the SNS adapter on moto, so the fake cannot drift from production (chalicelib/core/ports.py)."""
import inspect
import os
import uuid

import boto3
import pytest

from chalicelib.core.ports import MobilePush as MobilePushPort
from chalicelib.realtime.sns import EndpointDisabled, MobilePush
from tests.fakes import RecordingMobilePush

NOTIFICATION = {"title": "T", "body": "B", "badge": 0,
                "data": {"type": "message", "conversationId": "c", "messageId": "m", "seq": 1}, "collapseKey": "c"}


@pytest.fixture(params=["fake", "sns"])
def implementation(request):
    """(a MobilePush, a function that disables an endpoint as APNs/FCM feedback would)."""
    if request.param == "fake":
        fake = RecordingMobilePush()
        return fake, fake.disable
    sns = boto3.client("sns", endpoint_url=request.getfixturevalue("aws_endpoint"))
    adapter = MobilePush(sns, {"apns": os.environ["PUSH_APNS_APPLICATION_ARN"],
                               "fcm": os.environ["PUSH_FCM_APPLICATION_ARN"]})
    return adapter, lambda arn: sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})


def test_both_have_the_ports_methods_and_signatures():
    for name, member in inspect.getmembers(MobilePushPort, inspect.isfunction):
        if name.startswith("_"):
            continue
        expected = list(inspect.signature(member).parameters)
        for implementation in (MobilePush, RecordingMobilePush):
            assert list(inspect.signature(getattr(implementation, name)).parameters) == expected, (implementation, name)


@pytest.mark.parametrize("platform", ["apns", "fcm"])
def test_one_endpoint_per_token_and_publishing_to_it(implementation, platform):
    push, _ = implementation
    token = uuid.uuid4().hex * 2
    arn = push.create_endpoint(platform, token, "{}")
    assert push.create_endpoint(platform, token, '{"userId":"other"}') == arn
    assert push.ensure_enabled(arn, token) is True
    push.set_user_data(arn, "{}")
    assert push.publish(platform, arn, NOTIFICATION)


def test_a_disabled_endpoint_refuses_pushes_until_its_token_registers_again(implementation):
    push, disable = implementation
    token = uuid.uuid4().hex * 2
    arn = push.create_endpoint("apns", token)
    disable(arn)
    with pytest.raises(EndpointDisabled):
        push.publish("apns", arn, NOTIFICATION)
    assert push.ensure_enabled(arn, token) is True
    push.publish("apns", arn, NOTIFICATION)


def test_a_deleted_endpoint_is_gone(implementation):
    push, _ = implementation
    token = uuid.uuid4().hex * 2
    arn = push.create_endpoint("fcm", token)
    push.delete_endpoint(arn)
    push.delete_endpoint(arn)
    assert push.ensure_enabled(arn, token) is False
    with pytest.raises(EndpointDisabled):
        push.publish("fcm", arn, NOTIFICATION)
