"""Shared fixtures: a real MongoDB wire-protocol server (embedded, or MONGO_URI), settings
for tests, a clean database per test, and the Chalice test client."""
import os
import shutil
import tempfile

import pytest

from devstack import processes
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


@pytest.fixture(scope="session")
def aws_endpoint():
    """moto's server (SQS, KMS, S3) on a free port, for the whole run."""
    port = processes.free_port()
    server = processes.start_moto(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


@pytest.fixture(scope="session", autouse=True)
def test_settings(mongo_uri, aws_endpoint):
    """Point the app's settings at the test database (a fresh name per run) and moto."""
    from chalicelib import services
    from chalicelib.storage.mongo import reset_for_tests
    from devstack.provision import provision_bucket, provision_kms, provision_queues

    os.environ.update(TEST_ENV)
    os.environ["MONGO_URI"] = mongo_uri
    os.environ["MONGO_DB"] = f"messaging_test_{os.getpid()}"
    os.environ["AWS_ENDPOINT_URL_SQS"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_KMS"] = aws_endpoint
    os.environ["AWS_ENDPOINT_URL_S3"] = aws_endpoint
    os.environ["ATTACHMENTS_BUCKET"] = "secure-messaging-attachments-test"
    provision_bucket(aws_endpoint, os.environ["ATTACHMENTS_BUCKET"], ["http://localhost"])
    queue = provision_queues(aws_endpoint, TEST_ENV["AWS_DEFAULT_REGION"], "secure-messaging-fanout-test")
    os.environ["FANOUT_QUEUE_URL"] = queue["url"]
    os.environ.setdefault("KMS_KEY_ID", "alias/secure-messaging")
    provision_kms(aws_endpoint, os.environ["KMS_KEY_ID"])
    services.forget_all()
    yield
    services.forget_all()
    reset_for_tests()


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

    Yields {"http": base URL, "ws": base URL, "mongo_uri", "db", "web_origin"}. It shares the
    test MongoDB server but uses its own database. `web_origin` is the one other origin
    allowed to call the REST API from a browser (CORS_ALLOW_ORIGIN).
    """
    import subprocess
    import sys
    import time
    import urllib.request

    ports = {name: processes.free_port() for name in ("HTTP_PORT", "WS_PORT", "AWS_PORT")}
    database_name = f"messaging_stack_{os.getpid()}"
    env = {**os.environ, **{name: str(port) for name, port in ports.items()},
           "MONGO_URI": mongo_uri, "MONGO_DB": database_name, "BCRYPT_ROUNDS": "4",
           "STAGE": "dev", "JWT_SECRET": "", "LAMBDA_WORKERS": "2", "SQS_VISIBILITY_TIMEOUT": "2",
           "LOG_LEVEL": "INFO",  # as deployed: tests/test_stack_logs.py scans what production writes
           # The web client's browser tests load it from this second origin too (CORS).
           "CORS_ALLOW_ORIGIN": f"http://localhost:{ports['HTTP_PORT']}"}
    env.pop("JWT_SECRET")
    log = tempfile.NamedTemporaryFile(prefix="devstack-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "devstack"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{ports['HTTP_PORT']}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited: {open(log.name).read()}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not become healthy: {open(log.name).read()}")
            time.sleep(0.25)
        yield {"http": base, "ws": f"ws://127.0.0.1:{ports['WS_PORT']}", "mongo_uri": mongo_uri,
               "db": database_name, "aws": f"http://127.0.0.1:{ports['AWS_PORT']}", "log": log.name,
               "web_origin": env["CORS_ALLOW_ORIGIN"]}
    finally:
        processes.stop(process)
        os.unlink(log.name)


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
                 "AWS_ENDPOINT_URL_S3"):
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
