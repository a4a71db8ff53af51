"""Read receipts (GET /conversations/{conversationId}/reads) through chalice.test.Client and
the real database: members see how far each member read, paged; outsiders are refused as
for the conversation's history; someone who left is no longer listed."""
from tests.helpers import call, set_membership


def reads(client, token, conversation_id, query=""):
    return call(client, "GET", f"/conversations/{conversation_id}/reads{query}", token=token)


def positions(body):
    return {read["userId"]: read["readSeq"] for read in body["reads"]}


def test_members_see_how_far_each_member_read(client, db, group, alice, bob, carol):
    for text in ("one", "two", "three"):
        assert call(client, "POST", "/messages/send", {"groupId": group, "text": text}, token=alice[1])[0] == 201
    assert call(client, "POST", f"/conversations/{group}/read", {"seq": 2}, token=bob[1])[0] == 200

    status, body, _ = reads(client, alice[1], group)
    assert status == 200 and body["nextCursor"] is None
    assert positions(body) == {alice[0]["id"]: 3, bob[0]["id"]: 2}  # the sender has read what she sent
    assert all(read["readAt"].endswith("Z") for read in body["reads"])
    assert positions(reads(client, bob[1], group)[1]) == positions(body)  # every member sees the same

    assert reads(client, carol[1], group)[0] == 403  # not a member
    assert reads(client, carol[1], "unknownGroupId00")[0] == 404
    set_membership(db, group, bob[0]["id"], None)  # Bob left: his marker stays, but he is not listed
    assert positions(reads(client, alice[1], group)[1]) == {alice[0]["id"]: 3}


def test_reads_page_in_user_id_order(client, db, group, alice, bob, carol):
    set_membership(db, group, carol[0]["id"], "member")
    call(client, "POST", "/messages/send", {"groupId": group, "text": "roll call"}, token=alice[1])
    for person in (bob, carol):
        assert call(client, "POST", f"/conversations/{group}/read", {"seq": 1}, token=person[1])[0] == 200
    seen, cursor = [], None
    while True:
        status, body, _ = reads(client, bob[1], group, "?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200 and len(body["reads"]) <= 1
        seen += [read["userId"] for read in body["reads"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == sorted(person[0]["id"] for person in (alice, bob, carol))
    assert reads(client, bob[1], group, "?limit=0")[0] == 400


def test_a_one_to_one_chat_shows_the_other_persons_read_position(client, alice, bob, carol):
    pair = ["alice@example.com", "bob@example.com"]
    status, body, _ = call(client, "PUT", "/messages", {"participants": pair,
                                                        "message": {"sender": "alice@example.com", "text": "hi"}},
                           token=alice[1])
    assert status in (200, 201)
    conversation_id = body["message"]["conversationId"]
    assert bob[0]["id"] not in positions(reads(client, alice[1], conversation_id)[1])  # sent, not read
    call(client, "POST", f"/conversations/{conversation_id}/read", {"seq": 1}, token=bob[1])
    assert positions(reads(client, alice[1], conversation_id)[1])[bob[0]["id"]] == 1
    assert reads(client, carol[1], conversation_id)[0] == 404  # not hers, as if it did not exist
