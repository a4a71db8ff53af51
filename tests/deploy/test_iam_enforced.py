"""Every function's real AWS calls, made under its own rendered IAM policy, with moto
enforcing IAM (issue 13, item 1): a permission missing from .chalice/policy-*.json fails here.

Each function's role is created from the policy file its stage configuration names, filled
in exactly as `make deploy` fills it, and assumed through STS; then the app's own code runs
with those credentials: settings read the stage's secrets from SSM, the REST and WebSocket
handlers send a message (a new conversation key from KMS, the job on SQS), /health asks SQS
and KMS, and the fan-out consumer delivers a job of a group too large for one job (a
continuation on SQS, the sealed message opened with a KMS-unwrapped key).

What moto checks: the action of every call, and for SQS the queue it names. It cannot match
other services' resources (it authorises KMS and SSM calls against "*"), so for those the
statement's resources are widened here and their scoping is checked on the packaged template
(tests/deploy/test_package.py). `execute-api:ManageConnections` is not modelled by moto; the
pushes go to a recording stand-in.
"""
import json
import os

import pytest

from chalicelib import services
from chalicelib.core import aws as app_aws
from chalicelib.core.clock import utcnow
from chalicelib.core.ids import new_id
from chalicelib.realtime.fanout import Fanout
from infra.stage import fill, stage_values
from tests.deploy.support import ACCOUNT, REGION, chalice_config, sample_outputs
from tests.fakes import RecordingPusher
from tests.helpers import make_group

STAGE = "prod"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
WEBSOCKET_API = "abc123defg"


def _policy_file(function):
    stage = chalice_config()["stages"][STAGE]
    return stage["lambda_functions"].get(function, {}).get("iam_policy_file", stage["iam_policy_file"])


def _as_moto_evaluates(policy):
    """The policy with non-SQS statements' resources widened to "*" (see the module docstring)."""
    widened = json.loads(json.dumps(policy))
    for statement in widened["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not all(action.startswith("sqs:") for action in actions):
            statement["Resource"] = "*"
    return widened


@pytest.fixture
def account(aws, db, mongo_uri):
    """The stage's resources in moto, as infra/stack.yaml and the deploy step create them."""
    sqs, kms, ssm = aws.client("sqs"), aws.client("kms"), aws.client("ssm")
    key = kms.create_key(Description="stage key")["KeyMetadata"]
    queue_url = sqs.create_queue(QueueName=f"secure-messaging-fanout-{STAGE}")["QueueUrl"]
    outputs = sample_outputs(STAGE)
    outputs.update(KmsKeyArn=key["Arn"], FanoutQueueUrl=queue_url)
    ssm.put_parameter(Name=outputs["JwtSecretParameterName"], Type="SecureString", KeyId=key["Arn"],
                      Value="a-production-secret-of-more-than-32-bytes-123456")
    ssm.put_parameter(Name=outputs["MongoUriParameterName"], Type="SecureString", KeyId=key["Arn"], Value=mongo_uri)
    deployed = {"resources": [{"resource_type": "websocket_api", "websocket_api_id": WEBSOCKET_API,
                               "websocket_api_url": f"wss://{WEBSOCKET_API}.execute-api.{REGION}.amazonaws.com/api/"}]}
    values = stage_values(outputs, deployed)
    assert outputs["FanoutQueueArn"] == sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"aws": aws, "values": values, "outputs": outputs, "db": db}


