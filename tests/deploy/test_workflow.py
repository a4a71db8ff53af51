"""The CI workflow tests before it deploys, and deploys with short-lived OIDC credentials
for the role infra/github-deploy-role.yaml creates, never with stored AWS keys."""
import os

import yaml

from tests.deploy.support import REPO, load_template

WORKFLOW = os.path.join(REPO, ".github", "workflows", "deploy.yml")


def _workflow():
    with open(WORKFLOW, encoding="utf-8") as file:
        return yaml.safe_load(file)


def _text():
    with open(WORKFLOW, encoding="utf-8") as file:
        return file.read()


def test_the_deploy_job_runs_only_after_the_tests_pass():
    jobs = _workflow()["jobs"]
    assert jobs["deploy"]["needs"] == "test"
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    assert any("make deploy" in step.get("run", "") for step in jobs["deploy"]["steps"])


def test_credentials_come_from_the_oidc_role_and_only_the_deploy_job_may_ask_for_them():
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["test"]
    assert workflow["jobs"]["deploy"]["permissions"]["id-token"] == "write"
    (login,) = [s for s in workflow["jobs"]["deploy"]["steps"]
                if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert login["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    text = _text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_the_deploy_runs_in_the_environment_the_role_trusts():
    environment = _workflow()["jobs"]["deploy"]["environment"]
    assert environment == "${{ inputs.stage || 'prod' }}"
    trust = load_template(os.path.join(REPO, "infra", "github-deploy-role.yaml"))[
        "Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert trust["StringEquals"]["token.actions.githubusercontent.com:sub"] == {
        "Sub": "repo:${GitHubRepository}:environment:${Stage}"}
    assert trust["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"


def test_no_expression_is_spliced_into_a_shell_script():
    for job in _workflow()["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_the_deploy_role_cannot_decrypt_with_the_stage_key():
    """The key policy lets roles named secure-messaging-<stage>-* decrypt; the deploy role
    must not match."""
    role = load_template(os.path.join(REPO, "infra", "github-deploy-role.yaml"))["Resources"]["DeployRole"]
    name = role["Properties"]["RoleName"]["Sub"]
    assert not name.startswith("secure-messaging-${Stage}-")


def test_a_job_runs_the_whole_suite_against_a_real_mongod_on_every_push():
    """Item 8 of issue 13: the first run against a real server happens in CI, not in production."""
    with open(os.path.join(REPO, ".github", "workflows", "tests.yml"), encoding="utf-8") as file:
        workflow = yaml.safe_load(file)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert "push" in triggers and "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    (service,) = job["services"].values()
    image, _, version = service["image"].partition(":")
    assert image == "mongo" and version.split(".")[0] in ("7", "8")
    assert "27017:27017" in service["ports"] and "--health-cmd" in service["options"]
    assert job["env"]["MONGO_URI"] == "mongodb://127.0.0.1:27017"
    assert any(step.get("run") == "make test" for step in job["steps"])
    for step in job["steps"]:
        assert "${{" not in step.get("run", "")
