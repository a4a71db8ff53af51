"""Mobile push in the deployed shape: the stack hands the platform applications to the app,
the policies allow exactly what the app and the fan-out consumer do with SNS (checked with
moto enforcing IAM), and `python -m infra push-apps` makes the applications from credentials
kept in SSM."""
import json
import os
import uuid
import warnings

import pytest

from infra import DeployError, push, stack
from infra.stage import fill, stage_values
from tests.deploy.support import REPO

STAGE = "prod"
NOTIFICATION = {"title": "Ana", "body": "New message", "badge": 1,
                "data": {"type": "message", "conversationId": "c", "messageId": "m", "seq": 1}, "collapseKey": "c"}


def _store_credentials(ssm, stage=STAGE):
    prefix = push.prefix(stage)
    for name, value in {"apns-signing-key": "-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----",
                        "apns-key-id": "ABC123DEFG", "apns-team-id": "TEAM123456", "apns-bundle-id": "com.example.chat",
                        "fcm-service-account": json.dumps({"type": "service_account", "project_id": "chat"})}.items():
        ssm.put_parameter(Name=prefix + name, Type="SecureString", Value=value)


@pytest.fixture
def applications(aws):
    ssm, sns = aws.client("ssm"), aws.client("sns")
    _store_credentials(ssm)
    return push.create_applications(sns, ssm, STAGE, log=lambda *_: None)


def _deploy(aws, applications=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stack.deploy_stack(aws.client("cloudformation"), STAGE, log=lambda *_: None,
                                  push_applications=applications)


def test_push_apps_makes_both_applications_from_the_stored_credentials_and_records_their_arns(aws, applications):
    sns, ssm = aws.client("sns"), aws.client("ssm")
    assert applications["apns"].endswith(":app/APNS/secure-messaging-prod-apns")
    assert applications["fcm"].endswith(":app/GCM/secure-messaging-prod-fcm")
    assert push.application_arns(ssm, STAGE) == applications
    again = push.create_applications(sns, ssm, STAGE, log=lambda *_: None)  # credentials rotated: updated in place
    assert again == applications
    assert len(sns.list_platform_applications()["PlatformApplications"]) == 2


def test_push_apps_refuses_credentials_kept_in_plain_text(aws):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=push.prefix(STAGE) + "fcm-service-account", Type="String", Value="{}")
    with pytest.raises(DeployError, match="must be a SecureString"):
        push.create_applications(aws.client("sns"), ssm, STAGE, log=lambda *_: None)
    with pytest.raises(DeployError, match="No push credentials"):
        push.create_applications(aws.client("sns"), ssm, "staging", log=lambda *_: None)


def test_the_stack_outputs_the_applications_and_their_endpoints(aws, applications):
    outputs = _deploy(aws, applications)
    assert outputs["ApnsPlatformApplicationArn"] == applications["apns"]
    assert outputs["ApnsEndpointsArn"] == applications["apns"].replace(":app/", ":endpoint/") + "/*"
    assert outputs["FcmEndpointsArn"] == applications["fcm"].replace(":app/", ":endpoint/") + "/*"


def test_without_applications_the_app_reads_push_as_not_configured(aws):
    from chalicelib.realtime.sns import MobilePush, PushNotConfigured

    outputs = _deploy(aws)
    assert outputs["ApnsPlatformApplicationArn"].endswith(":app/APNS/secure-messaging-prod-push-not-configured")
    unconfigured = MobilePush(aws.client("sns"), {"apns": outputs["ApnsPlatformApplicationArn"],
                                                  "fcm": outputs["FcmPlatformApplicationArn"]})
    with pytest.raises(PushNotConfigured):
        unconfigured.create_endpoint("apns", uuid.uuid4().hex * 2)


def _policy(role, values):
    with open(os.path.join(REPO, ".chalice", f"policy-{role}.json"), encoding="utf-8") as file:
        return fill(json.load(file), values, role)


