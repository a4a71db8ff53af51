"""Shared fixtures: a real MongoDB wire-protocol server (embedded, or MONGO_URI), moto,
settings for tests, a clean database per test, the Chalice test client, and the whole local
stack. The servers come from devstack/harness.py, which the benchmarks use too."""
import os

import pytest

from devstack import harness
from tests.helpers import make_group, new_user

TEST_ENV = {
    "STAGE": "test",
    "JWT_SECRET": "test-secret-that-is-long-enough-for-hs256-0123",
    "BCRYPT_ROUNDS": "4",  # cost 12 in deployed stages; tests only need the real algorithm
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "LOG_LEVEL": "WARNING",
    # Deployed 4 s (docs/benchmarks.md); the embedded server on this shared machine can be slower.
    "MONGO_SOCKET_TIMEOUT_MS": "10000",
    "PASSWORD_FORGOT_FLOOR_SECONDS": "0.3",  # the floor is what is tested, not its size
}


@pytest.fixture(scope="session")
def mongo_uri():
    """A MongoDB for the whole run: MONGO_URI if set, else an embedded server on a free port."""
    with harness.mongo(prefix="messaging-test-mongo-") as uri:
        yield uri


@pytest.fixture(scope="session")
def aws_endpoint():
    """moto's server (SQS, KMS, S3, SES) on a free port, for the whole run."""
    with harness.moto() as endpoint:
        yield endpoint


@pytest.fixture(scope="session", autouse=True)
def test_settings(mongo_uri, aws_endpoint):
    """Point the app's settings at the test database (a fresh name per run) and moto."""
    with harness.app_in_this_process(TEST_ENV, mongo_uri, aws_endpoint, database=f"messaging_test_{os.getpid()}",
                                     queue_name="secure-messaging-fanout-test",
                                     bucket="secure-messaging-attachments-test"):
        yield


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

    # A stage that config.json does not define: the client adds no environment of its own,
    # so the app sees exactly the test settings above.
    with Client(app, stage_name="unit-tests") as test_client:
        yield test_client


# Three people and a group of two, for message tests (tests/groups has its own cast).
@pytest.fixture
def alice(client):
    return new_user(client, "alice@example.com", name="Alice")


@pytest.fixture
def bob(client):
    return new_user(client, "bob@example.com", name="Bob")


@pytest.fixture
def carol(client):
    return new_user(client, "carol@example.com", name="Carol")


@pytest.fixture
def group(db, alice, bob):
    return make_group(db, alice[0]["id"], members=[bob[0]["id"]])


@pytest.fixture(scope="session")
def stack(mongo_uri):
    """The whole local stack (`python -m devstack`, as `make run` starts it) on free ports.

    Yields {"http": base URL, "ws": base URL, "mongo_uri", "db", "aws", "log", "web_origin"}.
    It shares the test MongoDB server but uses its own database and its own moto. `web_origin`
    is the one other origin allowed to call the REST API from a browser (CORS_ALLOW_ORIGIN).
    """
    database_name = f"messaging_stack_{os.getpid()}"
    env = {"MONGO_URI": mongo_uri, "MONGO_DB": database_name, "BCRYPT_ROUNDS": "4", "STAGE": "dev",
           "LAMBDA_WORKERS": "2", "SQS_VISIBILITY_TIMEOUT": "2",
           "LOG_LEVEL": "INFO"}  # as deployed: tests/stack/test_logs.py scans what production writes
    # JWT_SECRET unset: the dev stage's own secret, as `make run` has it.
    with harness.LocalStack(env, unset=("JWT_SECRET",), own_aws=True, web_origin=True) as local:
        yield {"http": local.http, "ws": local.ws, "mongo_uri": mongo_uri, "db": database_name, "aws": local.aws,
               "log": local.log, "web_origin": local.web_origin}


@pytest.fixture
def aws(monkeypatch):
    """An in-process moto account: every boto3 client made inside talks to it (not to the
    moto server the other tests use, whose endpoint variables are removed here)."""
    import warnings

    import boto3
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_KMS",
                 "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_SES"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tried to parse AWS::")  # resources moto does not model
        yield boto3.session.Session(region_name="us-east-1")


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
    from chalicelib.core.config import settings
    from chalicelib.crypto.kms import KeyService

    return KeyService(kms_client, settings().kms_key_id)
