"""The stage's CloudFormation stack (infra/stack.yaml): create or update it, read its outputs."""
import os

from botocore.exceptions import ClientError

from infra import DeployError

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack.yaml")
APP = "secure-messaging"
_NOTHING_TO_UPDATE = "No updates are to be performed"


def stack_name(stage):
    return f"{APP}-{stage}"


def deploy_stack(cfn, stage, alarm_email="", log=print, push_applications=None, mail_from=""):
    """Create the stage's stack, or update it in place; wait; return `stack_outputs`.

    `push_applications` ({"apns": arn, "fcm": arn}, see infra/push.py) become its parameters."""
    push_applications = push_applications or {}
    name = stack_name(stage)
    with open(TEMPLATE, encoding="utf-8") as template:
        request = {
            "StackName": name,
            "TemplateBody": template.read(),
            "Parameters": [
                {"ParameterKey": "Stage", "ParameterValue": stage},
                {"ParameterKey": "AlarmEmail", "ParameterValue": alarm_email},
                {"ParameterKey": "MailFrom", "ParameterValue": mail_from},
                # The web origin the REST API allows (app.py) may use the attachments bucket too.
                {"ParameterKey": "WebOrigin", "ParameterValue": os.environ.get("CORS_ALLOW_ORIGIN", "").strip()},
                {"ParameterKey": "ApnsPlatformApplicationArn", "ParameterValue": push_applications.get("apns", "")},
                {"ParameterKey": "FcmPlatformApplicationArn", "ParameterValue": push_applications.get("fcm", "")},
            ],
            # Stack tags reach every resource that takes tags.
            "Tags": [{"Key": "app", "Value": APP}, {"Key": "stage", "Value": stage}],
        }
    status = _status(cfn, name)
    if status == "ROLLBACK_COMPLETE":  # a first creation failed: it can only be deleted
        log(f"Stack {name} never got created (ROLLBACK_COMPLETE); deleting it to start over.")
        cfn.delete_stack(StackName=name)
        _wait(cfn, "stack_delete_complete", name)
        status = None
    if status is None:
        log(f"Creating stack {name}.")
        cfn.create_stack(OnFailure="ROLLBACK", **request)
        _wait(cfn, "stack_create_complete", name)
    else:
        try:
            cfn.update_stack(**request)
        except ClientError as error:
            if _NOTHING_TO_UPDATE not in str(error):
                raise
            log(f"Stack {name} is up to date.")
        else:
            log(f"Updating stack {name}.")
            _wait(cfn, "stack_update_complete", name)
    return stack_outputs(cfn, stage)


def stack_outputs(cfn, stage):
    """The stack's outputs by key, plus `StackId`; DeployError if there is no such stack."""
    name = stack_name(stage)
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        raise DeployError(f"Stack {name} not found ({error}). Run `make deploy STAGE={stage}`.") from error
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    outputs["StackId"] = stack["StackId"]
    return outputs


def delete_stack(cfn, stage, log=print):
    """Delete the stage's stack (the KMS key and the state bucket are retained)."""
    name = stack_name(stage)
    if _status(cfn, name) is None:
        log(f"Stack {name} does not exist.")
        return
    cfn.delete_stack(StackName=name)
    _wait(cfn, "stack_delete_complete", name)
    log(f"Deleted stack {name}.")


def _status(cfn, name):
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def _wait(cfn, waiter_name, name):
    from botocore.exceptions import WaiterError

    try:
        cfn.get_waiter(waiter_name).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    except WaiterError as error:
        raise DeployError(f"Stack {name}: {waiter_name} failed.{_failures(cfn, name)}") from error


def _failures(cfn, name):
    """The reasons CloudFormation gave for the resources that failed, newest first."""
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except ClientError:
        return ""
    reasons = [
        f"\n  {event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
        for event in events
        if event["ResourceStatus"].endswith("_FAILED")
    ]
    return "".join(reasons[:10])
