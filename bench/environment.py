"""The services the benchmarks run against, started on free ports and stopped afterwards.

`Services` is MongoDB (embedded SecantusDB, or MONGO_URI) and moto (SQS, KMS), with the
process environment pointed at them so that handlers can be invoked in this process.
`Stack` is `python -m devstack` (the local API Gateway and its Lambda-like workers) on top
of the same MongoDB and moto, for the benchmarks that go through real HTTP and WebSocket.
"""
import contextlib
import os
import platform
import time

from bench.invoke import ConnectionsEndpoint
from devstack import harness

JWT_SECRET = "bench-secret-that-is-long-enough-for-hs256-000000"
REGION = harness.REGION
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
        try:
            self.mongo = "MONGO_URI" if os.environ.get("MONGO_URI") else "embedded SecantusDB"
            self.mongo_uri = self._stack.enter_context(harness.mongo(prefix="bench-mongo-"))
            self.aws_endpoint = self._stack.enter_context(harness.moto())
            self.env = self._stack.enter_context(harness.app_in_this_process(
                IN_PROCESS_ENV, self.mongo_uri, self.aws_endpoint, self._database, self._queue_name))
            self.connections = ConnectionsEndpoint()
            self._stack.callback(self.connections.close)
            self.env["WS_CALLBACK_URL"] = os.environ["WS_CALLBACK_URL"] = self.connections.url
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self._stack.close()


class Stack(harness.LocalStack):
    """`python -m devstack` on free ports, sharing `services`' MongoDB and moto.

    Its REST base URL is `http`, its WebSocket URL `ws`; `workers` Lambda-like processes.
    """

    def __init__(self, services, workers=4, database="bench_stack"):
        super().__init__(
            env={"MONGO_URI": services.mongo_uri, "MONGO_DB": database, "AWS_ENDPOINT_URL": services.aws_endpoint,
                 "STAGE": "dev", "JWT_SECRET": JWT_SECRET, "BCRYPT_ROUNDS": BCRYPT_ROUNDS, "LOG_LEVEL": "WARNING",
                 "LAMBDA_WORKERS": str(workers), "FANOUT_QUEUE_NAME": "bench-fanout-stack"},
            unset=("FANOUT_QUEUE_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SNS",
                   "PUSH_APNS_APPLICATION_ARN", "PUSH_FCM_APPLICATION_ARN", "WS_CALLBACK_URL"),
            log_prefix="bench-devstack-")
        self.database = database


def machine():
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadAverageAtStart": [round(load, 2) for load in os.getloadavg()],
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
