"""The local stack end to end: real HTTP through the local API Gateway to the Chalice
handlers running in Lambda-like worker processes, against the real MongoDB wire protocol."""
import concurrent.futures

import pytest
import requests

pytestmark = pytest.mark.stack


def test_register_login_me_over_http(stack):
    base = stack["http"]
    registered = requests.post(f"{base}/register", json={"email": "Http@Example.com", "password": "a long password", "name": "H"})
    assert registered.status_code == 201
    user = registered.json()["user"]
    login = requests.post(f"{base}/login", json={"email": "http@example.com", "password": "a long password"})
    assert login.status_code == 200
    me = requests.get(f"{base}/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.status_code == 200 and me.json()["user"] == user


def test_concurrent_registrations_of_one_email_make_one_account(stack):
    base = stack["http"]
    body = {"email": "race@example.com", "password": "a long password", "name": "Racer"}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: requests.post(f"{base}/register", json=body).status_code, range(8)))
    assert statuses == [201] + [409] * 7


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("GET", "/no/such/route", 404, "not_found"),
        ("GET", "/me", 401, "missing_token"),
        ("DELETE", "/login", 405, "method_not_allowed"),
    ],
)
def test_errors_follow_the_contract_over_http(stack, method, path, status, code):
    answer = requests.request(method, f"{stack['http']}{path}")
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["code"] == code


def test_health_over_http(stack):
    answer = requests.get(f"{stack['http']}/health")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_a_taken_port_is_reported_clearly(stack):
    import os
    import subprocess
    import sys

    http_port = stack["http"].rsplit(":", 1)[1]
    env = {**os.environ, "HTTP_PORT": http_port, "MONGO_URI": stack["mongo_uri"]}
    result = subprocess.run([sys.executable, "-m", "devstack"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"Port {http_port} (REST API) is already in use" in result.stderr
