"""The local stack: embedded MongoDB, moto (SQS, KMS, S3, SES), and the local API Gateway in front
of the very same Chalice handlers that Lambda runs. Ctrl-C stops everything it started."""
import asyncio
import os
import signal
import sys
from dataclasses import dataclass

from aiohttp import web

from chalicelib.core.config import DEV_JWT_SECRET, settings
from devstack import processes
from devstack.lambdas import LambdaPool
from devstack.outbox import outbox_route
from devstack.provision import provision_bucket, provision_kms, provision_push, provision_queues, provision_ses
from devstack.rest import answer_parse_errors_in_the_contract, preflight_headers, rest_app
from devstack.sqs_source import SqsEventSource
from devstack.websocket import WebSocketGateway

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Ports:
    http: int
    ws: int
    mongo: int
    aws: int

    @classmethod
    def from_env(cls):
        env = os.environ
        return cls(
            http=int(env.get("HTTP_PORT", "8000")),
            ws=int(env.get("WS_PORT", "8001")),
            mongo=int(env.get("MONGO_PORT", "27017")),
            aws=int(env.get("AWS_PORT", "4566")),
        )


def app_environment(ports, mongo_uri, aws_endpoint):
    """The environment the handlers see locally: the dev stage, pointed at local services."""
    return {
        "STAGE": os.environ.get("STAGE", "dev"),
        "JWT_SECRET": os.environ.get("JWT_SECRET", DEV_JWT_SECRET),
        "BCRYPT_ROUNDS": os.environ.get("BCRYPT_ROUNDS", "10"),
        "MONGO_URI": mongo_uri,
        "MONGO_DB": os.environ.get("MONGO_DB", "messaging"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_REGION": os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        # Only endpoint URLs differ from a deployed stage.
        "AWS_ENDPOINT_URL_SQS": aws_endpoint,
        "AWS_ENDPOINT_URL_KMS": aws_endpoint,
        "AWS_ENDPOINT_URL_SES": aws_endpoint,
        "SES_SENDER": os.environ.get("SES_SENDER", "no-reply@secure-messaging.local"),
        "AWS_ENDPOINT_URL_S3": aws_endpoint,
        "ATTACHMENTS_BUCKET": os.environ.get("ATTACHMENTS_BUCKET", "secure-messaging-attachments-dev"),
        "AWS_ENDPOINT_URL_SNS": aws_endpoint,
        # No WS_CALLBACK_URL: the handlers derive the @connections endpoint from the event
        # ({domainName}/{stage}), so that path runs locally; a deployed stage must set it.
        "FANOUT_QUEUE_NAME": os.environ.get("FANOUT_QUEUE_NAME", "secure-messaging-fanout-dev"),
    }


def web_origins(ports):
    """The origins the web client is served from locally: the REST port (by name and by
    address) and CORS_ALLOW_ORIGIN, so the browser may use the bucket's presigned URLs."""
    origins = [f"http://127.0.0.1:{ports.http}", f"http://localhost:{ports.http}"]
    configured = os.environ.get("CORS_ALLOW_ORIGIN", "").strip()
    return origins + ([configured] if configured and configured not in origins else [])


def sqs_handler():
    """The app's SQS handler: (function name, batch size), as `chalice package` sees them."""
    from app import app

    (source,) = [source for source in app.event_sources if type(source).__name__ == "SQSEventConfig"]
    return source.name, source.batch_size


async def serve(ports, pool, queue, aws_endpoint):
    from app import app

    static = {}
    webclient = os.path.join(ROOT, "webclient")
    if os.path.isdir(webclient):
        static["/app"] = webclient
    handler_name, batch_size = sqs_handler()
    source = SqsEventSource(pool, handler_name, queue["url"], queue["arn"], batch_size, aws_endpoint,
                            os.environ["AWS_DEFAULT_REGION"])
    answer_parse_errors_in_the_contract()
    websocket = WebSocketGateway(pool).application()
    websocket.router.add_route("POST", "/__devstack/sqs/crash-next", _crash_next(source))
    websocket.router.add_route("GET", "/__devstack/outbox", outbox_route(aws_endpoint))
    runners = []
    for application, port, label, scheme in (
        (rest_app(pool, list(app.routes), static_dirs=static,
                  preflight=lambda resource: preflight_headers(app.routes[resource])), ports.http, "REST API ", "http"),
        (websocket, ports.ws, "WebSocket", "ws"),
    ):
        runner = web.AppRunner(application, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        print(f"{label}  {scheme}://127.0.0.1:{port}", flush=True)
    if static:
        print(f"Web client http://127.0.0.1:{ports.http}/app/", flush=True)
    polling = asyncio.create_task(source.run())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print("Ready. Ctrl-C stops everything.", flush=True)
    await stop.wait()
    source.stop()
    await polling
    for runner in reversed(runners):
        await runner.cleanup()


def _crash_next(source):
    """Local-only fault injection for tests: the next fan-out invocation dies before answering."""

    async def crash_next(_request):
        source.crashes_to_simulate += 1
        return web.Response(status=204)

    return crash_next


def main():
    ports = Ports.from_env()
    processes.ensure_port_free(ports.http, "REST API")
    processes.ensure_port_free(ports.ws, "WebSocket API")
    data_dir = os.path.join(ROOT, ".local")
    os.makedirs(data_dir, exist_ok=True)
    children = []
    pool = None
    try:
        mongo_uri = os.environ.get("MONGO_URI")
        if not mongo_uri:
            children.append(processes.start_mongo(
                ports.mongo, os.path.join(data_dir, "mongo"), os.path.join(data_dir, "mongo.log")))
            mongo_uri = f"mongodb://127.0.0.1:{ports.mongo}"
        print(f"MongoDB    {mongo_uri}", flush=True)
        aws_endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not aws_endpoint:
            children.append(processes.start_moto(ports.aws, os.path.join(data_dir, "moto.log"),
                                                 kms_state=os.path.join(data_dir, "kms-master-key.json")))
            aws_endpoint = f"http://127.0.0.1:{ports.aws}"
        print(f"SQS, KMS, S3, SES {aws_endpoint} (moto)", flush=True)
        os.environ.update(app_environment(ports, mongo_uri, aws_endpoint))
        queue = provision_queues(aws_endpoint, os.environ["AWS_DEFAULT_REGION"], os.environ["FANOUT_QUEUE_NAME"])
        os.environ["FANOUT_QUEUE_URL"] = queue["url"]
        print(f"KMS key    {provision_kms(aws_endpoint, settings().kms_key_id)}", flush=True)
        print(f"SES sender {provision_ses(aws_endpoint, settings().ses_sender)}", flush=True)
        print(f"S3 bucket  {provision_bucket(aws_endpoint, settings().attachments_bucket, web_origins(ports))}",
              flush=True)
        push = provision_push(aws_endpoint, os.environ["AWS_DEFAULT_REGION"])
        os.environ["PUSH_APNS_APPLICATION_ARN"], os.environ["PUSH_FCM_APPLICATION_ARN"] = push["apns"], push["fcm"]
        print(f"Push apps  {push['apns']}, {push['fcm']} (SNS, moto)", flush=True)
        pool = LambdaPool(int(os.environ.get("LAMBDA_WORKERS", "4")))
        pool.warm_up()
        asyncio.run(serve(ports, pool, queue, aws_endpoint))
    finally:
        if pool is not None:
            pool.close()
        for child in reversed(children):
            processes.stop(child)
        sys.stdout.flush()
