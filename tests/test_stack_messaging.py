"""Both seeds' message endpoints through the whole local stack (`make run`'s code): real
HTTP through the local API Gateway, Lambda-like worker processes, MongoDB and moto's KMS."""
import os
import sys

import pytest
import requests

from devstack import processes
from tests.helpers import make_group

pytestmark = pytest.mark.stack


@pytest.fixture
def stack(db, mongo_uri, aws_endpoint):
    """`python -m devstack` on free ports, using this run's MongoDB database and moto."""
    port = processes.free_port()
    env = {
        "HTTP_PORT": str(port),
        "WS_PORT": str(processes.free_port()),
        "MONGO_URI": mongo_uri,
        "MONGO_DB": os.environ["MONGO_DB"],
        "AWS_ENDPOINT_URL": aws_endpoint,
        "LAMBDA_WORKERS": "2",
    }
    server = processes.start([sys.executable, "-m", "devstack"], port, "local stack", env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


def test_message_endpoints_on_the_local_stack(stack, db):
    http = requests.Session()

    def sign_up(name):
        email = f"{name}@example.com"
        reply = http.post(f"{stack}/employees", json={"name": name, "email": email, "password": "securepassword"})
        assert reply.status_code == 201, reply.text
        token = http.post(f"{stack}/login", json={"email": email, "password": "securepassword"}).json()["token"]
        return reply.json()["user"]["id"], {"Authorization": f"Bearer {token}"}

    (alice, as_alice), (bob, as_bob) = sign_up("alice"), sign_up("bob")
    pair = ["alice@example.com", "bob@example.com"]

    # The 1:1 seed, with its own example bodies.
    sent = http.put(f"{stack}/messages", headers=as_alice, json={
        "participants": pair,
        "message": {"sender": "alice@example.com", "text": "Hi Bob!", "timestamp": "2025-06-19T15:00:00Z"}})
    assert sent.status_code == 201, sent.text
    read = http.post(f"{stack}/messages", headers=as_bob, json={"participants": pair})
    assert read.status_code == 200
    assert [m["text"] for m in read.json()["messages"]] == ["Hi Bob!"]

    # The group seed.
    group = make_group(db, alice, members=[bob])
    for text in ("one", "two", "three"):
        reply = http.post(f"{stack}/messages/send", headers=as_alice, json={"groupId": group, "text": text})
        assert reply.status_code == 201, reply.text
    page = http.get(f"{stack}/messages/{group}", headers=as_bob, params={"limit": 2}).json()
    assert [m["seq"] for m in page["messages"]] == [2, 3] and page["nextBefore"] == 2
    older = http.get(f"{stack}/messages/{group}", headers=as_bob, params={"before": 2}).json()
    assert [m["text"] for m in older["messages"]] == ["one"]

    listed = http.get(f"{stack}/conversations", headers=as_bob).json()["conversations"]
    assert {c["kind"]: c["unreadCount"] for c in listed} == {"group": 3, "direct": 1}
    assert http.post(f"{stack}/messages/send", headers=as_bob, json={"groupId": group, "text": " "}).status_code == 400
    assert http.get(f"{stack}/health").json() == {"status": "ok"}
