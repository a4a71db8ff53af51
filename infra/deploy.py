"""The steps of a deploy, in order, for one stage:

1. the CloudFormation stack (infra/stack.yaml): queues, KMS key, alarms, state bucket;
2. the stage's secrets in Parameter Store (JWT secret generated, MongoDB URI checked);
3. build/<stage>/: the Chalice project with the stack's outputs filled in;
4. `chalice deploy` (twice on the very first deploy, see stage.PENDING_WEBSOCKET_API);
5. what Chalice leaves undone (after_chalice.py).
"""
import json
import os
import shutil
import subprocess
import sys

from infra import DeployError, after_chalice, parameters, push, stack
from infra.stage import (
    PENDING_WEBSOCKET_API,
    ChaliceRecord,
    add_bytecode,
    deployed_resource,
    render_project,
    stage_values,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_chalice(build_dir, args, stage, values, capture=False):
    """Run the Chalice CLI on the rendered project, with what app.py reads at import.

    With `capture`, Chalice's output goes into the DeployError instead of the terminal."""
    chalice = os.path.join(os.path.dirname(sys.executable), "chalice")
    if not os.path.exists(chalice):
        chalice = shutil.which("chalice") or "chalice"
    env = dict(os.environ, STAGE=stage, FANOUT_QUEUE_NAME=values["FanoutQueueName"],
               AWS_DEFAULT_REGION=values["Region"])
    result = subprocess.run([chalice, "--project-dir", build_dir, *args], env=env, check=False,
                            capture_output=capture, text=True)
    if result.returncode != 0:
        output = f"\n{result.stdout[-4000:]}{result.stderr[-4000:]}" if capture else " See its output above."
        raise DeployError(f"`chalice {' '.join(args)}` failed (exit {result.returncode}).{output}")


class Deployer:
    """Deploys, packages and tears down one stage with the clients of one boto3 session."""

    def __init__(self, session, repo_root=REPO_ROOT, runner=run_chalice, log=print):
        if not session.region_name:
            raise DeployError("No AWS region: set AWS_REGION (or a profile with a region).")
        self._session = session
        self._clients = {}
        self._repo = repo_root
        self._run = runner
        self._log = log

    def deploy(self, stage, alarm_email="", mail_from=""):
        """Every step; returns the stage's endpoints."""
        self._log(f"[1/5] CloudFormation stack {stack.stack_name(stage)}")
        outputs = stack.deploy_stack(self._client("cloudformation"), stage, alarm_email, log=self._log,
                                     push_applications=push.application_arns(self._client("ssm"), stage),
                                     mail_from=mail_from)
        self._log("[2/5] Secrets in Parameter Store")
        parameters.ensure_parameters(self._client("ssm"), outputs, log=self._log)
        build_dir = self.build_dir(stage)
        record = self._record(stage, outputs, build_dir)
        record.pull()
        for _pass in range(2):  # the second only on a stage's very first deploy
            values = stage_values(outputs, record.read())
            self._log(f"[3/5] Rendering {os.path.relpath(build_dir, self._repo)}")
            render_project(self._repo, build_dir, stage, values)
            self._log(f"[4/5] chalice deploy --stage {stage}")
            try:
                self._run(build_dir, ["deploy", "--stage", stage], stage, values)
            finally:
                record.push()
            created = deployed_resource(record.read(), "websocket_api")
            if values["WebsocketApiId"] != PENDING_WEBSOCKET_API or created is None:
                break
            self._log("First deploy: the WebSocket API exists now; deploying again so the "
                      "policies and WS_CALLBACK_URL name it.")
        self._log("[5/5] Gateway responses and partial batch failures")
        after_chalice.apply_after_deploy(self._client("apigateway"), self._client("lambda"), record.read(),
                                         log=self._log)
        return self.endpoints(record.read())

    def package(self, stage, out_dir, values=None):
        """`chalice package` for the stage, finished for CloudFormation; the template's path.

        `values` default to the deployed stack's (tests pass their own)."""
        if values is None:
            values = stage_values(stack.stack_outputs(self._client("cloudformation"), stage))
        return package(self._repo, stage, values, out_dir, self.build_dir(stage) + "-package", self._run)

    def push_apps(self, stage, sandbox=False):
        """Create or update the stage's SNS platform applications from its stored credentials."""
        made = push.create_applications(self._client("sns"), self._client("ssm"), stage, sandbox, log=self._log)
        self._log("Run `make deploy` to hand them to the stack, the app's settings and its policies.")
        return made

    def put_mongo_uri(self, stage, uri):
        """Store the stage's MongoDB connection string (the stack must exist)."""
        parameters.put_mongo_uri(self._client("ssm"), stack.stack_outputs(self._client("cloudformation"), stage), uri)
        self._log("Stored. `make deploy` picks it up; running functions read it on their next cold start.")

    def destroy(self, stage):
        """`chalice delete`, the stage's parameters, then the stack (key and bucket stay)."""
        outputs = stack.stack_outputs(self._client("cloudformation"), stage)
        build_dir = self.build_dir(stage)
        record = self._record(stage, outputs, build_dir)
        if record.pull():
            values = stage_values(outputs, record.read())
            render_project(self._repo, build_dir, stage, values)
            self._run(build_dir, ["delete", "--stage", stage], stage, values)
            record.forget()
        parameters.delete_parameters(self._client("ssm"), outputs, log=self._log)
        stack.delete_stack(self._client("cloudformation"), stage, log=self._log)
        self._log(
            f"Kept on purpose: KMS key {outputs['KmsKeyArn']} (stored messages need it; schedule its "
            f"deletion by hand) and bucket {outputs['DeployStateBucketName']} (versioned deploy records)."
        )

    def endpoints(self, deployed):
        """The REST and WebSocket URLs in Chalice's record."""
        found = {}
        rest_api = deployed_resource(deployed, "rest_api")
        if rest_api:
            found["rest"] = rest_api["rest_api_url"]
        websocket = deployed_resource(deployed, "websocket_api")
        if websocket:
            found["websocket"] = websocket["websocket_api_url"]
        return found

    def build_dir(self, stage):
        return os.path.join(self._repo, "build", stage)

    def _record(self, stage, outputs, build_dir):
        return ChaliceRecord(self._client("s3"), outputs["DeployStateBucketName"], stage, build_dir)

    def _client(self, service):
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]


def package(repo_root, stage, values, out_dir, build_dir, runner=run_chalice):
    """Render, `chalice package`, then write in what Chalice leaves undone; the template path."""
    render_project(repo_root, build_dir, stage, values)
    runner(build_dir, ["package", "--stage", stage, os.path.abspath(out_dir)], stage, values)
    zip_path = os.path.join(out_dir, "deployment.zip")
    if os.path.exists(zip_path):
        add_bytecode(zip_path)
    path = os.path.join(out_dir, "sam.json")
    with open(path, encoding="utf-8") as file:
        template = json.load(file)
    after_chalice.finish_template(template, stage)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(template, file, indent=2)
        file.write("\n")
    return path
