"""`make deploy` end to end against moto, with a stand-in for the Chalice CLI (which needs
a real AWS account): the order of the steps, the first deploy's second Chalice pass, the
settings applied after Chalice, the deploy record shared through the state bucket, and
teardown."""
import io
import json
import os
import shutil
import zipfile

import pytest

from infra import DeployError, after_chalice
from infra.deploy import Deployer
from infra.stage import PENDING_WEBSOCKET_API, fill, render_project, stage_values
from tests.deploy.support import REGION, REPO, sample_outputs

STAGE = "prod"
MONGO_URI = "mongodb+srv://messaging:secret@cluster0.example.net/messaging?retryWrites=true"


class FakeChalice:
    """Stands in for the Chalice CLI. On `deploy` it creates in moto what Chalice would (a
    REST API, a WebSocket API, the fan-out function and its SQS event source) and records
    them the way Chalice does, in .chalice/deployed/<stage>.json; it also keeps what it was
    given (the rendered configuration and policies) for the tests to look at."""

    def __init__(self, session):
        self._session = session
        self.calls = []

    def __call__(self, build_dir, args, stage, values):
        chalice_dir = os.path.join(build_dir, ".chalice")
        with open(os.path.join(chalice_dir, "config.json"), encoding="utf-8") as file:
            config = json.load(file)
        policies = {}
        for name in os.listdir(chalice_dir):
            if name.startswith("policy-"):
                with open(os.path.join(chalice_dir, name), encoding="utf-8") as file:
                    policies[name] = file.read()
        self.calls.append({"args": args, "env": config["stages"][stage]["environment_variables"],
                           "policies": policies})
        record = os.path.join(chalice_dir, "deployed", f"{stage}.json")
        if args[0] == "delete":
            os.remove(record)
        elif not os.path.exists(record):  # a later deploy would update what exists
            os.makedirs(os.path.dirname(record), exist_ok=True)
            with open(record, "w", encoding="utf-8") as file:
                json.dump({"resources": self._create(stage, values), "schema_version": "2.0", "backend": "api"}, file)

    def _create(self, stage, values):
        apigateway = self._session.client("apigateway")
        rest_api = apigateway.create_rest_api(name="secure-messaging")["id"]
        root = apigateway.get_resources(restApiId=rest_api)["items"][0]["id"]
        apigateway.put_method(restApiId=rest_api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigateway.put_integration(restApiId=rest_api, resourceId=root, httpMethod="GET", type="MOCK")
        apigateway.create_deployment(restApiId=rest_api, stageName="api")
        websocket = self._session.client("apigatewayv2").create_api(
            Name="secure-messaging-websocket-api", ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action")["ApiId"]
        role = self._session.client("iam").create_role(
            RoleName=f"secure-messaging-{stage}-fanout", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "def fanout(event, context):\n    return {'batchItemFailures': []}\n")
        lambda_client = self._session.client("lambda")
        function = lambda_client.create_function(
            FunctionName=f"secure-messaging-{stage}-fanout", Runtime="python3.11", Role=role,
            Handler="app.fanout", Code={"ZipFile": code.getvalue()})["FunctionArn"]
        source = lambda_client.create_event_source_mapping(
            EventSourceArn=values["FanoutQueueArn"], FunctionName=function, BatchSize=10)["UUID"]
        host = f"execute-api.{REGION}.amazonaws.com"
        return [
            {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": rest_api,
             "rest_api_url": f"https://{rest_api}.{host}/api/"},
            {"name": "websocket_api", "resource_type": "websocket_api", "websocket_api_id": websocket,
             "websocket_api_url": f"wss://{websocket}.{host}/api/"},
            {"name": "fanout-sqs-event-source", "resource_type": "sqs_event", "event_uuid": source,
             "queue_arn": values["FanoutQueueArn"], "queue": values["FanoutQueueName"], "lambda_arn": function},
        ]




@pytest.fixture
def project(tmp_path):
    """A copy of what the deploy reads from the repository (its build/ goes here too)."""
    shutil.copytree(os.path.join(REPO, ".chalice"), tmp_path / ".chalice",
                    ignore=shutil.ignore_patterns("deployed", "deployments"))
    for name in ("app.py", "requirements.txt"):
        shutil.copy(os.path.join(REPO, name), tmp_path)
    return tmp_path


@pytest.fixture
def chalice(aws):
    return FakeChalice(aws)


@pytest.fixture
def deployer(aws, project, chalice):
    return Deployer(aws, repo_root=str(project), runner=chalice, log=lambda *_: None)


@pytest.fixture
def deployed(deployer):
    """A stage after its first full deploy (the operator stored the MongoDB URI between)."""
    with pytest.raises(DeployError, match="mongo-uri is not set"):
        deployer.deploy(STAGE)
    deployer.put_mongo_uri(STAGE, MONGO_URI)
    return deployer.deploy(STAGE)


def test_the_first_deploy_stops_before_chalice_until_the_mongodb_uri_is_stored(deployer, chalice, aws):
    with pytest.raises(DeployError, match="make mongo-uri STAGE=prod"):
        deployer.deploy(STAGE)
    assert chalice.calls == []
    assert aws.client("cloudformation").describe_stacks(StackName="secure-messaging-prod")["Stacks"]


def test_the_first_deploy_runs_chalice_again_once_the_websocket_api_exists(deployed, chalice, aws):
    first, second = chalice.calls
    assert first["args"] == second["args"] == ["deploy", "--stage", STAGE]
    assert first["env"]["WS_CALLBACK_URL"] == ""
    assert all(PENDING_WEBSOCKET_API in text for text in first["policies"].values())
    websocket_id = deployed["websocket"].split("//")[1].split(".")[0]
    assert second["env"]["WS_CALLBACK_URL"] == f"https://{websocket_id}.execute-api.{REGION}.amazonaws.com/api"
    for text in second["policies"].values():
        assert f":{websocket_id}/api/*/@connections/*" in text and PENDING_WEBSOCKET_API not in text


def test_the_rendered_stage_uses_the_stacks_resources(deployed, chalice, aws):
    env = chalice.calls[-1]["env"]
    queue_url = aws.client("sqs").get_queue_url(QueueName="secure-messaging-fanout-prod")["QueueUrl"]
    assert env["FANOUT_QUEUE_URL"] == queue_url
    assert env["KMS_KEY_ID"].startswith(f"arn:aws:kms:{REGION}:")
    jwt = aws.client("ssm").get_parameter(Name=env["JWT_SECRET_PARAMETER"], WithDecryption=True)
    assert len(jwt["Parameter"]["Value"]) >= 32
    assert aws.client("ssm").get_parameter(
        Name=env["MONGO_URI_PARAMETER"], WithDecryption=True)["Parameter"]["Value"] == MONGO_URI


def test_after_chalice_the_api_answers_in_the_contract_shape_and_the_consumer_reports_partial_failures(
        deployed, aws):
    apigateway = aws.client("apigateway")
    rest_api = deployed["rest"].split("//")[1].split(".")[0]
    missing = apigateway.get_gateway_response(restApiId=rest_api, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert missing["statusCode"] == "404"
    assert json.loads(missing["responseTemplates"]["application/json"])["error"]["code"] == "not_found"
    assert len(apigateway.get_deployments(restApiId=rest_api)["items"]) == 2  # Chalice's, then ours
    (mapping,) = aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_a_deploy_from_a_fresh_checkout_updates_the_same_resources(deployed, deployer, chalice, project, aws):
    """As in CI: no local build/; Chalice's record comes back from the state bucket."""
    shutil.rmtree(project / "build")
    again = deployer.deploy(STAGE)
    assert again == deployed
    assert len(chalice.calls) == 3  # one pass: the WebSocket API's id was known
    assert chalice.calls[-1]["env"]["WS_CALLBACK_URL"].startswith("https://")
    assert len(aws.client("apigateway").get_rest_apis()["items"]) == 1


def test_destroy_removes_the_app_the_secrets_and_the_stack(deployed, deployer, chalice, aws):
    deployer.destroy(STAGE)
    assert chalice.calls[-1]["args"] == ["delete", "--stage", STAGE]
    assert aws.client("ssm").describe_parameters()["Parameters"] == []
    stacks = aws.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])
    assert stacks["StackSummaries"] == []


def test_gateway_responses_can_be_applied_again(deployed, aws):
    rest_api = deployed["rest"].split("//")[1].split(".")[0]
    after_chalice.apply_gateway_responses(aws.client("apigateway"), rest_api)
    types = {item["responseType"] for item in aws.client("apigateway").get_gateway_responses(restApiId=rest_api)["items"]}
    assert set(after_chalice.GATEWAY_RESPONSES) <= types


def test_the_local_dev_stage_cannot_be_deployed(tmp_path, project):
    with pytest.raises(DeployError, match="JWT secret in config.json"):
        render_project(str(project), str(tmp_path / "build"), "dev", stage_values(sample_outputs()))


@pytest.mark.parametrize("tracing", ["xray", None])
def test_tracing_turns_on_active_tracing_and_its_permission_only_when_the_stage_asks(tmp_path, project, tracing):
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    if tracing:
        config["stages"][STAGE]["environment_variables"]["TRACING"] = tracing
    config_path.write_text(json.dumps(config))
    build = tmp_path / "build"
    render_project(str(project), str(build), STAGE, stage_values(sample_outputs(STAGE)))
    rendered = json.loads((build / ".chalice" / "config.json").read_text())["stages"][STAGE]
    assert rendered.get("xray", False) is bool(tracing)
    for policy in ("policy-app.json", "policy-fanout.json"):
        statements = json.loads((build / ".chalice" / policy).read_text())["Statement"]
        writes = [s for s in statements if "xray:PutTraceSegments" in s["Action"]]
        assert len(writes) == (1 if tracing else 0)


def test_a_placeholder_without_a_value_is_named():
    with pytest.raises(DeployError, match=r"No value for QueueUrl, Region in policy"):
        fill({"a": ["${Region}", {"b": "x-${QueueUrl}"}]}, {}, "policy")
    assert fill({"a": ["${Region}:${aws:username}"]}, {"Region": "eu-west-1"}, "policy") == {
        "a": ["eu-west-1:${aws:username}"]}


def test_the_command_line_refuses_the_local_stage_and_says_what_is_missing(monkeypatch, capsys, tmp_path):
    from infra.__main__ import main

    with pytest.raises(SystemExit):
        main(["deploy", "dev"])
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["deploy", "prod"]) == 2
    assert "No AWS region" in capsys.readouterr().err
