"""The local stack's KMS: provisioning is idempotent, and the local master key survives a
restart of moto, so conversations stored under .local/ stay readable."""
import os

import boto3
import pytest

from devstack import processes
from devstack.provision import provision_kms

ALIAS = "alias/devstack-test"
CONTEXT = {"conversationId": "conv-1"}


def start(state_path):
    port = processes.free_port()
    server = processes.start_moto(port, kms_state=state_path)
    return server, f"http://127.0.0.1:{port}"


def test_provisioning_twice_reuses_the_key(tmp_path):
    server, endpoint = start(str(tmp_path / "kms.json"))
    try:
        first = provision_kms(endpoint, ALIAS)
        assert provision_kms(endpoint, ALIAS) == first
        kms = boto3.client("kms", endpoint_url=endpoint)
        assert len(kms.list_keys()["Keys"]) == 1
    finally:
        processes.stop(server)


def test_master_key_survives_a_restart(tmp_path):
    state = str(tmp_path / "kms.json")
    server, endpoint = start(state)
    try:
        arn = provision_kms(endpoint, ALIAS)
        data_key = boto3.client("kms", endpoint_url=endpoint).generate_data_key(
            KeyId=ALIAS, KeySpec="AES_128", EncryptionContext=CONTEXT)
    finally:
        processes.stop(server)
    assert oct(os.stat(state).st_mode & 0o777) == "0o600"

    server, endpoint = start(state)  # a new `make run`: moto starts empty
    try:
        assert provision_kms(endpoint, ALIAS) == arn
        kms = boto3.client("kms", endpoint_url=endpoint)
        unwrapped = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=CONTEXT, KeyId=arn)
        assert unwrapped["Plaintext"] == data_key["Plaintext"]
    finally:
        processes.stop(server)


def test_other_keys_are_not_pinned(tmp_path):
    state = str(tmp_path / "kms.json")
    server, endpoint = start(state)
    try:
        provision_kms(endpoint, ALIAS)
        kms = boto3.client("kms", endpoint_url=endpoint)
        other = kms.create_key(Description="someone else's key")["KeyMetadata"]["KeyId"]
        assert other != kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"]
    finally:
        processes.stop(server)


def test_a_missing_key_id_that_is_not_an_alias_is_a_clear_error(tmp_path):
    server, endpoint = start(str(tmp_path / "kms.json"))
    try:
        with pytest.raises(RuntimeError, match="does not exist"):
            provision_kms(endpoint, "1234abcd-12ab-34cd-56ef-1234567890ab")
    finally:
        processes.stop(server)
