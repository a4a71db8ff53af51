"""`chalice package` of the prod stage: the template lints clean, every function is sized and
least-privileged as configured, API Gateway answers in the contract's shape, the fan-out
consumer reports partial batch failures, and the zip holds only what the Lambdas import.

Packaging downloads the Lambda runtime's Linux wheels from PyPI, once per test run. Two
apps are packaged: the repository's own, and a stand-in with every kind of handler the
deployed app has (tests/deploy/support.py), so the WebSocket and SQS parts are checked
whichever handlers have landed in app.py."""
import functools
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass

import pytest

from infra import DeployError
from infra.after_chalice import SQS_MAXIMUM_CONCURRENCY
from infra.deploy import package, run_chalice
from infra.stage import PLACEHOLDER, stage_values
from tests.deploy.support import (
    FULL_SHAPE_APP,
    REPO,
    cfn_lint,
    chalice_config,
    function_settings,
    sample_outputs,
)

STAGE = "prod"
MAX_ZIP_BYTES = 20 * 1024 * 1024  # Lambda allows 50 MB zipped; stay far below for cold starts
CONFIG_NAMES = {  # logical id in the template -> function name in .chalice/config.json
    "APIHandler": "api_handler",
    "WebsocketConnect": "websocket_connect",
    "WebsocketMessage": "websocket_message",
    "WebsocketDisconnect": "websocket_disconnect",
    "Fanout": "fanout",
}
DEV_ONLY = ("secantus", "moto", "pytest", "_pytest", "boto3", "botocore", "devstack", "tests",
            "aiohttp", "websockets", "cfnlint", "chalice/cli", "chalice/deploy", "webclient", "playwright",
            "greenlet")


@dataclass
class Packaged:
    template_path: str
    zip_path: str

    @property
    def template(self):
        with open(self.template_path, encoding="utf-8") as file:
            return json.load(file)

    def functions(self):
        return {name: resource for name, resource in self.template["Resources"].items()
                if resource["Type"] == "AWS::Serverless::Function"}

    def roles(self):
        return {name: resource for name, resource in self.template["Resources"].items()
                if resource["Type"] == "AWS::IAM::Role"}


@pytest.fixture(scope="session")
def package_workspace(tmp_path_factory):
    """A scratch folder whose Chalice dependency cache both packagings share."""
    root = tmp_path_factory.mktemp("chalice-package")
    (root / "deployments").mkdir()
    return root


@pytest.fixture(scope="session")
def packaged(package_workspace):
    """The repository's app, packaged for prod with a real account's stack outputs."""
    return _package(REPO, package_workspace, "app")


@pytest.fixture(scope="session")
def packaged_full(package_workspace, packaged):
    """The stand-in app with REST, WebSocket and SQS handlers, packaged the same way."""
    project = package_workspace / "full-shape-source"
    project.mkdir()
    (project / "app.py").write_text(FULL_SHAPE_APP)
    shutil.copy(os.path.join(REPO, "requirements.txt"), project)  # same dependency cache
    shutil.copytree(os.path.join(REPO, ".chalice"), project / ".chalice",
                    ignore=shutil.ignore_patterns("deployed", "deployments"))
    return _package(str(project), package_workspace, "full-shape")


def _package(project, workspace, name):
    build = workspace / name / "build"
    (build / ".chalice").mkdir(parents=True)
    (build / ".chalice" / "deployments").symlink_to(workspace / "deployments")
    out = workspace / name / "out"
    runner = functools.partial(run_chalice, capture=True)
    try:
        path = package(project, STAGE, stage_values(sample_outputs(STAGE)), str(out), str(build), runner)
    except DeployError as error:
        pytest.fail(f"chalice package could not run; it needs PyPI for the Lambda's Linux wheels.\n{error}")
    return Packaged(path, str(out / "deployment.zip"))


def test_the_packaged_app_lints_clean(packaged):
    assert cfn_lint(packaged.template_path) == ""


def test_the_packaged_app_with_every_kind_of_handler_lints_clean(packaged_full):
    assert cfn_lint(packaged_full.template_path) == ""


def test_the_deployment_package_stays_small(packaged, capsys):
    size = os.path.getsize(packaged.zip_path)
    with zipfile.ZipFile(packaged.zip_path) as archive:
        unzipped = sum(item.file_size for item in archive.infolist())
    with capsys.disabled():
        print(f"\n[deploy] Lambda package: {size / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped")
    assert size < MAX_ZIP_BYTES
    assert unzipped < 250 * 1000 * 1000  # Lambda's hard limit


