"""Real time end to end: real WebSocket clients through the local API Gateway, the SQS
fan-out queue in moto, and the Chalice handlers running unchanged."""
import time

import boto3
import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack


@pytest.fixture
def people(stack):
    """An owner and a member in one open group, and an outsider; each with a live connection."""
    owner, member, outsider = (Api(stack["http"], unique_email(name), name) for name in ("owner", "member", "outsider"))
    group = owner.call("POST", "/groups/create", {"name": "Live", "type": "open"}).json()["group"]
    assert member.call("POST", f"/groups/{group['id']}/request/{member.id}").status_code == 200
    listeners = {name: Listener(f"{stack['ws']}/?token={user.token}")
                 for name, user in (("owner", owner), ("member", member), ("outsider", outsider))}
    yield {"owner": owner, "member": member, "outsider": outsider, "group": group, "ws": listeners}
    for listener in listeners.values():
        listener.close()


def is_message(text):
    return lambda frame: frame.get("type") == "message" and frame["message"]["text"] == text


def test_a_rest_send_reaches_every_member_live_and_no_outsider(people):
    group_id = people["group"]["id"]
    sent = people["owner"].call("POST", "/messages/send", {"groupId": group_id, "text": "hello over REST"})
    assert sent.status_code == 201
    for name in ("owner", "member"):
        frame = people["ws"][name].wait_for(is_message("hello over REST"))
        assert frame["message"]["id"] == sent.json()["message"]["id"]
    people["ws"]["outsider"].send({"action": "ping"})
    people["ws"]["outsider"].wait_for(lambda frame: frame.get("type") == "pong")
    assert people["ws"]["outsider"].of_type("message") == []


def test_a_websocket_send_is_acked_and_delivered(people):
    group_id = people["group"]["id"]
    people["ws"]["member"].send({"action": "sendMessage", "conversationId": group_id, "text": "hello over WS",
                                 "clientMessageId": "ws-1"})
    ack = people["ws"]["member"].wait_for(lambda frame: frame.get("type") == "ack")
    assert ack["clientMessageId"] == "ws-1" and ack["message"]["text"] == "hello over WS"
    delivered = people["ws"]["owner"].wait_for(is_message("hello over WS"))
    assert delivered["message"]["id"] == ack["message"]["id"]


def test_typing_reaches_the_other_members_only(people):
    group_id = people["group"]["id"]
    people["ws"]["member"].send({"action": "typing", "conversationId": group_id, "isTyping": True})
    typing = people["ws"]["owner"].wait_for(lambda frame: frame.get("type") == "typing")
    assert typing == {**typing, "conversationId": group_id, "userId": people["member"].id, "isTyping": True}
    # The typist and the outsider hear nothing: a later message proves the queue has drained.
    people["owner"].call("POST", "/messages/send", {"groupId": group_id, "text": "after typing"})
    people["ws"]["member"].wait_for(is_message("after typing"))
    assert people["ws"]["member"].of_type("typing") == []
    assert people["ws"]["outsider"].of_type("typing") == []


def test_stopped_typing_is_not_fanned_out_but_reopens_the_indicator(people):
    group_id = people["group"]["id"]
    member, owner = people["ws"]["member"], people["ws"]["owner"]
    for index, is_typing in enumerate((True, True, False, True)):  # a repeat (coalesced), a stop, typing again
        member.send({"action": "typing", "conversationId": group_id, "isTyping": is_typing})
        member.send({"action": "ping", "requestId": f"after-{index}"})  # one frame at a time, in order
        member.wait_for(lambda frame, index=index: frame.get("requestId") == f"after-{index}")
    people["member"].call("POST", "/messages/send", {"groupId": group_id, "text": "typed"})
    owner.wait_for(is_message("typed"))  # the typist's message ends the indicator on clients
    assert [frame["isTyping"] for frame in owner.of_type("typing")] == [True, True]


