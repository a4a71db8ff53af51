"""The Chalice app: wiring only. REST handlers live in chalicelib/routes (one blueprint per
area); the WebSocket and SQS handlers are registered here because Chalice deploys each as
its own Lambda function, and their logic lives in chalicelib/edge/ws.py and chalicelib/realtime/fanout.py."""
import gc
import json
import os

# A cold start on Lambda runs with the garbage collector off until its first invocation ends:
# init and the first request's imports (pymongo, boto3, bcrypt, cryptography) make long-lived
# objects only, and each collection would re-walk all of them. Elsewhere (tests, tools,
# the local stack) nothing changes. See the end of this module and docs/benchmarks.md.
_COLD_START_WITHOUT_GC = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
if _COLD_START_WITHOUT_GC:
    gc.disable()

from chalice import Chalice, Response

from chalicelib import services
from chalicelib.core.logs import bind_request_id, configure_logging, log_access
from chalicelib.core.metrics import flush_metrics
from chalicelib.edge import web, ws
from chalicelib.edge.routes import (
    accounts,
    attachments,
    docs,
    groups,
    lifecycle,
    messages,
    push,
    realtime,
    safety,
    sessions,
)

# Read at import because Chalice needs the queue's name when it packages the app.
FANOUT_QUEUE_NAME = os.environ.get("FANOUT_QUEUE_NAME", f"secure-messaging-fanout-{os.environ.get('STAGE', 'dev')}")
FANOUT_BATCH_SIZE = 10

configure_logging()
app = Chalice(app_name="secure-messaging")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.api.cors = web.cors_config()  # before the blueprints: each route takes it as it is registered
app.register_middleware(bind_request_id, "all")  # first, so outermost: every log line has a request id
app.register_middleware(log_access, "http")  # one access line per REST request
app.register_middleware(flush_metrics, "all")  # the invocation's metrics as EMF lines when it ends
app.register_blueprint(accounts.routes)
app.register_blueprint(sessions.routes)
app.register_blueprint(groups.routes)
app.register_blueprint(messages.routes)
app.register_blueprint(lifecycle.routes)
app.register_blueprint(realtime.routes)
app.register_blueprint(safety.routes)
app.register_blueprint(attachments.routes)
app.register_blueprint(push.routes)
app.register_blueprint(docs.routes)


@app.on_ws_connect()
def ws_connect(event):
    return ws.on_connect(event)


@app.on_ws_message()
def ws_message(event):
    ws.on_message(event)


@app.on_ws_disconnect()
def ws_disconnect(event):
    ws.on_disconnect(event)


@app.on_sqs_message(queue=FANOUT_QUEUE_NAME, batch_size=FANOUT_BATCH_SIZE)
def fanout(event):
    """Deliver queued events; the failed records' ids go back so only they are retried."""
    remaining = getattr(event.context, "get_remaining_time_in_millis", None)
    return services.fanout().handle_batch((record.to_dict() for record in event),
                                          remaining_ms=remaining() if remaining else None)


@app.middleware("all")
def collect_garbage_after_the_first_invocation(event, get_response):
    """The first invocation of a cold start turns the garbage collector back on, after freezing
    what init and that invocation imported (it lives as long as the process)."""
    global _COLD_START_WITHOUT_GC
    try:
        return get_response(event)
    finally:
        if _COLD_START_WITHOUT_GC:
            _COLD_START_WITHOUT_GC = False
            gc.freeze()
            gc.enable()


@app.middleware("http")
def contract_errors(event, get_response):
    """Give Chalice's own errors (405, 415, ...) the contract's error body."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        code = _snake(response.body["Code"])
        body = {"error": {"code": code, "message": response.body.get("Message", "Request refused.")}}
        headers = {**response.headers, "Content-Type": "application/json"}
        return Response(body=json.dumps(body), status_code=response.status_code, headers=headers)
    return response


def _snake(name):
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_").replace("_error", "")


# Everything imported so far lives as long as the process. Frozen, the garbage collector
# stops re-walking it in each full collection: the first request's imports (pymongo, boto3,
# bcrypt, cryptography) then cost what they cost alone (docs/benchmarks.md, Cold start).
gc.freeze()
