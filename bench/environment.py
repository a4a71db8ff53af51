"""The services the benchmarks run against, started on free ports and stopped afterwards.

`Services` is MongoDB (embedded SecantusDB, or MONGO_URI) and moto (SQS, KMS), with the
process environment pointed at them so that handlers can be invoked in this process.
`Stack` is `python -m devstack` (the local API Gateway and its Lambda-like workers) on top
of the same MongoDB and moto, for the benchmarks that go through real HTTP and WebSocket.
"""
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench.invoke import ConnectionsEndpoint
from devstack import processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JWT_SECRET = "bench-secret-that-is-long-enough-for-hs256-000000"
REGION = "us-east-1"
# Cost 4: the benchmarks sign up hundreds of users; bcrypt's cost is not what they measure.
BCRYPT_ROUNDS = "4"

IN_PROCESS_ENV = {
    "STAGE": "bench",
    "JWT_SECRET": JWT_SECRET,
    "BCRYPT_ROUNDS": BCRYPT_ROUNDS,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "LOG_LEVEL": "ERROR",
    "KMS_KEY_ID": "alias/secure-messaging",
}


class Services:
    """MongoDB (MONGO_URI, else the embedded server) and moto on free ports, and a stand-in
    @connections endpoint; `env` is what a handler process needs to use them."""

    def __init__(self, database="bench_inproc", queue_name="bench-fanout-inproc"):
        self._database = database
        self._queue_name = queue_name
        self._stack = contextlib.ExitStack()
        self.env = {}

    def __enter__(self):
        from devstack.provision import provision_kms, provision_push, provision_queues

        try:
            self.mongo = "MONGO_URI" if os.environ.get("MONGO_URI") else "embedded SecantusDB"
            mongo_uri = os.environ.get("MONGO_URI") or self._stack.enter_context(_embedded_mongo())
            aws_endpoint = self._stack.enter_context(_moto())
            self.mongo_uri, self.aws_endpoint = mongo_uri, aws_endpoint
            self.env = {**IN_PROCESS_ENV, "MONGO_URI": mongo_uri, "MONGO_DB": self._database,
                        "AWS_ENDPOINT_URL_SQS": aws_endpoint, "AWS_ENDPOINT_URL_KMS": aws_endpoint,
                        "AWS_ENDPOINT_URL_SNS": aws_endpoint}
            os.environ.update(self.env)
            queue = provision_queues(aws_endpoint, REGION, self._queue_name)
            self.env["FANOUT_QUEUE_URL"] = os.environ["FANOUT_QUEUE_URL"] = queue["url"]
            provision_kms(aws_endpoint, IN_PROCESS_ENV["KMS_KEY_ID"])
            push = provision_push(aws_endpoint, REGION)
            self.env["PUSH_APNS_APPLICATION_ARN"], self.env["PUSH_FCM_APPLICATION_ARN"] = push["apns"], push["fcm"]
            os.environ.update(self.env)
            self.connections = ConnectionsEndpoint()
            self._stack.callback(self.connections.close)
            self.env["WS_CALLBACK_URL"] = os.environ["WS_CALLBACK_URL"] = self.connections.url
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        from chalicelib import services
        from chalicelib.storage.mongo import reset_for_tests

        services.forget_all()
        reset_for_tests()
        self._stack.close()


class Stack:
    """`python -m devstack` on free ports, sharing `services`' MongoDB and moto.

    Its REST base URL is `http`, its WebSocket URL `ws`; `workers` Lambda-like processes.
    """

    def __init__(self, services, workers=4, database="bench_stack"):
        self._services = services
        self._workers = workers
        self._database = database
        self._process = None
        self._log = None

    def __enter__(self):
        ports = {name: processes.free_port() for name in ("HTTP_PORT", "WS_PORT")}
        env = {**os.environ, **{name: str(port) for name, port in ports.items()},
               "MONGO_URI": self._services.mongo_uri, "MONGO_DB": self._database,
               "AWS_ENDPOINT_URL": self._services.aws_endpoint, "STAGE": "dev",
               "JWT_SECRET": JWT_SECRET, "BCRYPT_ROUNDS": BCRYPT_ROUNDS, "LOG_LEVEL": "WARNING",
               "LAMBDA_WORKERS": str(self._workers), "FANOUT_QUEUE_NAME": "bench-fanout-stack"}
        for name in ("FANOUT_QUEUE_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SNS",
                     "PUSH_APNS_APPLICATION_ARN", "PUSH_FCM_APPLICATION_ARN", "WS_CALLBACK_URL"):
            env.pop(name, None)
        self._log = tempfile.NamedTemporaryFile(prefix="bench-devstack-", suffix=".log", delete=False)
        self._process = subprocess.Popen([sys.executable, "-m", "devstack"], env=env, cwd=ROOT,
                                         stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.http = f"http://127.0.0.1:{ports['HTTP_PORT']}"
        self.ws = f"ws://127.0.0.1:{ports['WS_PORT']}"
        self.database = self._database
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_healthy(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the local stack exited:\n{self.log_text()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.http}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.25)
        raise RuntimeError(f"the local stack did not become healthy:\n{self.log_text()}")

    def log_text(self):
        with open(self._log.name, encoding="utf-8", errors="replace") as log:
            return log.read()

    def __exit__(self, *exc):
        processes.stop(self._process)
        if self._log is not None:
            os.unlink(self._log.name)


def machine():
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadAverageAtStart": [round(load, 2) for load in os.getloadavg()],
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


@contextlib.contextmanager
def _embedded_mongo():
    storage = tempfile.mkdtemp(prefix="bench-mongo-")
    port = processes.free_port()
    server = processes.start_mongo(port, storage)
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        processes.stop(server)
        shutil.rmtree(storage, ignore_errors=True)


@contextlib.contextmanager
def _moto():
    port = processes.free_port()
    server = processes.start_moto(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)
