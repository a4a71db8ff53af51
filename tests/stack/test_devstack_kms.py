"""The local stack's KMS: provisioning is idempotent, and the local master key survives a
restart of moto, so conversations stored under .local/ stay readable."""
import contextlib
import os

import boto3
import pytest

from devstack import processes
from devstack.provision import provision_kms

ALIAS = "alias/devstack-test"
CONTEXT = {"conversationId": "conv-1"}


@contextlib.contextmanager
def local_moto(state_path):
    """The endpoint of a moto server keeping its KMS master key in `state_path`, until the block ends."""
    port = processes.free_port()
    server = processes.start_moto(port, kms_state=state_path)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


def test_provisioning_twice_reuses_the_key(tmp_path):
    with local_moto(str(tmp_path / "kms.json")) as endpoint:
        first = provision_kms(endpoint, ALIAS)
        assert provision_kms(endpoint, ALIAS) == first
        kms = boto3.client("kms", endpoint_url=endpoint)
        assert len(kms.list_keys()["Keys"]) == 1


def test_master_key_survives_a_restart(tmp_path):
    state = str(tmp_path / "kms.json")
    with local_moto(state) as endpoint:
        arn = provision_kms(endpoint, ALIAS)
        data_key = boto3.client("kms", endpoint_url=endpoint).generate_data_key(
            KeyId=ALIAS, KeySpec="AES_128", EncryptionContext=CONTEXT)
    assert oct(os.stat(state).st_mode & 0o777) == "0o600"

    with local_moto(state) as endpoint:  # a new `make run`: moto starts empty
        assert provision_kms(endpoint, ALIAS) == arn
        kms = boto3.client("kms", endpoint_url=endpoint)
        unwrapped = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=CONTEXT, KeyId=arn)
        assert unwrapped["Plaintext"] == data_key["Plaintext"]


def test_other_keys_are_not_pinned(tmp_path):
    state = str(tmp_path / "kms.json")
    with local_moto(state) as endpoint:
        provision_kms(endpoint, ALIAS)
        kms = boto3.client("kms", endpoint_url=endpoint)
        other = kms.create_key(Description="someone else's key")["KeyMetadata"]["KeyId"]
        assert other != kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"]


def test_a_missing_key_id_that_is_not_an_alias_is_a_clear_error(tmp_path):
    with local_moto(str(tmp_path / "kms.json")) as endpoint:
        with pytest.raises(RuntimeError, match="does not exist"):
            provision_kms(endpoint, "1234abcd-12ab-34cd-56ef-1234567890ab")
