"""The Chalice project of one deployed stage, in build/<stage>/.

It is the repository's app and .chalice/ files with the stack's outputs written into the
`${Name}` placeholders of that stage's configuration and IAM policy files, so the committed
files name every resource while holding no account's ids. Chalice's record of what it
created (.chalice/deployed/<stage>.json) lives beside it and, between deploys, in the
stack's state bucket, so a laptop and CI update the same resources.
"""
import compileall
import copy
import json
import os
import py_compile
import re
import shutil
import tempfile
import zipfile

from botocore.exceptions import ClientError

from infra import DeployError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
# Until Chalice has created the WebSocket API, its id is unknown: this stands in for it in
# the policies (granting nothing) and `deploy` runs Chalice a second time with the real id.
PENDING_WEBSOCKET_API = "pending-first-deploy"
APP_FILES = ("app.py", "requirements.txt")
APP_DIRS = ("chalicelib", "vendor")
# A stage with TRACING=xray in its environment (docs/operations.md, "Tracing") gets Chalice's
# `xray` (Lambda active tracing, API Gateway stage tracing) and this statement in each policy:
# X-Ray has no resource-level permissions, so it is added only where tracing is on.
XRAY_STATEMENT = {"Sid": "WriteTraces", "Effect": "Allow",
                  "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}


def stage_values(outputs, deployed=None):
    """Every placeholder's value: the stack's outputs, its partition, region and account,
    and the WebSocket API that Chalice created (if it has)."""
    _, partition, _, region, account = outputs["StackId"].split(":")[:5]
    values = dict(outputs, Partition=partition, Region=region, AccountId=account)
    websocket = deployed_resource(deployed, "websocket_api")
    if websocket:
        values["WebsocketApiId"] = websocket["websocket_api_id"]
        values["WebsocketCallbackUrl"] = callback_url(websocket["websocket_api_url"])
    else:
        values["WebsocketApiId"] = PENDING_WEBSOCKET_API
        values["WebsocketCallbackUrl"] = ""
    return values


def callback_url(websocket_url):
    """The @connections endpoint of a WebSocket API: wss://id.../api/ -> https://id.../api."""
    return "https://" + websocket_url.split("://", 1)[1].rstrip("/")


def render_project(repo_root, build_dir, stage, values):
    """Write build_dir: the app's code, and .chalice/ holding only `stage`, filled in.

    Keeps build_dir/.chalice/deployed and .chalice/deployments (Chalice's record and its
    dependency cache). Raises DeployError naming any placeholder without a value."""
    config = _load_json(os.path.join(repo_root, ".chalice", "config.json"))
    stage_config = config.get("stages", {}).get(stage)
    if stage_config is None:
        raise DeployError(f"Stage {stage!r} is not in .chalice/config.json.")
    if "JWT_SECRET" in stage_config.get("environment_variables", {}):
        raise DeployError(f"Stage {stage!r} carries a JWT secret in config.json; it is for local use only.")
    os.makedirs(os.path.join(build_dir, ".chalice"), exist_ok=True)
    for name in APP_FILES:
        if os.path.exists(os.path.join(repo_root, name)):
            shutil.copy2(os.path.join(repo_root, name), os.path.join(build_dir, name))
    for name in APP_DIRS:
        target = os.path.join(build_dir, name)
        shutil.rmtree(target, ignore_errors=True)
        if os.path.isdir(os.path.join(repo_root, name)):
            shutil.copytree(
                os.path.join(repo_root, name), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
            compile_tree(target)
    rendered = copy.deepcopy(config)
    rendered["stages"] = {stage: fill(stage_config, values, f"stage {stage!r} in .chalice/config.json")}
    tracing = stage_config.get("environment_variables", {}).get("TRACING") == "xray"
    if tracing:
        rendered["stages"][stage]["xray"] = True
    _write_json(os.path.join(build_dir, ".chalice", "config.json"), rendered)
    for policy in policy_files(stage_config):
        document = fill(_load_json(os.path.join(repo_root, ".chalice", policy)), values, f".chalice/{policy}")
        if tracing:
            document["Statement"].append(XRAY_STATEMENT)
        _write_json(os.path.join(build_dir, ".chalice", policy), document)
    return build_dir


def compile_tree(directory):
    """Write bytecode beside every module of `directory`, as the Lambda runtime reads it.

    Chalice zips chalicelib/ and vendor/ as they are, so their __pycache__ ships; a cold start
    then imports instead of compiling (0.17 s instead of 0.56 s here). Unchecked-hash pycs
    are used whatever the files' times (a zip's extraction sets them) and never rewritten on
    the read-only file system. Chalice builds for the Python that runs it, so the tag matches.
    """
    if not compileall.compile_dir(directory, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
        raise DeployError(f"Some module under {directory} does not compile.")


def add_bytecode(zip_path):
    """Add unchecked-hash bytecode for every module of a deployment zip (the dependencies
    Chalice unpacked from wheels ship without it); modules that do not compile are left as
    they are (some packages carry files for other Python versions)."""
    with tempfile.TemporaryDirectory(prefix="bytecode-") as scratch:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(scratch)
            names = set(archive.namelist())
        compileall.compile_dir(scratch, quiet=2,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for root, _dirs, files in os.walk(scratch):
                for file_name in files:
                    if not file_name.endswith(".pyc"):
                        continue
                    full = os.path.join(root, file_name)
                    name = os.path.relpath(full, scratch).replace(os.sep, "/")
                    if name not in names:
                        archive.write(full, name)


def policy_files(stage_config):
    """The IAM policy files a stage's functions use (stage-wide and per function)."""
    names = {stage_config["iam_policy_file"]} if "iam_policy_file" in stage_config else set()
    for function in stage_config.get("lambda_functions", {}).values():
        if "iam_policy_file" in function:
            names.add(function["iam_policy_file"])
    return sorted(names)


def fill(document, values, where):
    """`document` (JSON data) with every `${Name}` in its strings replaced from `values`."""
    missing = set()

    def replace(match):
        name = match.group(1)
        if name not in values:
            missing.add(name)
            return match.group(0)
        return values[name]

    def walk(item):
        if isinstance(item, str):
            return PLACEHOLDER.sub(replace, item)
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            return {key: walk(value) for key, value in item.items()}
        return item

    filled = walk(document)
    if missing:
        raise DeployError(f"No value for {', '.join(sorted(missing))} in {where}.")
    return filled


def deployed_resource(deployed, resource_type):
    """The first resource of `resource_type` in Chalice's record, or None."""
    found = deployed_resources(deployed, resource_type)
    return found[0] if found else None


def deployed_resources(deployed, resource_type):
    return [item for item in (deployed or {}).get("resources", []) if item.get("resource_type") == resource_type]


class ChaliceRecord:
    """Chalice's .chalice/deployed/<stage>.json, kept in the stack's state bucket."""

    def __init__(self, s3, bucket, stage, build_dir):
        self._s3 = s3
        self._bucket = bucket
        self._key = f"chalice/deployed/{stage}.json"
        self.path = os.path.join(build_dir, ".chalice", "deployed", f"{stage}.json")

    def pull(self):
        """Fetch the record (a local one is kept only if the bucket has none yet)."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=self._key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return self.read()
            raise
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "wb") as file:
            file.write(body)
        return self.read()

    def push(self):
        """Store the record, if Chalice wrote one."""
        if os.path.exists(self.path):
            with open(self.path, "rb") as file:
                self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=file.read(),
                                    ContentType="application/json")

    def read(self):
        return _load_json(self.path) if os.path.exists(self.path) else None

    def forget(self):
        """After `chalice delete`: nothing is deployed any more."""
        self._s3.delete_object(Bucket=self._bucket, Key=self._key)


def _load_json(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _write_json(path, data):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.write("\n")
