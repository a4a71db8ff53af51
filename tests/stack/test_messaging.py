"""Both seeds' message endpoints through the whole local stack (`make run`'s code): real
HTTP through the local API Gateway, Lambda-like worker processes, MongoDB and moto's KMS."""
import pytest

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def test_message_endpoints_on_the_local_stack(stack):
    alice, bob = Api(stack["http"], unique_email("alice"), "Alice"), Api(stack["http"], unique_email("bob"), "Bob")
    pair = [alice.email, bob.email]

    # The 1:1 seed, with its own example bodies.
    sent = alice.call("PUT", "/messages", {
        "participants": pair,
        "message": {"sender": alice.email, "text": "Hi Bob!", "timestamp": "2025-06-19T15:00:00Z"}})
    assert sent.status_code == 201, sent.text
    read = bob.call("POST", "/messages", {"participants": pair})
    assert read.status_code == 200
    assert [m["text"] for m in read.json()["messages"]] == ["Hi Bob!"]

    # The group seed.
    group = alice.call("POST", "/groups/create", {"name": "Seed group", "type": "open"}).json()["group"]["id"]
    assert bob.call("POST", f"/groups/{group}/request/{bob.id}").status_code == 200
    for text in ("one", "two", "three"):
        reply = alice.call("POST", "/messages/send", {"groupId": group, "text": text})
        assert reply.status_code == 201, reply.text
    page = bob.call("GET", f"/messages/{group}?limit=2").json()
    assert [m["seq"] for m in page["messages"]] == [2, 3] and page["nextBefore"] == 2
    older = bob.call("GET", f"/messages/{group}?before=2").json()
    assert [m["text"] for m in older["messages"]] == ["one"]

    listed = bob.call("GET", "/conversations").json()["conversations"]
    assert {c["kind"]: c["unreadCount"] for c in listed} == {"group": 3, "direct": 1}
    assert bob.call("POST", "/messages/send", {"groupId": group, "text": " "}).status_code == 400
    assert bob.call("GET", "/health").json() == {"status": "ok"}
