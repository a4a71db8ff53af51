"""The logs of a whole scenario on the local stack (REST, WebSocket, fan-out), as the Lambda
handlers write them: JSON lines, each with a request id, one access line per REST request,
and never a password, token, ticket or message text."""
import json
import time
import uuid

import pytest
import requests

from chalicelib.core.config import DEV_JWT_SECRET
from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack
ACCESS_FIELDS = {"time", "level", "logger", "message", "requestId", "method", "route", "status", "durationMs"}


def marker(kind):
    return f"{kind}-{uuid.uuid4().hex}"


def test_a_full_scenario_logs_request_ids_and_no_secrets(stack):
    with open(stack["log"], "rb") as log:
        start = log.seek(0, 2)
    secrets = {name: marker(name) for name in ("alice-password", "bob-password", "wrong-password", "bad-token",
                                               "group-text", "ws-text", "direct-text")}
    alice = Api(stack["http"], unique_email("alice"), "Alice", password=secrets["alice-password"])
    bob = Api(stack["http"], unique_email("bob"), "Bob", password=secrets["bob-password"])
    secrets.update({"alice-token": alice.token, "bob-token": bob.token, "jwt-secret": DEV_JWT_SECRET})
    answers = []

    def rest(user, method, path, body=None, token=None):
        headers = {"Authorization": f"Bearer {token or user.token}"}
        answer = requests.request(method, f"{stack['http']}{path}", json=body, headers=headers, timeout=30)
        answers.append((method, answer))
        return answer

    wrong = requests.post(f"{stack['http']}/login", json={"email": alice.email, "password": secrets["wrong-password"]})
    assert wrong.status_code == 401
    answers.append(("POST", wrong))
    assert rest(alice, "GET", "/me", token=secrets["bad-token"]).status_code == 401
    group = rest(alice, "POST", "/groups/create", {"name": "Logged", "type": "open"}).json()["group"]["id"]
    assert rest(bob, "POST", f"/groups/{group}/request/{bob.id}").status_code == 200
    ticket = rest(bob, "POST", "/realtime/ticket").json()["ticket"]
    secrets["ticket"] = ticket
    bob_live = Listener(f"{stack['ws']}/?ticket={ticket}")
    alice_live = Listener(f"{stack['ws']}/?token={alice.token}")  # the seed's way: a token in the URL
    try:
        assert rest(alice, "POST", "/messages/send", {"groupId": group, "text": secrets["group-text"]}).status_code == 201
        bob_live.wait_for(lambda frame: frame.get("message", {}).get("text") == secrets["group-text"])
        bob_live.send({"action": "sendMessage", "conversationId": group, "text": secrets["ws-text"]})
        alice_live.wait_for(lambda frame: frame.get("message", {}).get("text") == secrets["ws-text"])
        bob_live.send({"action": "typing", "conversationId": group, "isTyping": True})
        alice_live.wait_for(lambda frame: frame.get("type") == "typing")
        sent = rest(alice, "PUT", "/messages", {"participants": [alice.email, bob.email],
                                               "message": {"sender": alice.email, "text": secrets["direct-text"]}})
        assert sent.status_code == 201
        bob_live.wait_for(lambda frame: frame.get("message", {}).get("text") == secrets["direct-text"])
        assert rest(bob, "GET", f"/messages/{group}?limit=10").status_code == 200
        assert rest(bob, "POST", "/messages", {"participants": [alice.email, bob.email]}).status_code == 200
        assert rest(bob, "GET", f"/users/by-email?email={alice.email}").status_code == 200
    finally:
        bob_live.close()
        alice_live.close()
    # Sessions: a refresh, a reused refresh token (logged as such, never the token), a reset code.
    login = requests.post(f"{stack['http']}/login", json={"email": alice.email, "password": secrets["alice-password"]})
    answers.append(("POST", login))
    secrets["refresh-token"] = login.json()["refreshToken"]
    for expected in (200, 401):
        answer = requests.post(f"{stack['http']}/token/refresh", json={"refreshToken": secrets["refresh-token"]})
        assert answer.status_code == expected
        answers.append(("POST", answer))
        if expected == 200:
            secrets["rotated-refresh-token"] = answer.json()["refreshToken"]
    forgot = requests.post(f"{stack['http']}/password/forgot", json={"email": bob.email})
    answers.append(("POST", forgot))
    outbox = requests.get(f"{stack['ws'].replace('ws://', 'http://')}/__devstack/outbox").json()
    (mail,) = [mail for mail in outbox["emails"] if mail["to"] == bob.email]
    secrets["reset-code"] = mail["text"].split("code is ")[1][:8]
    secrets["new-password"] = marker("new-password")
    reset = requests.post(f"{stack['http']}/password/reset", json={
        "email": bob.email, "code": secrets["reset-code"], "newPassword": secrets["new-password"]})
    assert reset.status_code == 204
    answers.append(("POST", reset))

    request_ids = {answer.headers["x-amzn-RequestId"] for _, answer in answers}

    def complete(entries):  # every access line, and both connections' $disconnect
        logged_ids = {entry["requestId"] for entry in entries if entry["logger"] == "messaging.access"}
        disconnects = [entry for entry in entries if entry.get("route") == "$disconnect"]
        return request_ids <= logged_ids and len(disconnects) >= 2

    lines = _lines_after(stack["log"], start, complete)
    text = "\n".join(raw for raw, _ in lines)
    for name, secret in secrets.items():
        assert secret not in text, f"the logs hold the {name}"
    assert alice.email not in text  # a query string value (/users/by-email?email=...)

    logged = [entry for _, entry in lines if entry is not None]
    assert logged and all(entry.get("requestId") for entry in logged), [e for e in logged if not e.get("requestId")]
    access = {entry["requestId"]: entry for entry in logged if entry["logger"] == "messaging.access"}
    for method, answer in answers:
        entry = access[answer.headers["x-amzn-RequestId"]]
        assert set(entry) == ACCESS_FIELDS, entry
        assert (entry["method"], entry["status"]) == (method, answer.status_code)
        assert entry["route"].startswith("/") and "?" not in entry["route"]
    # The WebSocket and fan-out Lambdas log too, each line with its own invocation's id.
    websocket = [entry for entry in logged if entry["logger"] == "messaging.ws"]
    assert {(entry["route"], entry.get("status"), entry.get("outcome")) for entry in websocket} >= {
        ("$connect", 200, None), ("$default", None, "ack"), ("$default", None, None), ("$disconnect", None, None)}
    assert len({entry["requestId"] for entry in websocket}) == len(websocket)
    assert any(entry["logger"] == "messaging.fanout" and entry["records"] >= 1 for entry in logged)
    assert {entry["route"] for entry in access.values()} >= {
        "/login", "/me", "/groups/create", "/groups/{groupId}/request/{userId}", "/realtime/ticket",
        "/messages/send", "/messages", "/messages/{conversationId}", "/users/by-email", "/token/refresh",
        "/password/forgot", "/password/reset"}
    assert any(entry["message"] == "refresh token reused: session ended" for entry in logged)


def _lines_after(path, start, complete, timeout=10.0):
    """(raw line, parsed JSON or None) for every log line written after `start`, once
    `complete(parsed lines)` holds (the workers write as they go) or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path, "rb") as log:
            log.seek(start)
            raw_lines = log.read().decode("utf-8", "replace").splitlines()
        lines = [(raw, _json(raw)) for raw in raw_lines]
        if complete([entry for _, entry in lines if entry]) or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def _json(raw):
    try:
        entry = json.loads(raw)
    except ValueError:
        return None  # the local gateway's own output
    return entry if isinstance(entry, dict) and "logger" in entry else None