def test_the_deployment_package_holds_what_the_lambdas_import_and_no_dev_tools(packaged):
    with zipfile.ZipFile(packaged.zip_path) as archive:
        names = archive.namelist()
    shipped_dev_tools = sorted({n.split("/")[0] for n in names if n.lower().startswith(DEV_ONLY)})
    assert shipped_dev_tools == []
    for needed in ("app.py", "chalicelib/core/config.py", "pymongo/", "jwt/", "bcrypt/", "cryptography/"):
        assert any(n.startswith(needed) for n in names), needed
    native = [n for n in names if n.endswith(".so")]
    assert native and all("x86_64-linux-gnu" in n or "abi3" in n for n in native)


def test_every_function_gets_the_stage_timeout_and_memory(packaged, packaged_full):
    seen = {}
    for build in (packaged, packaged_full):
        for logical_id, function in build.functions().items():
            assert logical_id in CONFIG_NAMES, (
                f"New function {logical_id}: size it in .chalice/config.json (lambda_functions) and give it "
                "a log group and an errors alarm in infra/stack.yaml (docs/deploy.md, 'Contract for the app code')")
            settings = function_settings(STAGE, CONFIG_NAMES[logical_id])
            seen[logical_id] = (function["Properties"]["Timeout"], function["Properties"]["MemorySize"])
            assert seen[logical_id] == settings, logical_id
    assert set(seen) == set(CONFIG_NAMES)
    for logical_id, function in packaged_full.functions().items():
        reserved = chalice_config()["stages"][STAGE]["lambda_functions"][CONFIG_NAMES[logical_id]]["reserved_concurrency"]
        assert function["Properties"]["ReservedConcurrentExecutions"] == reserved, logical_id
    timeout, memory = seen["APIHandler"]
    # bcrypt at cost 12 is ~0.3 s on one full vCPU, which Lambda gives at 1769 MB.
    assert memory >= 1769 and timeout <= 29  # 29 s: API Gateway's integration limit


def test_the_fanout_consumer_batches_and_reports_partial_failures(packaged_full):
    events = packaged_full.functions()["Fanout"]["Properties"]["Events"]
    (source,) = events.values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["BatchSize"] == 10
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["Queue"]["Fn::Sub"].endswith(":secure-messaging-fanout-prod")
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": SQS_MAXIMUM_CONCURRENCY}


