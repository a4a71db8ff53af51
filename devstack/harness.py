"""The local services on free ports, for the tests (tests/conftest.py) and the benchmarks
(bench/environment.py) alike: embedded MongoDB, moto (SQS, KMS, S3, SNS), this process's app pointed
at them, the whole stack (`python -m devstack`) as a child process, and draining the
fan-out queue.

Every piece is a context manager that stops what it started.
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from devstack import processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
KMS_KEY_ALIAS = "alias/secure-messaging"


@contextlib.contextmanager
def mongo(prefix="messaging-mongo-"):
    """A MongoDB URI: MONGO_URI if set, else an embedded server (SecantusDB) on a free port,
    its data in a temporary folder removed afterwards."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    storage = tempfile.mkdtemp(prefix=prefix)
    port = processes.free_port()
    server = processes.start_mongo(port, storage)
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        processes.stop(server)
        shutil.rmtree(storage, ignore_errors=True)


@contextlib.contextmanager
def moto():
    """The endpoint URL of moto's server (SQS, KMS, S3, SNS) on a free port."""
    port = processes.free_port()
    server = processes.start_moto(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


@contextlib.contextmanager
def app_in_this_process(base_env, mongo_uri, aws_endpoint, database, queue_name, bucket=None,
                        bucket_origins=("http://localhost",)):
    """Point this process's app at `mongo_uri`/`database` and moto: `base_env` and the
    endpoints go into os.environ, the fan-out queue, the KMS key and the SNS platform
    applications for push (and, given `bucket`, the attachments bucket, usable from
    `bucket_origins`) are created in moto, and SES verifies the password-reset sender.
    Yields the variables set; forgets the app's clients and settings before and after."""
    from chalicelib import services
    from chalicelib.storage.mongo import reset_for_tests
    from devstack.provision import provision_bucket, provision_kms, provision_push, provision_queues, provision_ses

    env = {**base_env, "MONGO_URI": mongo_uri, "MONGO_DB": database, "AWS_ENDPOINT_URL_SQS": aws_endpoint,
           "AWS_ENDPOINT_URL_KMS": aws_endpoint, "AWS_ENDPOINT_URL_S3": aws_endpoint,
           "AWS_ENDPOINT_URL_SNS": aws_endpoint, "AWS_ENDPOINT_URL_SES": aws_endpoint}
    if bucket:
        env["ATTACHMENTS_BUCKET"] = bucket
    os.environ.update(env)
    if bucket:
        provision_bucket(aws_endpoint, bucket, list(bucket_origins))
    queue = provision_queues(aws_endpoint, os.environ.get("AWS_DEFAULT_REGION", REGION), queue_name)
    env["FANOUT_QUEUE_URL"] = os.environ["FANOUT_QUEUE_URL"] = queue["url"]
    env["KMS_KEY_ID"] = os.environ.setdefault("KMS_KEY_ID", KMS_KEY_ALIAS)
    provision_kms(aws_endpoint, env["KMS_KEY_ID"])
    push = provision_push(aws_endpoint, os.environ.get("AWS_DEFAULT_REGION", REGION))
    env["PUSH_APNS_APPLICATION_ARN"], env["PUSH_FCM_APPLICATION_ARN"] = push["apns"], push["fcm"]
    os.environ.update({name: env[name] for name in ("PUSH_APNS_APPLICATION_ARN", "PUSH_FCM_APPLICATION_ARN")})
    services.forget_all()
    provision_ses(aws_endpoint, services.current().settings.ses_sender)  # the password-reset sender
    services.forget_all()
    try:
        yield env
    finally:
        services.forget_all()
        reset_for_tests()


class LocalStack:
    """`python -m devstack` (what `make run` starts) on free ports, until the block ends.

    `env` is added to this process's environment for the child, `unset` removed from it.
    With `own_aws` the stack starts its own moto (on `aws`); otherwise give it one through
    AWS_ENDPOINT_URL in `env`. With `web_origin` the REST API also allows the browser origin
    http://localhost:<HTTP_PORT> (CORS_ALLOW_ORIGIN), which tests load the web client from.
    Its REST base URL is `http`, its WebSocket URL `ws`, its output is in the file `log`.
    """

    def __init__(self, env=None, unset=(), own_aws=False, web_origin=False, timeout=90, log_prefix="devstack-"):
        names = ("HTTP_PORT", "WS_PORT") + (("AWS_PORT",) if own_aws else ())
        self.ports = {name: processes.free_port() for name in names}
        self.http = f"http://127.0.0.1:{self.ports['HTTP_PORT']}"
        self.ws = f"ws://127.0.0.1:{self.ports['WS_PORT']}"
        self.aws = f"http://127.0.0.1:{self.ports['AWS_PORT']}" if own_aws else None
        self.web_origin = f"http://localhost:{self.ports['HTTP_PORT']}" if web_origin else None
        self.env = {**os.environ, **{name: str(port) for name, port in self.ports.items()}, **(env or {})}
        if web_origin:
            self.env["CORS_ALLOW_ORIGIN"] = self.web_origin
        for name in unset:
            self.env.pop(name, None)
        self._timeout = timeout
        self._log_prefix = log_prefix
        self._process = None
        self.log = None

    def __enter__(self):
        with tempfile.NamedTemporaryFile(prefix=self._log_prefix, suffix=".log", delete=False) as log:
            self.log = log.name
        with open(self.log, "wb") as output:
            self._process = subprocess.Popen([sys.executable, "-m", "devstack"], env=self.env, cwd=ROOT,
                                             stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        processes.stop(self._process)
        if self.log is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.log)

    def log_text(self):
        with open(self.log, encoding="utf-8", errors="replace") as log:
            return log.read()

    def _wait_healthy(self):
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the local stack exited:\n{self.log_text()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.http}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.25)
        raise RuntimeError(f"the local stack did not become healthy:\n{self.log_text()}")


def drain_queue(endpoint_url=None, queue_url=None):
    """The bodies (parsed JSON) of the jobs waiting on a queue, removed from it: by default
    this process's fan-out queue (FANOUT_QUEUE_URL at AWS_ENDPOINT_URL_SQS)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint_url or os.environ["AWS_ENDPOINT_URL_SQS"],
                       region_name=os.environ.get("AWS_DEFAULT_REGION", REGION))
    queue_url = queue_url or os.environ["FANOUT_QUEUE_URL"]
    bodies = []
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not received:
            return bodies
        bodies.extend(json.loads(message["Body"]) for message in received)
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(received)])
