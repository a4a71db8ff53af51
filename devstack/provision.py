"""AWS resources the local stack needs, created at start (idempotent: existing ones are reused)."""
LOCAL_MASTER_KEY_DESCRIPTION = "secure-messaging local master key (devstack)"


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