def test_every_sqs_consumer_of_the_real_app_reads_the_stacks_queue_and_reports_partial_failures(packaged):
    """Holds for however many consumers app.py registers (the stand-in app has one)."""
    for logical_id, function in packaged.functions().items():
        for source in function["Properties"].get("Events", {}).values():
            assert source["Type"] == "SQS", logical_id
            assert source["Properties"]["Queue"]["Fn::Sub"].endswith(":secure-messaging-fanout-prod"), logical_id
            assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_functions_read_the_stacks_resources_and_never_carry_a_secret(packaged_full):
    outputs = sample_outputs(STAGE)
    for logical_id, function in packaged_full.functions().items():
        env = function["Properties"]["Environment"]["Variables"]
        assert "JWT_SECRET" not in env and "MONGO_URI" not in env, logical_id
        assert env["STAGE"] == STAGE and int(env["BCRYPT_ROUNDS"]) >= 12
        assert env["JWT_SECRET_PARAMETER"] == outputs["JwtSecretParameterName"]
        assert env["MONGO_URI_PARAMETER"] == outputs["MongoUriParameterName"]
        assert env["KMS_KEY_ID"] == outputs["KmsKeyArn"]
        assert env["FANOUT_QUEUE_URL"] == outputs["FanoutQueueUrl"]
        assert env["WS_CALLBACK_URL"] == {
            "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}


def test_no_placeholder_is_left_unfilled(packaged, packaged_full):
    committed = ""
    for name in ("config.json", "policy-app.json", "policy-fanout.json"):
        with open(os.path.join(REPO, ".chalice", name), encoding="utf-8") as file:
            committed += file.read()
    ours = {match.group(1) for match in PLACEHOLDER.finditer(committed)}
    assert "KmsKeyArn" in ours
    for build in (packaged, packaged_full):
        with open(build.template_path, encoding="utf-8") as file:
            left = {match.group(1) for match in PLACEHOLDER.finditer(file.read())}
        assert not left & ours


def test_each_role_is_named_for_the_key_policy_and_grants_only_the_stage_resources(packaged_full):
    roles = packaged_full.roles()
    assert set(roles) == {f"{name}Role" for name in ("ApiHandler", "WebsocketConnect", "WebsocketMessage",
                                                      "WebsocketDisconnect", "Fanout")}
    for logical_id, role in roles.items():
        assert role["Properties"]["RoleName"].startswith("secure-messaging-prod-")  # infra/stack.yaml Key policy
        for statement in _statements(role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (logical_id, statement)
            for resource in _resources(statement):
                # S3 ARNs name no account: the stage's attachments bucket is named after it instead.
                stage_bucket = resource.startswith(sample_outputs(STAGE)["AttachmentsBucketArn"])
                assert resource != "*" and (":123456789012:" in resource or stage_bucket), (logical_id, statement["Sid"])


def test_only_the_consumer_receives_from_the_queue_and_every_sender_may_use_the_queue_key(packaged_full):
    """The consumer sends too: a large group's continuation job (issue 13). Sending to a queue
    encrypted under the stage key needs kms:GenerateDataKey on that key, and receiving needs
    kms:Decrypt; tests/deploy/test_iam_enforced.py makes the calls under each role."""
    def actions(role):
        return {a for s in _statements(role) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    roles = packaged_full.roles()
    assert {"sqs:ReceiveMessage", "sqs:SendMessage"} <= actions(roles["FanoutRole"])
    for producer in ("ApiHandlerRole", "WebsocketMessageRole"):
        assert "sqs:SendMessage" in actions(roles[producer])
        assert "sqs:ReceiveMessage" not in actions(roles[producer])
    for role in roles.values():
        assert "execute-api:ManageConnections" in actions(role)  # every function may answer a socket
        if "sqs:SendMessage" in actions(role):
            assert {"kms:GenerateDataKey", "kms:Decrypt"} <= actions(role)


def test_api_gateway_answers_unknown_routes_and_its_own_errors_in_the_contract_shape(packaged):
    responses = packaged.template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    assert json.loads(missing["responseTemplates"]["application/json"]) == {
        "error": {"code": "not_found", "message": "There is no such route."}}
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "REQUEST_TOO_LARGE"):
        template = responses[response_type]["responseTemplates"]["application/json"]
        body = json.loads(template.replace("$context.error.messageString", '"API Gateway says"'))
        assert set(body["error"]) == {"code", "message"}
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", body["error"]["code"])
    assert responses["THROTTLED"]["responseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}


def _statements(role):
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def _resources(statement):
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return [r["Fn::Sub"] if isinstance(r, dict) else r for r in resources]


def test_email_may_be_sent_only_as_the_stage_sender(packaged_full):
    statements = [s for s in _statements(packaged_full.roles()["ApiHandlerRole"])
                  if "ses:SendEmail" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    (statement,) = statements
    assert sorted(_resources(statement)) == [
        "arn:aws:ses:us-east-1:123456789012:identity/chat.example.com",
        "arn:aws:ses:us-east-1:123456789012:identity/no-reply@chat.example.com"]


def test_the_package_ships_bytecode_the_lambda_runtime_uses_as_it_is(packaged):
    """No cold start compiles the app (issue 13, item 4): every module of chalicelib/ and of
    the dependencies has an unchecked-hash .pyc for the runtime's Python beside it."""
    import importlib.util
    import sys

    tag = sys.implementation.cache_tag  # Chalice packages for the Python that runs it
    with zipfile.ZipFile(packaged.zip_path) as archive:
        names = set(archive.namelist())
        modules = [n for n in names if n.endswith(".py") and (n.startswith(("chalicelib/", "pymongo/", "jwt/", "bson/")))]
        assert modules
        missing = []
        for module in modules:
            folder, file_name = module.rsplit("/", 1)
            pyc = f"{folder}/__pycache__/{file_name[:-3]}.{tag}.pyc"
            if pyc not in names:
                missing.append(module)
                continue
            header = archive.read(pyc)[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
            assert int.from_bytes(header[4:8], "little") == 0b01, pyc  # hash-based, not checked
        assert missing == []
