"""The Chalice app: wiring only. REST handlers live in chalicelib/routes (one blueprint per
area); the WebSocket and SQS handlers are registered here because Chalice deploys each as
its own Lambda function."""
import json

from chalice import Chalice, Response

from chalicelib.logs import configure_logging
from chalicelib.routes import accounts, messages

configure_logging()
app = Chalice(app_name="secure-messaging")
app.register_blueprint(accounts.routes)
app.register_blueprint(messages.routes)


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
