"""Moderation and safety over real HTTP and WebSocket (the local stack): every pinned path,
and the role, invite and report events through the same fan-out as messages."""
import pytest

from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack


def of_type(kind):
    return lambda frame: frame.get("type") == kind


def test_moderators_invites_reports_and_history_visibility(stack):
    owner, moderator, member, newcomer = (Api(stack["http"], unique_email(name), name)
                                          for name in ("owner", "moderator", "member", "newcomer"))
    group = owner.call("POST", "/groups/create",
                       {"name": "Staffed", "type": "private", "historyVisibility": "joined"}).json()["group"]
    group_id = group["id"]
    assert group["historyVisibility"] == "joined"
    for user in (moderator, member):
        user.call("POST", f"/groups/{group_id}/request/{user.id}")
        assert owner.call("POST", f"/groups/{group_id}/approve/{user.id}").status_code == 200
    staff = Listener(f"{stack['ws']}/?token={moderator.token}")
    watcher = Listener(f"{stack['ws']}/?token={member.token}")
    try:
        answer = owner.call("PUT", f"/groups/{group_id}/moderators/{moderator.id}")
        assert answer.status_code == 200 and answer.json()["member"]["role"] == "moderator"
        changed = watcher.wait_for(of_type("member.role_changed"))
        assert changed["userId"] == moderator.id and changed["role"] == "moderator"

        before = owner.call("POST", "/messages/send", {"groupId": group_id, "text": "before the newcomer"})
        answer = moderator.call("POST", f"/groups/{group_id}/invites", {"maxUses": 1, "expiresInSeconds": 600})
        assert answer.status_code == 201
        invite = answer.json()["invite"]
        assert set(invite) >= {"code", "expiresAt", "maxUses", "uses"}
        joined = newcomer.call("POST", f"/invites/{invite['code']}/accept")
        assert joined.status_code == 200 and joined.json()["group"]["id"] == group_id
        used = staff.wait_for(of_type("invite.used"))
        assert used["userId"] == newcomer.id and used["uses"] == 1
        assert Api(stack["http"], unique_email("late"), "Late").call(
            "POST", f"/invites/{invite['code']}/accept").status_code == 404

        after = member.call("POST", "/messages/send", {"groupId": group_id, "text": "after the newcomer"}).json()
        seen = newcomer.call("GET", f"/messages/{group_id}").json()["messages"]
        assert [m["text"] for m in seen] == ["after the newcomer"]
        assert newcomer.call("POST", f"/messages/{group_id}/{before.json()['message']['id']}/report",
                             {"reason": "old"}).status_code == 404

        reported = newcomer.call("POST", f"/messages/{group_id}/{after['message']['id']}/report", {"reason": "rude"})
        assert reported.status_code == 202
        staff.wait_for(of_type("report.created"))
        reports = moderator.call("GET", f"/groups/{group_id}/reports").json()["reports"]
        assert reports[0]["message"]["text"] == "after the newcomer"
        assert member.call("GET", f"/groups/{group_id}/reports").status_code == 403
        resolved = moderator.call("POST", f"/groups/{group_id}/reports/{reports[0]['id']}/resolve", {})
        assert resolved.status_code == 200 and resolved.json()["report"]["state"] == "resolved"

        assert moderator.call("POST", f"/groups/{group_id}/kick/{owner.id}").status_code == 409
        assert moderator.call("POST", f"/groups/{group_id}/ban/{newcomer.id}").status_code == 200
        assert owner.call("DELETE", f"/groups/{group_id}/moderators/{moderator.id}").status_code == 204
        assert moderator.call("POST", f"/groups/{group_id}/unban/{newcomer.id}").status_code == 403
    finally:
        staff.close()
        watcher.close()


def test_blocks_over_http_and_typing(stack):
    alice, bob = Api(stack["http"], unique_email("alice"), "Alice"), Api(stack["http"], unique_email("bob"), "Bob")
    pair = [alice.email, bob.email]
    sent = alice.call("PUT", "/messages", {"participants": pair, "message": {"sender": alice.email, "text": "hi"}})
    conversation_id = sent.json()["conversationId"]
    assert bob.call("PUT", f"/users/{alice.id}/block").status_code == 200
    assert [row["userId"] for row in bob.call("GET", "/users/blocked").json()["blocked"]] == [alice.id]

    refused = alice.call("PUT", "/messages", {"participants": pair, "message": {"sender": alice.email, "text": "hey"}})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked"
    refused = alice.call("POST", "/messages/send", {"conversationId": conversation_id, "text": "by id"})
    assert refused.status_code == 403

    listener = Listener(f"{stack['ws']}/?token={bob.token}")
    typist = Listener(f"{stack['ws']}/?token={alice.token}")
    try:
        typist.send({"action": "typing", "conversationId": conversation_id, "isTyping": True})
        typist.send({"action": "ping"})  # frames are handled in order: the typing event is queued by the pong
        typist.wait_for(of_type("pong"))
        bob.call("PUT", "/messages", {"participants": pair, "message": {"sender": bob.email, "text": "marker"}})
        listener.wait_for(lambda frame: frame.get("type") == "message" and frame["message"]["text"] == "marker")
        assert listener.of_type("typing") == []
    finally:
        listener.close()
        typist.close()
    assert bob.call("DELETE", f"/users/{alice.id}/block").status_code == 204
    assert alice.call("PUT", "/messages", {"participants": pair,
                                           "message": {"sender": alice.email, "text": "ok"}}).status_code == 201
