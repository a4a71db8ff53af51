"""AWS resources the local stack needs, created in moto at start, as a deployed stage gets
them from infra/: the fan-out queue with its dead-letter queue, the KMS master key, the
attachments bucket (with CORS for the web client's origins), and the verified SES identity
emails are sent from. Idempotent: existing resources are reused."""
import json
import os

import boto3

# Short locally, so that a failed job comes back (and a poison one reaches the DLQ) quickly.
LOCAL_VISIBILITY_TIMEOUT = int(os.environ.get("SQS_VISIBILITY_TIMEOUT", "5"))
LOCAL_MAX_RECEIVES = 3
LOCAL_MASTER_KEY_DESCRIPTION = "secure-messaging local master key (devstack)"


def provision_queues(endpoint_url, region, queue_name):
    """Create the queue and its DLQ; return {"url", "arn", "dlq_url"}."""
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    dlq_url = sqs.create_queue(QueueName=f"{queue_name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(LOCAL_MAX_RECEIVES)}
    url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={"VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"url": url, "arn": arn, "dlq_url": dlq_url}


def aws_client(service, endpoint):
    import boto3

    return boto3.client(service, endpoint_url=endpoint)


def provision_kms(endpoint, key_id):
    """The ARN of the master key `key_id` names at `endpoint`; an `alias/...` is created if missing."""
    kms = aws_client("kms", endpoint)
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    except kms.exceptions.NotFoundException:
        if not key_id.startswith("alias/"):
            raise RuntimeError(
                f"KMS key {key_id!r} does not exist at {endpoint}; name an alias/... to have it created."
            ) from None
    created = kms.create_key(
        Description=LOCAL_MASTER_KEY_DESCRIPTION,
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
    )["KeyMetadata"]
    kms.create_alias(AliasName=key_id, TargetKeyId=created["KeyId"])
    return created["Arn"]


def provision_ses(endpoint, sender):
    """Verify `sender` as an SES identity at `endpoint` (moto verifies at once), so SendEmail
    from it succeeds as it does from a deployed stage's verified identity."""
    aws_client("ses", endpoint).verify_email_identity(EmailAddress=sender)
    return sender


def provision_bucket(endpoint, bucket, origins):
    """The attachments bucket at `endpoint`, whose presigned URLs `origins` may use from a
    browser (uploads by POST, downloads by GET), as infra/stack.yaml's CORS rule allows."""
    s3 = aws_client("s3", endpoint)
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": list(origins), "AllowedMethods": ["GET", "POST"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600,
    }]})
    return bucket


LOCAL_PUSH_APPLICATIONS = {"apns": ("secure-messaging-local-apns", "APNS_SANDBOX"),
                           "fcm": ("secure-messaging-local-fcm", "GCM")}


def provision_push(endpoint, region):
    """The two SNS platform applications mobile push uses (APNs sandbox and FCM), created in
    moto with stand-in credentials (a deployed stage's come from docs/push.md); returns
    {"apns": arn, "fcm": arn}. Reuses applications already there."""
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
    existing = {app["PlatformApplicationArn"].rsplit("/", 1)[-1]: app["PlatformApplicationArn"]
                for app in sns.list_platform_applications().get("PlatformApplications", [])}
    arns = {}
    for platform, (name, sns_platform) in LOCAL_PUSH_APPLICATIONS.items():
        if name in existing:
            arns[platform] = existing[name]
            continue
        credential = {"PlatformCredential": "local-stand-in", "PlatformPrincipal": "local-stand-in"}
        if sns_platform == "GCM":
            credential = {"PlatformCredential": "local-stand-in"}
        arns[platform] = sns.create_platform_application(
            Name=name, Platform=sns_platform, Attributes=credential)["PlatformApplicationArn"]
    return arns
