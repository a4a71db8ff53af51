"""infra/: the templates lint clean, and the stage's stack deploys into moto's CloudFormation
with its queue, dead-letter redrive and KMS key; the deploy step's secrets land beside it."""
import glob
import json
import os
import re
import warnings

import pytest

from infra import DeployError, parameters, stack
from tests.deploy.support import (
    REPO,
    STACK_TEMPLATE,
    cfn_lint,
    function_settings,
    load_template,
)

STAGE = "prod"
LAMBDA_FUNCTIONS = ("api_handler", "websocket_connect", "websocket_message", "websocket_disconnect", "fanout")




# What moto's CloudFormation does not model; these are checked in the template instead.
NOT_IN_MOTO = {"AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", "AWS::Logs::QueryDefinition"}


@pytest.fixture
def outputs(aws):
    """The prod stack, deployed by the same code `make deploy` uses."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deployed = stack.deploy_stack(aws.client("cloudformation"), STAGE, log=lambda *_: None)
    skipped = {m.group(1) for w in caught if (m := re.search(r"parse (AWS::\S+) but", str(w.message)))}
    assert skipped <= NOT_IN_MOTO, f"moto skipped {skipped - NOT_IN_MOTO}: test them another way"
    return deployed


def test_every_infra_template_lints_clean():
    templates = sorted(glob.glob(os.path.join(REPO, "infra", "*.yaml")))
    assert len(templates) >= 2
    assert cfn_lint(*templates) == ""


def test_the_stack_yields_the_fanout_queue_with_a_bounded_redrive_to_its_dead_letter_queue(aws, outputs):
    sqs = aws.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=outputs["FanoutQueueUrl"], AttributeNames=["All"])["Attributes"]
    dead_letters = sqs.get_queue_attributes(
        QueueUrl=outputs["FanoutDeadLetterQueueUrl"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(queue["RedrivePolicy"])
    assert outputs["FanoutQueueName"] == "secure-messaging-fanout-prod"
    assert redrive["deadLetterTargetArn"] == dead_letters["QueueArn"] == outputs["FanoutDeadLetterQueueArn"]
    assert 1 < int(redrive["maxReceiveCount"]) <= 10
    assert int(dead_letters["MessageRetentionPeriod"]) > int(queue["MessageRetentionPeriod"])
    assert queue["KmsMasterKeyId"] == dead_letters["KmsMasterKeyId"] == outputs["KmsKeyArn"]


def test_the_queue_outlasts_six_consumer_timeouts(aws, outputs):
    consumer_timeout, _ = function_settings(STAGE, "fanout")
    queue = aws.client("sqs").get_queue_attributes(
        QueueUrl=outputs["FanoutQueueUrl"], AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert int(queue["VisibilityTimeout"]) >= 6 * consumer_timeout


def test_the_stack_yields_a_rotating_key_under_the_stage_alias_that_only_the_app_roles_use(aws, outputs):
    kms = aws.client("kms")
    key_id = outputs["KmsKeyArn"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {alias["AliasName"]: alias.get("TargetKeyId") for alias in kms.list_aliases()["Aliases"]}
    assert aliases["alias/secure-messaging-prod"] == key_id.split("key/")[1]
    # moto keeps a CloudFormation key's policy as data (and evaluates it, so DescribeKey is
    # not used here); real KMS returns it as a JSON string.
    policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    statements = (json.loads(policy) if isinstance(policy, str) else policy)["Statement"]
    decrypters = [s for s in statements if "kms:Decrypt" in s["Action"]]
    for statement in decrypters:
        conditions = json.dumps(statement["Condition"])
        assert "role/secure-messaging-prod-*" in conditions or "sqs.us-east-1.amazonaws.com" in conditions
    administrators = [s for s in statements if "kms:PutKeyPolicy" in s["Action"]]
    assert administrators and all("kms:Decrypt" not in s["Action"] for s in administrators)


def test_the_stack_names_the_secrets_and_keeps_chalice_state_and_log_groups(aws, outputs):
    assert outputs["JwtSecretParameterName"] == "/secure-messaging/prod/jwt-secret"
    assert outputs["MongoUriParameterName"] == "/secure-messaging/prod/mongo-uri"
    aws.client("s3").head_bucket(Bucket=outputs["DeployStateBucketName"])
    bucket = load_template(STACK_TEMPLATE)["Resources"]["DeployStateBucket"]  # moto skips versioning
    assert bucket["Properties"]["VersioningConfiguration"]["Status"] == "Enabled"
    groups = {group["logGroupName"]: group.get("retentionInDays")
              for group in aws.client("logs").describe_log_groups()["logGroups"]}
    assert groups["/aws/lambda/secure-messaging-prod"] == 30  # the REST handler's own name
    for function in LAMBDA_FUNCTIONS[1:]:
        assert groups[f"/aws/lambda/secure-messaging-prod-{function}"] == 30


def test_a_second_deploy_of_an_unchanged_stack_is_a_no_op(aws, outputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = stack.deploy_stack(aws.client("cloudformation"), STAGE, log=lambda *_: None)
    assert again == outputs


def test_alarms_watch_the_dead_letter_queue_and_every_function():
    # moto's CloudFormation does not model alarms, so they are checked in the template.
    resources = load_template(STACK_TEMPLATE)["Resources"]
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    watched_queues = {json.dumps(a["Dimensions"]) for a in alarms if a.get("Namespace") == "AWS/SQS"}
    assert any("FanoutDeadLetterQueue" in q for q in watched_queues)
    functions = {a["Dimensions"][0]["Value"]["Sub"] for a in alarms
                 if a.get("Namespace") == "AWS/Lambda" and a["MetricName"] == "Errors"}
    expected = {"secure-messaging-${Stage}"} | {f"secure-messaging-${{Stage}}-{f}" for f in LAMBDA_FUNCTIONS[1:]}
    assert functions == expected
    assert all(a["AlarmActions"] for a in alarms)


def test_the_deploy_step_creates_the_jwt_secret_once_encrypted_under_the_stage_key(aws, outputs):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=outputs["MongoUriParameterName"], Type="SecureString",
                      KeyId=outputs["KmsKeyArn"], Value="mongodb+srv://u:p@cluster0.example.net/messaging")
    parameters.ensure_parameters(ssm, outputs, log=lambda *_: None)
    first = ssm.get_parameter(Name=outputs["JwtSecretParameterName"], WithDecryption=True)["Parameter"]
    parameters.ensure_parameters(ssm, outputs, log=lambda *_: None)
    second = ssm.get_parameter(Name=outputs["JwtSecretParameterName"], WithDecryption=True)["Parameter"]
    described = ssm.describe_parameters()["Parameters"]
    assert first["Value"] == second["Value"]
    assert len(first["Value"].encode()) >= 32  # what chalicelib.core.config demands of a deployed stage
    assert {p["Name"]: (p["Type"], p["KeyId"]) for p in described}[outputs["JwtSecretParameterName"]] == (
        "SecureString", outputs["KmsKeyArn"])


def test_the_deploy_step_stops_until_the_mongodb_uri_is_stored(aws, outputs):
    with pytest.raises(DeployError, match="mongo-uri is not set.*make mongo-uri STAGE=prod"):
        parameters.ensure_parameters(aws.client("ssm"), outputs, log=lambda *_: None)


def test_a_plaintext_mongodb_uri_is_refused(aws, outputs):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=outputs["MongoUriParameterName"], Type="String", Value="mongodb://h/db")
    with pytest.raises(DeployError, match="must be a SecureString"):
        parameters.ensure_parameters(ssm, outputs, log=lambda *_: None)


@pytest.mark.parametrize("uri", ["", "postgres://h/db", "mongodb+srv://user:pa ss@h/db"])
def test_only_a_mongodb_uri_is_stored(aws, outputs, uri):
    with pytest.raises(DeployError, match="starts with mongodb"):
        parameters.put_mongo_uri(aws.client("ssm"), outputs, uri)


def test_the_stored_secrets_satisfy_the_apps_deployed_settings(aws, outputs, monkeypatch):
    """The names the stack outputs are the ones chalicelib.core.config reads, and what the deploy
    step stores passes its production checks."""
    from chalicelib.core import config
    ssm = aws.client("ssm")
    parameters.put_mongo_uri(ssm, outputs, "mongodb+srv://u:p@cluster0.example.net/messaging")
    parameters.ensure_parameters(ssm, outputs, log=lambda *_: None)
    read = {name: ssm.get_parameter(Name=outputs[f"{name}ParameterName"], WithDecryption=True)["Parameter"]["Value"]
            for name in ("JwtSecret", "MongoUri")}
    monkeypatch.setenv("STAGE", STAGE)
    monkeypatch.setenv("BCRYPT_ROUNDS", "12")
    monkeypatch.setenv("JWT_SECRET", read["JwtSecret"])
    monkeypatch.setenv("MONGO_URI", read["MongoUri"])
    monkeypatch.setenv("WS_CALLBACK_URL", "https://abc123.execute-api.us-east-1.amazonaws.com/api")
    config.settings.cache_clear()
    try:
        loaded = config.settings()
    finally:
        config.settings.cache_clear()
    assert loaded.deployed and loaded.mongo_uri.startswith("mongodb+srv://")


def _substituted_dashboard(resources):
    """The dashboard body with ${...} filled in as CloudFormation would."""
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Sub"]
    values = {"AWS::Region": "eu-west-1", "Stage": STAGE, "FanoutQueue.QueueName": "fanout",
              "FanoutDeadLetterQueue.QueueName": "fanout-dlq"}
    filled = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], body)
    return json.loads(filled)


def test_the_dashboard_shows_every_app_metric_and_the_queue():
    from chalicelib.core.metrics import METRICS_NAMESPACE, NAMES

    dashboard = _substituted_dashboard(load_template(STACK_TEMPLATE)["Resources"])
    shown = json.dumps(dashboard)
    assert [name for name in NAMES if f'"{name}"' not in shown and f'\\"{name}\\"' not in shown] == []
    assert METRICS_NAMESPACE in shown and "ApproximateAgeOfOldestMessage" in shown
    assert all(widget["properties"]["region"] == "eu-west-1" for widget in dashboard["widgets"])


def test_every_alarm_has_a_runbook_section_and_the_saved_queries_exist():
    resources = load_template(STACK_TEMPLATE)["Resources"]
    runbook = open(os.path.join(REPO, "docs", "operations.md"), encoding="utf-8").read()
    alarms = [name for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    headings = re.findall(r"^### (.+)$", runbook, re.M)
    assert [alarm for alarm in alarms if not any(alarm in heading for heading in headings)] == []
    queries = {r["Properties"]["Name"]["Sub"] for r in resources.values() if r["Type"] == "AWS::Logs::QueryDefinition"}
    assert "secure-messaging-${Stage}/why-did-this-message-not-arrive" in queries
