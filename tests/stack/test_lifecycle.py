"""The message lifecycle end to end: real HTTP and WebSocket clients through the local API
Gateway, the SQS fan-out in moto and the Chalice handlers. Every member's socket hears
message.edited, reaction.changed and message.deleted, in an order that ends where history is."""
from urllib.parse import quote

import pytest
from pymongo import MongoClient

from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack


@pytest.fixture
def people(stack):
    owner, member, outsider = (Api(stack["http"], unique_email(name), name) for name in ("owner", "member", "outsider"))
    group = owner.call("POST", "/groups/create", {"name": "Lifecycle", "type": "open"}).json()["group"]
    assert member.call("POST", f"/groups/{group['id']}/request/{member.id}").status_code == 200
    listeners = {name: Listener(f"{stack['ws']}/?token={user.token}")
                 for name, user in (("owner", owner), ("member", member), ("outsider", outsider))}
    yield {"owner": owner, "member": member, "outsider": outsider, "group": group["id"], "ws": listeners}
    for listener in listeners.values():
        listener.close()


def _of(event_type, message_id):
    return lambda frame: frame.get("type") == event_type and frame["message"]["id"] == message_id


def _apply(cache, frame):
    """What a client does with an event: keep the view with the higher version."""
    view = frame["message"]
    if view["id"] not in cache or view["version"] > cache[view["id"]]["version"]:
        cache[view["id"]] = view


def test_lifecycle_events_reach_every_member_and_end_where_history_is(stack, people):
    group, owner, member = people["group"], people["owner"], people["member"]
    people["ws"]["member"].send({"action": "sendMessage", "conversationId": group, "text": "draft",
                                 "clientMessageId": "life-1"})
    sent = people["ws"]["member"].wait_for(lambda frame: frame.get("type") == "ack")["message"]
    people["ws"]["owner"].send({"action": "sendMessage", "conversationId": group, "text": "noted",
                                "replyTo": sent["id"], "mentions": [member.id]})
    reply = people["ws"]["owner"].wait_for(lambda frame: frame.get("type") == "ack")["message"]
    assert reply["replyTo"] == sent["id"] and reply["mentions"] == [member.id]

    path = f"/messages/{group}/{sent['id']}"
    assert member.call("PATCH", path, {"text": "final"}).status_code == 200
    assert owner.call("PUT", f"{path}/reactions/{quote('🎉')}").status_code == 200
    assert member.call("PUT", f"{path}/reactions/{quote('🎉')}").status_code == 200
    for name in ("owner", "member"):
        listener = people["ws"][name]
        listener.wait_for(_of("message.edited", sent["id"]))
        listener.wait_for(lambda frame: frame.get("type") == "reaction.changed" and frame["message"]["version"] == 4)
        cache = {}
        for frame in listener.frames:
            if frame.get("type") in ("message", "ack", "message.edited", "reaction.changed"):
                _apply(cache, frame)
        history = member.call("GET", f"/messages/{group}").json()["messages"]
        held = cache[sent["id"]]
        assert held["text"] == "final" and held["version"] == history[0]["version"] == 4
        assert [(r["emoji"], r["count"]) for r in held["reactions"]] == [("🎉", 2)]

    assert owner.call("DELETE", path).status_code == 204  # the group's owner removes the member's message
    for name in ("owner", "member"):
        deleted = people["ws"][name].wait_for(_of("message.deleted", sent["id"]))["message"]
        assert deleted["deleted"] is True and deleted["text"] is None and deleted["reactions"] == []
    people["ws"]["outsider"].send({"action": "ping"})
    people["ws"]["outsider"].wait_for(lambda frame: frame.get("type") == "pong")
    assert not [f for f in people["ws"]["outsider"].frames if f.get("type", "").startswith(("message", "reaction"))]

    stored = MongoClient(stack["mongo_uri"])[stack["db"]]["messages"].find_one({"_id": sent["id"]})
    assert stored["deleted"] is True and "ciphertext" not in stored and "nonce" not in stored


def test_a_reaction_out_of_range_is_refused_over_real_http(people):
    sent = people["owner"].call("POST", "/messages/send", {"groupId": people["group"], "text": "x"}).json()["message"]
    answer = people["member"].call("PUT", f"/messages/{people['group']}/{sent['id']}/reactions/{quote('no')}")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_emoji"
    raw = people["member"].call("PUT", f"/messages/{people['group']}/{sent['id']}/reactions/%F0%9F%91%8D")
    assert raw.status_code == 200 and raw.json()["message"]["reactions"][0]["emoji"] == "👍"
