"""Sessions end to end over real HTTP and WebSocket: a revoked session's live socket is closed
through the gateway's @connections DeleteConnection, refresh rotation and reuse detection, and
a password reset whose code arrives through moto's SES (read at the gateway's outbox)."""
import re
import time

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.live import Listener, unique_email

pytestmark = pytest.mark.stack
PASSWORD = "a long password"


def sign_up_and_log_in(stack, name="Live User"):
    email = unique_email(name.split()[0].lower())
    answer = requests.post(f"{stack['http']}/register", json={"email": email, "password": PASSWORD, "name": name})
    assert answer.status_code == 201, answer.text
    return email, log_in(stack, email)


def log_in(stack, email, password=PASSWORD):
    answer = requests.post(f"{stack['http']}/login", json={"email": email, "password": password},
                           headers={"User-Agent": "StackTests/1.0"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def me(stack, token):
    return requests.get(f"{stack['http']}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def refused_within(stack, token, seconds=5.0):
    """True once GET /me with `token` answers 401 (each Lambda may trust its cache SESSION_CACHE_SECONDS)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if me(stack, token).status_code == 401:
            return True
        time.sleep(0.2)
    return False


def live_socket(stack, token):
    listener = Listener(f"{stack['ws']}/?token={token}")
    listener.send({"action": "ping"})
    listener.wait_for(lambda frame: frame.get("type") == "pong")
    return listener


def test_logout_closes_the_sessions_live_socket_and_refuses_its_token(stack):
    email, phone = sign_up_and_log_in(stack)
    laptop = log_in(stack, email)
    phone_socket, laptop_socket = live_socket(stack, phone["token"]), live_socket(stack, laptop["token"])

    answer = requests.post(f"{stack['http']}/logout", headers={"Authorization": f"Bearer {phone['token']}"})
    assert answer.status_code == 204

    assert phone_socket.closed.wait(5), "the ended session's socket stayed open"
    assert refused_within(stack, phone["token"])
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{stack['ws']}/?token={phone['token']}", open_timeout=10)
    assert refused.value.response.status_code == 401
    # The other session is untouched: its socket still answers.
    laptop_socket.send({"action": "ping", "requestId": "still-here"})
    laptop_socket.wait_for(lambda frame: frame.get("requestId") == "still-here")
    assert me(stack, laptop["token"]).status_code == 200
    laptop_socket.close()


def test_signing_out_elsewhere_closes_the_other_devices_socket(stack):
    email, phone = sign_up_and_log_in(stack)
    laptop = log_in(stack, email)
    phone_socket = live_socket(stack, phone["token"])
    sessions = requests.get(f"{stack['http']}/sessions", headers={"Authorization": f"Bearer {laptop['token']}"})
    listed = {session["id"]: session for session in sessions.json()["sessions"]}
    assert listed[laptop["sessionId"]]["current"] and listed[phone["sessionId"]]["userAgent"] == "StackTests/1.0"
    answer = requests.delete(f"{stack['http']}/sessions/{phone['sessionId']}",
                             headers={"Authorization": f"Bearer {laptop['token']}"})
    assert answer.status_code == 204
    assert phone_socket.closed.wait(5)
    assert refused_within(stack, phone["token"])


def test_refresh_rotation_and_reuse_detection(stack):
    _, first = sign_up_and_log_in(stack)
    rotated = requests.post(f"{stack['http']}/token/refresh", json={"refreshToken": first["refreshToken"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["sessionId"] == first["sessionId"] and me(stack, second["token"]).status_code == 200
    socket = live_socket(stack, second["token"])

    reused = requests.post(f"{stack['http']}/token/refresh", json={"refreshToken": first["refreshToken"]})
    assert (reused.status_code, reused.json()["error"]["code"]) == (401, "refresh_token_reused")
    assert socket.closed.wait(5)
    assert refused_within(stack, second["token"])
    dead = requests.post(f"{stack['http']}/token/refresh", json={"refreshToken": second["refreshToken"]})
    assert (dead.status_code, dead.json()["error"]["code"]) == (401, "invalid_refresh_token")


def test_forgot_and_reset_through_the_outbox(stack):
    email, session = sign_up_and_log_in(stack, "Reset Me")
    socket = live_socket(stack, session["token"])
    for address in (email, unique_email("nobody")):
        answer = requests.post(f"{stack['http']}/password/forgot", json={"email": address})
        assert answer.status_code == 202
    outbox = requests.get(f"{stack['ws'].replace('ws://', 'http://')}/__devstack/outbox").json()
    # The stack is shared: other tests' pushes are there, but none for this account.
    assert set(outbox) == {"emails", "pushes"} and all(push["userId"] != session["user"]["id"] for push in outbox["pushes"])
    (mail,) = [mail for mail in outbox["emails"] if mail["to"] == email]
    assert mail["subject"] == "Your password reset code"
    code = re.search(r"code is (\d{8})", mail["text"]).group(1)

    wrong = requests.post(f"{stack['http']}/password/reset",
                          json={"email": email, "code": "00000000" if code != "00000000" else "1", "newPassword": "x" * 10})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_code")
    answer = requests.post(f"{stack['http']}/password/reset", json={"email": email, "code": code,
                                                                    "newPassword": "my new password"})
    assert answer.status_code == 204
    assert socket.closed.wait(5) and refused_within(stack, session["token"])
    assert log_in(stack, email, "my new password")["token"]