def test_a_one_to_one_message_arrives_live(stack):
    alice, bob = Api(stack["http"], unique_email("alice"), "Alice"), Api(stack["http"], unique_email("bob"), "Bob")
    listener = Listener(f"{stack['ws']}/?token={bob.token}")
    try:
        sent = alice.call("PUT", "/messages", {"participants": [alice.email, bob.email],
                                               "message": {"sender": alice.email, "text": "hi bob"}})
        assert sent.status_code == 201
        frame = listener.wait_for(is_message("hi bob"))
        assert frame["message"]["conversationId"] == sent.json()["conversationId"]
    finally:
        listener.close()


def test_the_owner_sees_join_requests_live(stack):
    owner, asker = Api(stack["http"], unique_email("owner"), "Owner"), Api(stack["http"], unique_email("asker"), "Asker")
    group = owner.call("POST", "/groups/create", {"name": "Private", "type": "private"}).json()["group"]
    listener = Listener(f"{stack['ws']}/?token={owner.token}")
    try:
        assert asker.call("POST", f"/groups/{group['id']}/request/{asker.id}").status_code == 202
        frame = listener.wait_for(lambda frame: frame.get("type") == "request.created")
        assert frame["groupId"] == group["id"] and frame["userId"] == asker.id
    finally:
        listener.close()


@pytest.mark.parametrize("query", ["", "?token=garbage", "?ticket=unknown"])
def test_the_upgrade_is_refused_without_valid_credentials(stack, query):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{stack['ws']}/{query}", open_timeout=10)
    assert refused.value.response.status_code == 401


def test_a_single_use_ticket_opens_one_connection(stack):
    user = Api(stack["http"], unique_email("ticket"))
    issued = user.call("POST", "/realtime/ticket")
    assert issued.status_code == 201
    ticket = issued.json()["ticket"]
    listener = Listener(f"{stack['ws']}/?ticket={ticket}")
    listener.send({"action": "ping"})
    listener.wait_for(lambda frame: frame.get("type") == "pong")
    listener.close()
    with pytest.raises(InvalidStatus):
        connect(f"{stack['ws']}/?ticket={ticket}", open_timeout=10)


def test_a_bad_frame_gets_an_error_and_the_connection_stays(people):
    listener = people["ws"]["member"]
    listener.send({"action": "nonsense"})
    error = listener.wait_for(lambda frame: frame.get("type") == "error")
    assert error["error"]["code"] == "unknown_action"
    listener.socket.send("not json at all")
    listener.wait_for(lambda frame: frame.get("type") == "error" and frame["error"]["code"] == "invalid_json")
    listener.send({"action": "ping"})
    listener.wait_for(lambda frame: frame.get("type") == "pong")


def _connection_ids(stack, user_id):
    from pymongo import MongoClient

    with MongoClient(stack["mongo_uri"]) as client:
        return [doc["_id"] for doc in client[stack["db"]].connections.find({"userId": user_id})]


def _open_since(stack, connection_id, minutes):
    from datetime import datetime, timedelta, timezone

    from pymongo import MongoClient

    with MongoClient(stack["mongo_uri"]) as client:
        client[stack["db"]].connections.update_one(
            {"_id": connection_id}, {"$set": {"connectedAt": datetime.now(timezone.utc) - timedelta(minutes=minutes)}})


