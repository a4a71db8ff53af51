"""Shared fixtures: a real MongoDB wire-protocol server (embedded, or MONGO_URI), settings
for tests, a clean database per test, and the Chalice test client."""
import os
import shutil
import tempfile

import pytest

from devstack import processes

TEST_ENV = {
    "STAGE": "test",
    "JWT_SECRET": "test-secret-that-is-long-enough-for-hs256-0123",
    "BCRYPT_ROUNDS": "4",  # cost 12 in deployed stages; tests only need the real algorithm
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="session")
def mongo_uri():
    """A MongoDB for the whole run: MONGO_URI if set, else an embedded server on a free port."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    storage = tempfile.mkdtemp(prefix="messaging-test-mongo-")
    port = processes.free_port()
    server = processes.start_mongo(port, storage)
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        processes.stop(server)
        shutil.rmtree(storage, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def test_settings(mongo_uri):
    """Point the app's settings at the test database (a fresh name per run)."""
    from chalicelib import services

    os.environ.update(TEST_ENV)
    os.environ["MONGO_URI"] = mongo_uri
    os.environ["MONGO_DB"] = f"messaging_test_{os.getpid()}"
    services.forget_all()
    yield
    services.forget_all()


@pytest.fixture
def db(test_settings):
    """The app's database; emptied after each test (indexes are kept)."""
    from chalicelib.storage.mongo import database

    database_ = database()
    yield database_
    for name in database_.list_collection_names():
        database_[name].delete_many({})


@pytest.fixture
def client(db):
    """chalice.test.Client over the real app and the real database."""
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture(scope="session", autouse=True)
def aws_endpoint(test_settings):
    """moto's server (KMS, as in `make run`) with the stage's master key, for the whole run.

    The app finds it through botocore's own AWS_ENDPOINT_URL_KMS, exactly as it does locally.
    """
    from chalicelib import services
    from devstack.provision import provision_kms

    port = processes.free_port()
    server = processes.start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL_KMS"] = endpoint
    os.environ.setdefault("KMS_KEY_ID", "alias/secure-messaging")
    provision_kms(endpoint, os.environ["KMS_KEY_ID"])
    services.forget_all()
    try:
        yield endpoint
    finally:
        processes.stop(server)


@pytest.fixture
def kms_client(aws_endpoint):
    """A KMS client of its own (so a test can count its calls) at the moto server."""
    import boto3

    return boto3.client("kms", endpoint_url=aws_endpoint)


@pytest.fixture
def kms_calls(kms_client):
    """Counts KMS API operations made through `kms_client`, by operation name."""
    import collections

    counted = collections.Counter()

    def count(event_name, **_):
        counted[event_name.rsplit(".", 1)[-1]] += 1

    kms_client.meta.events.register("before-call.kms", count)
    return counted


@pytest.fixture
def key_service(kms_client):
    from chalicelib.config import settings
    from chalicelib.kms import KeyService

    return KeyService(kms_client, settings().kms_key_id)