def _client_for(aws, policy):
    """An SNS client signed as an IAM user holding only `policy`."""
    iam = aws.client("iam")
    user = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="stage", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return aws.client("sns", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


def _sns_actions_on_any_resource(policy):
    """`policy` with its SNS statements' resources widened to "*": moto checks SNS calls
    against resource "*" only, so this is how it can enforce the actions; the resources are
    checked with moto's policy evaluator instead (below)."""
    statements = [dict(statement, Resource="*") if str(statement["Action"]).count("sns:") else statement
                  for statement in policy["Statement"]]
    return {**policy, "Statement": statements}


def _denied(call):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as failure:
        call()
    assert failure.value.response["Error"]["Code"] in ("AccessDenied", "AuthorizationError"), failure.value.response


def _recording(client, calls):
    def record(params, model, **_):
        calls.append((f"sns:{model.name}", params.get("TargetArn") or params.get("EndpointArn")
                      or params.get("PlatformApplicationArn") or "*"))

    client.meta.events.register("provide-client-params.sns", record)
    return client


def test_moto_enforcing_iam_lets_each_function_make_its_sns_calls_and_no_others(aws, applications):
    from moto.core import set_initial_no_auth_action_count

    from chalicelib.realtime.sns import MobilePush

    outputs = _deploy(aws, applications)
    values = stage_values(outputs)
    app_sns = _client_for(aws, _sns_actions_on_any_resource(_policy("app", values)))
    fanout_sns = _client_for(aws, _sns_actions_on_any_resource(_policy("fanout", values)))
    app = MobilePush(app_sns, {"apns": outputs["ApnsPlatformApplicationArn"], "fcm": outputs["FcmPlatformApplicationArn"]})
    fanout = MobilePush(fanout_sns, {})

    @set_initial_no_auth_action_count(0)
    def enforced():
        token = uuid.uuid4().hex * 2
        endpoint = app.create_endpoint("apns", token, '{"userId":"u"}')  # POST /devices
        assert app.ensure_enabled(endpoint, token)  # the same token again
        app.set_user_data(endpoint, '{"userId":"v"}')  # the token moved to another account
        fcm = app.create_endpoint("fcm", uuid.uuid4().hex * 2)
        fanout.publish("apns", endpoint, NOTIFICATION)  # the consumer pushes
        fanout.publish("fcm", fcm, NOTIFICATION)
        fanout.delete_endpoint(fcm)  # and prunes a disabled one
        app.delete_endpoint(endpoint)  # DELETE /devices/{id}
        _denied(lambda: app_sns.publish(TargetArn=endpoint, Message="x"))  # the REST API never pushes
        _denied(lambda: fanout_sns.create_platform_endpoint(
            PlatformApplicationArn=outputs["FcmPlatformApplicationArn"], Token="t" * 64))
        _denied(lambda: fanout_sns.create_platform_application(Name="n", Platform="GCM", Attributes={}))
        _denied(lambda: app_sns.list_platform_applications())
        _denied(lambda: app_sns.publish(TopicArn=outputs["AlarmTopicArn"], Message="x"))

    enforced()


def test_the_policies_name_exactly_the_stages_applications_and_their_endpoints(aws, applications):
    from moto.iam.access_control import IAMPolicy, PermissionResult

    from chalicelib.realtime.sns import MobilePush

    outputs = _deploy(aws, applications)
    values = stage_values(outputs)
    calls = {"app": [], "fanout": []}
    app = MobilePush(_recording(aws.client("sns"), calls["app"]),
                     {"apns": outputs["ApnsPlatformApplicationArn"], "fcm": outputs["FcmPlatformApplicationArn"]})
    fanout = MobilePush(_recording(aws.client("sns"), calls["fanout"]), {})
    token = uuid.uuid4().hex * 2
    endpoint = app.create_endpoint("apns", token)
    app.ensure_enabled(endpoint, token)
    app.set_user_data(endpoint, "{}")
    fcm = app.create_endpoint("fcm", uuid.uuid4().hex * 2)
    fanout.publish("fcm", fcm, NOTIFICATION)
    fanout.delete_endpoint(fcm)
    app.delete_endpoint(endpoint)
    other = aws.client("sns").create_platform_application(
        Name="someone-elses-app", Platform="GCM", Attributes={"PlatformCredential": "x"})["PlatformApplicationArn"]
    foreign_endpoint = other.replace(":app/", ":endpoint/") + "/0a1b2c3d"
    for role, made in calls.items():
        policy = IAMPolicy(json.dumps(_policy(role, values)))
        assert made, role
        for action, resource in made:
            assert policy.is_action_permitted(action, resource) == PermissionResult.PERMITTED, (role, action, resource)
        for action, _ in made:
            foreign = other if action == "sns:CreatePlatformEndpoint" else foreign_endpoint
            assert policy.is_action_permitted(action, foreign) != PermissionResult.PERMITTED, (role, action)
