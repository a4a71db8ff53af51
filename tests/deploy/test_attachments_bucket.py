"""The attachments bucket (infra/stack.yaml) and what the app's roles may do in it
(.chalice/policy-app.json), the latter against moto with IAM enforced: the S3 calls the
app makes pass under the rendered policy, and the same calls outside the bucket's
conversations/ prefix are refused."""
import json
import os
import warnings

import pytest
from botocore.exceptions import ClientError

from chalicelib.media.bucket import PENDING, STATE_TAG, AttachmentBucket
from infra import stack
from infra.stage import fill, stage_values
from tests.deploy.support import REPO, STACK_TEMPLATE, load_template, sample_outputs

STAGE = "prod"


@pytest.fixture(scope="module")
def resources():
    return load_template(STACK_TEMPLATE)["Resources"]


def test_the_bucket_is_private_encrypted_with_the_stage_key_and_unversioned(resources):
    bucket = resources["AttachmentsBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"GetAtt": "Key.Arn"}}
    assert rule["BucketKeyEnabled"] is True
    assert "VersioningConfiguration" not in bucket  # a deleted file must really be gone
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_bucket_policy_refuses_plain_http_and_other_encryption(resources):
    policy = resources["AttachmentsBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "AttachmentsBucket"}
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    tls = statements["TlsOnly"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"GetAtt": "AttachmentsBucket.Arn"} in tls["Resource"]
    for sid in ("OnlyKmsEncryption", "NoOtherKmsKey"):
        statement = statements[sid]
        assert statement["Effect"] == "Deny" and statement["Action"] == "s3:PutObject"
        (key,) = statement["Condition"]["Null"]  # only an upload that names another one is refused
        assert statement["Condition"]["Null"][key] == "false" and key in statement["Condition"]["StringNotEquals"]


def test_uploads_never_sent_expire_after_a_day_and_sent_ones_stay(resources):
    rules = resources["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules if "ExpirationInDays" in rule]
    assert expiring == [{"Id": "ExpireUploadsNeverSent", "Status": "Enabled", "Prefix": "conversations/",
                         "TagFilters": [{"Key": STATE_TAG, "Value": PENDING}], "ExpirationInDays": 1}]


def test_cors_admits_only_the_configured_web_origin(resources):
    cors = resources["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["If"]
    condition, (rule,), otherwise = cors[0], cors[1]["CorsRules"], cors[2]
    assert condition == "HasWebOrigin" and otherwise == {"Ref": "AWS::NoValue"}
    assert rule["AllowedOrigins"] == [{"Ref": "WebOrigin"}]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]


def test_the_stack_creates_the_bucket_and_outputs_what_the_app_reads(aws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = stack.deploy_stack(aws.client("cloudformation"), STAGE, log=lambda *_: None)
    name = outputs["AttachmentsBucketName"]
    assert name == "secure-messaging-attachments-prod-123456789012"
    assert outputs["AttachmentsBucketArn"] == f"arn:aws:s3:::{name}"
    s3 = aws.client("s3")
    s3.head_bucket(Bucket=name)
    # moto's CloudFormation keeps the encryption (the access block and policy are checked above).
    (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    config = _chalice_config()
    for stage in ("prod", "staging"):
        assert config["stages"][stage]["environment_variables"]["ATTACHMENTS_BUCKET"] == "${AttachmentsBucketName}"


# --- The app's role in the bucket, with moto enforcing IAM -------------------------------------


@pytest.fixture
def as_the_app(aws):
    """(AttachmentBucket signed as a principal holding the rendered policy-app.json, an
    unrestricted S3 client) in moto with IAM enforced from then on."""
    from moto.core.authorization import enable_iam_authentication

    values = stage_values(sample_outputs(STAGE))
    bucket = values["AttachmentsBucketName"]
    admin = aws.client("s3")
    admin.create_bucket(Bucket=bucket)
    admin.create_bucket(Bucket="someone-elses-bucket")
    iam = aws.client("iam")
    iam.create_user(UserName="api-handler")
    with open(os.path.join(REPO, ".chalice", "policy-app.json"), encoding="utf-8") as file:
        policy = fill(json.load(file), values, "policy-app.json")
    iam.put_user_policy(UserName="api-handler", PolicyName="app", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="api-handler")["AccessKey"]
    import boto3

    app_s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"])
    with enable_iam_authentication():
        yield AttachmentBucket(app_s3, bucket, 300), app_s3, bucket


def test_the_app_role_does_every_s3_call_the_app_makes_under_conversations(as_the_app):
    attachments, app_s3, bucket = as_the_app
    key = "conversations/c-1/a-1"
    app_s3.put_object(Bucket=bucket, Key=key, Body=b"hello", ContentType="text/plain")  # what a presigned POST does
    assert attachments.described(key) == (5, "text/plain")
    assert attachments.described("conversations/c-1/never") is None
    attachments.mark_attached(key)
    attachments.mark_pending(key)
    assert attachments.upload_form(key, "text/plain", 5)["fields"]["key"] == key
    assert "conversations/c-1/a-1" in attachments.download_url(key)
    app_s3.get_object(Bucket=bucket, Key=key)  # what a presigned GET does
    listed = app_s3.list_objects_v2(Bucket=bucket, Prefix="conversations/c-1/")  # as delete_prefix lists
    assert [item["Key"] for item in listed["Contents"]] == [key]
    # DeleteObjects needs s3:DeleteObject on each key. moto checks it against the bucket's ARN
    # instead, so the per-key permission is checked by itself.
    app_s3.delete_object(Bucket=bucket, Key=key)
    assert attachments.described(key) is None


@pytest.mark.parametrize("call", [
    lambda s3, bucket: s3.put_object(Bucket=bucket, Key="elsewhere/a-1", Body=b"x"),
    lambda s3, bucket: s3.get_object(Bucket=bucket, Key="elsewhere/a-1"),
    lambda s3, bucket: s3.put_bucket_policy(Bucket=bucket, Policy="{}"),
    lambda s3, bucket: s3.put_object(Bucket="someone-elses-bucket", Key="conversations/c/a", Body=b"x"),
    lambda s3, bucket: s3.delete_bucket(Bucket=bucket),
], ids=["put outside the prefix", "get outside the prefix", "change the bucket policy", "another bucket", "delete the bucket"])
def test_the_app_role_can_do_nothing_else_in_s3(as_the_app, call):
    _, app_s3, bucket = as_the_app
    with pytest.raises(ClientError) as refused:
        call(app_s3, bucket)
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")


def test_listing_is_limited_to_the_conversations_prefix():
    """moto does not evaluate IAM conditions, so the condition on listing is checked here."""
    with open(os.path.join(REPO, ".chalice", "policy-app.json"), encoding="utf-8") as file:
        statements = json.load(file)["Statement"]
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    assert {a for s in s3_statements for a in _actions(s)} == {
        "s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"}
    for statement in s3_statements:
        if "s3:ListBucket" in _actions(statement):
            assert _actions(statement) == ["s3:ListBucket"] and statement["Resource"] == "${AttachmentsBucketArn}"
            assert statement["Condition"] == {"StringLike": {"s3:prefix": "conversations/*"}}
        else:
            assert statement["Resource"] == "${AttachmentsBucketArn}/conversations/*"


def _actions(statement):
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def _chalice_config():
    with open(os.path.join(REPO, ".chalice", "config.json"), encoding="utf-8") as file:
        return json.load(file)