def test_a_vanished_client_is_pruned_on_first_gone(people, stack):
    (connection_id,) = _connection_ids(stack, people["member"].id)
    ws_http = stack["ws"].replace("ws://", "http://")
    assert requests.post(f"{ws_http}/__devstack/vanish/{connection_id}").status_code == 204
    assert _connection_ids(stack, people["member"].id) == [connection_id]  # no $disconnect arrived
    _open_since(stack, connection_id, minutes=5)  # past the grace a connecting socket gets
    people["owner"].call("POST", "/messages/send", {"groupId": people["group"]["id"], "text": "anyone there?"})
    people["ws"]["owner"].wait_for(is_message("anyone there?"))
    deadline = time.monotonic() + 15
    while _connection_ids(stack, people["member"].id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _connection_ids(stack, people["member"].id) == []
    assert _connection_ids(stack, people["owner"].id) != []  # the sender's connection is untouched


def test_a_crashed_consumer_batch_is_redelivered_without_loss(people, stack):
    ws_http = stack["ws"].replace("ws://", "http://")
    assert requests.post(f"{ws_http}/__devstack/sqs/crash-next").status_code == 204
    group_id = people["group"]["id"]
    ids = [people["owner"].call("POST", "/messages/send", {"groupId": group_id, "text": f"crash {n}"}).json()["message"]["id"]
           for n in range(3)]
    member = people["ws"]["member"]
    for n in range(3):
        member.wait_for(is_message(f"crash {n}"), timeout=30)
    received = {frame["message"]["id"] for frame in member.of_type("message")}
    assert set(ids) <= received  # every message arrived; duplicates share an id and fold away


def test_a_poison_job_ends_in_the_dead_letter_queue(stack):
    sqs = boto3.client("sqs", endpoint_url=stack["aws"], region_name="us-east-1")
    queue_url = sqs.get_queue_url(QueueName="secure-messaging-fanout-dev")["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName="secure-messaging-fanout-dev-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="this is not a job")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        if found:
            assert found[0]["Body"] == "this is not a job"
            return
    raise AssertionError("the poison job never reached the dead-letter queue")


def test_the_connections_api_describes_posts_to_and_closes_a_connection(stack):
    """The @connections management API of the local gateway, through boto3 as the app uses it."""
    from botocore.exceptions import ClientError

    user = Api(stack["http"], unique_email("managed"))
    listener = Listener(f"{stack['ws']}/?token={user.token}")
    try:
        (connection_id,) = _connection_ids(stack, user.id)
        # Under the stage, as API Gateway serves it (https://{api}.execute-api.../{stage}).
        management = boto3.client("apigatewaymanagementapi", region_name="us-east-1",
                                  endpoint_url=stack["ws"].replace("ws://", "http://") + "/local")
        described = management.get_connection(ConnectionId=connection_id)
        assert described["Identity"]["SourceIp"] == "127.0.0.1" and "ConnectedAt" in described
        management.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "hello"}')
        assert listener.wait_for(lambda frame: frame.get("type") == "hello")
        management.delete_connection(ConnectionId=connection_id)
        deadline = time.monotonic() + 10
        while _connection_ids(stack, user.id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _connection_ids(stack, user.id) == []  # $disconnect ran
        with pytest.raises(ClientError) as gone:
            management.post_to_connection(ConnectionId=connection_id, Data=b"{}")
        assert gone.value.response["Error"]["Code"] == "GoneException"
    finally:
        listener.close()


def test_connections_are_reached_under_the_stage_at_the_endpoint_derived_from_the_event(stack):
    """Item 7 of issue 13: the local gateway serves @connections where API Gateway does,
    /{stage}/@connections/{id}, and the local stack sets no WS_CALLBACK_URL, so the handlers
    reach connections by the endpoint they derive from the event, as deployed code could."""
    from pymongo import MongoClient

    user = Api(stack["http"], unique_email("staged"))
    listener = Listener(f"{stack['ws']}/?token={user.token}")
    try:
        listener.send({"action": "ping", "requestId": "staged"})
        assert listener.wait_for(lambda frame: frame.get("requestId") == "staged")["type"] == "pong"
        with MongoClient(stack["mongo_uri"]) as client:
            (record,) = client[stack["db"]].connections.find({"userId": user.id})
        ws_http = stack["ws"].replace("ws://", "http://")
        assert record["endpoint"] == f"{ws_http}/local"
        unstaged = requests.post(f"{ws_http}/@connections/{record['_id']}", data=b"{}", timeout=10)
        assert unstaged.status_code == 404
    finally:
        listener.close()


def test_a_deeply_nested_frame_is_invalid_json_and_the_socket_stays_open(stack):
    """F3 of issue 13: nesting past the parser's recursion limit (8,000 deep, still under the 16 KiB
    frame limit) used to drop the local socket: a RecursionError in the gateway."""
    user = Api(stack["http"], unique_email("deep"))
    listener = Listener(f"{stack['ws']}/?token={user.token}")
    try:
        listener.socket.send("[" * 8_000 + "]" * 8_000)
        error = listener.wait_for(lambda frame: frame.get("type") == "error")
        assert error["error"]["code"] == "invalid_json"
        listener.send({"action": "ping", "requestId": "still-here"})
        assert listener.wait_for(lambda frame: frame.get("requestId") == "still-here")["type"] == "pong"
    finally:
        listener.close()