@pytest.fixture
def run_as(account, monkeypatch):
    """run_as(function): from here on, this process's AWS calls are the function's, under its
    rendered policy, with IAM enforced; the function's deployed environment is set."""
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin

    stage = chalice_config()["stages"][STAGE]

    def become(function):
        aws = account["aws"]
        with open(os.path.join(os.path.dirname(__file__), "..", "..", ".chalice", _policy_file(function)),
                  encoding="utf-8") as file:
            policy = fill(json.load(file), account["values"], _policy_file(function))
        role_name = f"secure-messaging-{STAGE}-{function}"
        iam = aws.client("iam")
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
        iam.put_role_policy(RoleName=role_name, PolicyName=function,
                            PolicyDocument=json.dumps(_as_moto_evaluates(policy)))
        credentials = aws.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName=function)["Credentials"]
        environment = fill({**stage["environment_variables"],
                            **stage["lambda_functions"].get(function, {}).get("environment_variables", {})},
                           account["values"], "config.json")
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", role_name)
        monkeypatch.setenv("MONGO_DB", os.environ["MONGO_DB"])
        monkeypatch.delenv("JWT_SECRET", raising=False)
        monkeypatch.delenv("MONGO_URI", raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
        monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
        app_aws.reset_for_tests()
        services.forget_all()
        # From the next AWS call on, moto authenticates and authorises every request.
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
        return services.build(account["db"], pusher=RecordingPusher())

    yield become
    monkeypatch.undo()
    app_aws.reset_for_tests()
    services.forget_all()


def _people(db, count):
    ids = []
    for index in range(count):
        user_id = new_id()
        db["users"].insert_one({"_id": user_id, "email": f"p{index}-{user_id[:6].lower()}@example.com",
                                "name": f"P{index}", "passwordHash": "unused", "createdAt": utcnow()})
        ids.append(user_id)
    return ids


def _enforcement_off():
    """The test's own look-ups (as the account, not as a function) go unchecked."""
    from moto import settings as moto_settings

    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")


def _queued(account):
    _enforcement_off()
    sqs = account["aws"].client("sqs")
    received = sqs.receive_message(QueueUrl=account["outputs"]["FanoutQueueUrl"], MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in received.get("Messages", [])]


def test_a_role_without_a_permission_is_refused_so_this_test_can_fail(account, run_as, monkeypatch):
    """The harness itself: a call outside the policy is AccessDenied under enforcement."""
    from botocore.exceptions import ClientError

    built = run_as("websocket_disconnect")
    with pytest.raises(ClientError) as refused:
        app_aws.client("sqs").receive_message(QueueUrl=account["outputs"]["FanoutQueueUrl"])
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "AccessDenied" in str(refused.value)  # authenticated as the role, and refused
    assert built.settings.deployed


@pytest.mark.parametrize("function", ["api_handler", "websocket_message"])
def test_the_senders_read_their_secrets_check_health_and_queue_a_message(account, run_as, function):
    built = run_as(function)
    owner, member = _people(account["db"], 2)
    group = make_group(account["db"], owner, members=[member])
    assert built.settings.jwt_secret.startswith("a-production-secret")  # ssm:GetParameter
    assert built.health.check()["status"] == "ok"  # sqs:GetQueueAttributes, kms:DescribeKey
    if function == "api_handler":
        built.messaging.send(owner, group, "hello under IAM")  # kms:GenerateDataKey, sqs:SendMessage
    else:
        built.sockets.connect("conn-1", "https://example.test/api", token=built.sessions.open(owner)["token"])
        reply = built.sockets.receive("conn-1", "https://example.test/api", json.dumps(
            {"action": "sendMessage", "conversationId": group, "text": "hello under IAM"}))
        assert reply["type"] == "ack", reply
    fresh = services.build(account["db"])  # a new Lambda: the key comes from KMS again
    (message,) = fresh.messaging.history(member, group)["messages"]  # kms:Decrypt
    assert message["text"] == "hello under IAM"
    queued = sorted(job["event"]["type"] for job in _queued(account))
    # The socket's connect announced its user online (presence): the same role's sqs:SendMessage.
    assert queued == (["message"] if function == "api_handler" else ["message", "presence"])


@pytest.mark.parametrize("function", ["api_handler", "websocket_connect", "fanout"])
def test_each_function_reads_the_current_and_previous_signing_keys(account, run_as, function):
    """After `make rotate-jwt-key` the functions read two versions (`name:1` is the same
    parameter ARN for IAM): tokens signed with either verify."""
    from chalicelib.core.signing_keys import rotate_parameter

    rotate_parameter(account["aws"].client("ssm"), account["outputs"]["JwtSecretParameterName"],
                     min_age_seconds=0, secret="a-rotated-production-secret-of-more-than-32-bytes")
    built = run_as(function)
    assert [key.kid for key in built.settings.jwt_keys.valid()] == ["v2", "v1"]
    assert built.settings.jwt_secret.startswith("a-rotated")


@pytest.mark.parametrize("function", ["websocket_connect", "websocket_disconnect"])
def test_the_connection_handlers_read_their_secrets(account, run_as, function):
    built = run_as(function)
    (user,) = _people(account["db"], 1)
    if function == "websocket_connect":
        built.sockets.connect("conn-2", "https://example.test/api", token=built.sessions.open(user)["token"])
        # A first connection announces its user online: sqs:SendMessage under this role.
        assert [job["event"]["type"] for job in _queued(account)] == ["presence"]
    else:
        built.sockets.disconnect("conn-2")
    assert built.settings.deployed and built.settings.mongo_uri.startswith("mongodb://")


def test_the_fanout_consumer_queues_continuations_and_opens_sealed_messages(account, run_as):
    """The defect of issue 13: the fanout role could not send the continuation job of a group
    larger than one job, so every such job failed five times into the dead-letter queue."""
    sender = run_as("api_handler")
    people = _people(account["db"], 3)
    group = make_group(account["db"], people[0], members=people[1:])
    sender.messaging.send(people[0], group, "to a large group")
    (job,) = _queued(account)
    account["aws"].client("sqs").purge_queue(QueueUrl=account["outputs"]["FanoutQueueUrl"])

    consumer = run_as("fanout")
    for person in people:
        consumer.connection_store.add(f"conn-{person}", person, "https://example.test/api")
    pusher = RecordingPusher()
    fanout = Fanout(consumer.audience, consumer.connection_store, pusher, consumer.publisher,
                    keyring=consumer.keyring, members_per_job=2)
    result = fanout.handle_batch([{"messageId": "m-1", "body": json.dumps(job), "attributes": {}}])
    assert result == {"batchItemFailures": []}
    assert {frame["message"]["text"] for _, _, frame in pusher.sent} == {"to a large group"}  # kms:Decrypt
    (continuation,) = _queued(account)  # sqs:SendMessage under the fanout role
    assert continuation["after"] and "sealedMessage" in continuation["event"]
