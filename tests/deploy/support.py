"""Shared by the tests/test_deploy_*.py files: the repository's paths, a moto account,
stack outputs as a real account would give them, cfn-lint, and a small app with every
kind of handler the deployed app has (REST, WebSocket, the SQS fan-out consumer)."""
import json
import os
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(REPO, ".chalice", "config.json")
STACK_TEMPLATE = os.path.join(REPO, "infra", "stack.yaml")
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, and the documentation's example one


def chalice_config():
    with open(CONFIG, encoding="utf-8") as file:
        return json.load(file)


def function_settings(stage, function):
    """(timeout, memory) Chalice gives `function` in `stage`."""
    config = chalice_config()
    stage_config = config["stages"][stage]
    specific = stage_config.get("lambda_functions", {}).get(function, {})
    return (
        specific.get("lambda_timeout", stage_config.get("lambda_timeout", 60)),
        specific.get("lambda_memory_size", stage_config.get("lambda_memory_size", 128)),
    )


def sample_outputs(stage="prod"):
    """What infra/stack.yaml outputs in a real account (the shape `stack_outputs` returns)."""
    return {
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/secure-messaging-{stage}/0a1b2c3d",
        "Stage": stage,
        "FanoutQueueName": f"secure-messaging-fanout-{stage}",
        "FanoutQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/secure-messaging-fanout-{stage}",
        "FanoutQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:secure-messaging-fanout-{stage}",
        "FanoutDeadLetterQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/secure-messaging-fanout-{stage}-dlq",
        "FanoutDeadLetterQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:secure-messaging-fanout-{stage}-dlq",
        "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "KmsKeyAlias": f"alias/secure-messaging-{stage}",
        "JwtSecretParameterName": f"/secure-messaging/{stage}/jwt-secret",
        "MongoUriParameterName": f"/secure-messaging/{stage}/mongo-uri",
        "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:secure-messaging-{stage}-alarms",
        "DeployStateBucketName": f"secure-messaging-{stage}-deploystatebucket-abc123",
        "SesSenderAddress": "no-reply@chat.example.com",
        "SesSenderIdentityArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/no-reply@chat.example.com",
        "SesSenderDomainArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/chat.example.com",
        "AttachmentsBucketName": f"secure-messaging-attachments-{stage}-{ACCOUNT}",
        "AttachmentsBucketArn": f"arn:aws:s3:::secure-messaging-attachments-{stage}-{ACCOUNT}",
        "ApnsPlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/secure-messaging-{stage}-apns",
        "ApnsEndpointsArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/secure-messaging-{stage}-apns/*",
        "FcmPlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/GCM/secure-messaging-{stage}-fcm",
        "FcmEndpointsArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/secure-messaging-{stage}-fcm/*",
    }


def load_template(path):
    """A CloudFormation YAML template as data (short-form intrinsics kept as tags' values)."""

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {suffix: value}

    Loader.add_multi_constructor("!", intrinsic)
    with open(path, encoding="utf-8") as file:
        return yaml.load(file, Loader=Loader)  # noqa: S506 - SafeLoader subclass


def cfn_lint(*paths):
    """cfn-lint's findings for `paths` (errors and warnings), as the CLI prints them; '' if clean."""
    executable = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    result = subprocess.run(
        [executable, "--format", "parseable", "--", *paths], capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0 and not result.stdout.strip():
        return f"cfn-lint could not run (exit {result.returncode}): {result.stderr.strip()}"
    return result.stdout.strip()


# Registers what the real app registers, under the same names: Chalice derives function,
# role and resource names from them, and the stage configuration sizes them by name.
FULL_SHAPE_APP = '''\
import os

from chalice import Chalice

app = Chalice(app_name="secure-messaging")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.route("/health")
def health():
    return {"status": "ok"}


@app.on_ws_connect()
def connect(event):
    return None


@app.on_ws_message()
def message(event):
    return None


@app.on_ws_disconnect()
def disconnect(event):
    return None


@app.on_sqs_message(queue=os.environ.get("FANOUT_QUEUE_NAME", "secure-messaging-fanout-dev"), batch_size=10)
def fanout(event):
    return {"batchItemFailures": []}
'''
