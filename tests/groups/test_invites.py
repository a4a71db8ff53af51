"""Invite links: made by the owner or moderators, codes stored hashed, uses counted in one
guarded update, and accepting joins at once unless a ban, a cooldown, expiry or the use
limit says no (use cases on the real database; routes through chalice.test.Client)."""
import hashlib

import pytest

from chalicelib.core.errors import Forbidden, NotFound, RateLimited
from chalicelib.storage.invites import code_hash


def test_an_invite_lets_anyone_with_the_code_join_a_private_group_at_once(wired_groups, db):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    invite = wired_groups.invites.create(group_id, owner, expires_in_seconds=3600, max_uses=3)
    joiner = wired_groups.user()

    answer = wired_groups.invites.accept(invite["code"], joiner)

    assert answer["group"]["id"] == group_id and answer["group"]["memberCount"] == 2
    assert wired_groups.state(group_id, joiner) == "member"
    assert set(invite) >= {"id", "code", "expiresAt", "maxUses", "uses"} and invite["uses"] == 0
    assert wired_groups.invites.list(group_id, owner)["invites"][0]["uses"] == 1
    assert [e["event"]["type"] for e in wired_groups.publisher.published][-2:] == ["member.joined", "invite.used"]
    assert wired_groups.publisher.of_type("invite.used")[0]["userIds"] == [owner]


def test_codes_are_long_random_and_stored_only_hashed(wired_groups, db):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    codes = {wired_groups.invites.create(group_id, owner)["code"] for _ in range(5)}

    assert len(codes) == 5 and all(len(code) >= 40 for code in codes)
    stored = list(db["invites"].find({"groupId": group_id}))
    assert {doc["codeHash"] for doc in stored} == {code_hash(code) for code in codes}
    assert not any(code in str(doc) for doc in stored for code in codes)
    assert code_hash("x") != hashlib.sha256(b"x").hexdigest()  # domain-separated
    assert all("code" not in row for row in wired_groups.invites.list(group_id, owner)["invites"])


def test_a_pending_requester_joins_by_invite(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    requester = wired_groups.requester(group_id)
    code = wired_groups.invites.create(group_id, owner)["code"]

    wired_groups.invites.accept(code, requester)

    assert wired_groups.state(group_id, requester) == "member" and wired_groups.member_count(group_id) == 2


def test_a_member_accepting_uses_nothing(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    invite = wired_groups.invites.create(group_id, owner, max_uses=1)

    wired_groups.invites.accept(invite["code"], owner)

    assert wired_groups.invites.list(group_id, owner)["invites"][0]["uses"] == 0


def test_banned_users_and_those_cooling_down_are_refused_without_using_the_invite(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private", cooldown=600)
    code = wired_groups.invites.create(group_id, owner, max_uses=1)["code"]
    banned, former = wired_groups.user(), wired_groups.member(group_id)
    wired_groups.moderation.ban(group_id, banned, owner)
    wired_groups.joining.leave(group_id, former, former)

    with pytest.raises(Forbidden) as refused:
        wired_groups.invites.accept(code, banned)
    assert refused.value.code == "banned"
    with pytest.raises(RateLimited) as cooling:
        wired_groups.invites.accept(code, former)
    assert cooling.value.code == "rejoin_cooldown" and 0 < cooling.value.retry_after <= 600
    assert wired_groups.invites.list(group_id, owner)["invites"][0]["uses"] == 0
    wired_groups.clock.advance(601)
    wired_groups.invites.accept(code, former)
    assert wired_groups.state(group_id, former) == "member"


def test_expired_used_up_revoked_and_unknown_invites_are_not_found(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    short = wired_groups.invites.create(group_id, owner, expires_in_seconds=60)["code"]
    single = wired_groups.invites.create(group_id, owner, max_uses=1)
    revoked = wired_groups.invites.create(group_id, owner)
    wired_groups.invites.accept(single["code"], wired_groups.user())
    wired_groups.invites.revoke(group_id, owner, revoked["id"])
    wired_groups.clock.advance(61)

    for code in (short, single["code"], revoked["code"], "no-such-code-at-all-xxxxxxxxxxxxx", "bad code!"):
        with pytest.raises(NotFound) as missing:
            wired_groups.invites.accept(code, wired_groups.user())
        assert missing.value.code == "invite_not_found"
    assert [row["id"] for row in wired_groups.invites.list(group_id, owner)["invites"]] == [single["id"]]


def test_revoking_by_code_and_who_may_manage_invites(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator, member = wired_groups.moderator(group_id), wired_groups.member(group_id)

    invite = wired_groups.invites.create(group_id, moderator)
    with pytest.raises(Forbidden):
        wired_groups.invites.create(group_id, member)
    with pytest.raises(Forbidden):
        wired_groups.invites.list(group_id, member)
    with pytest.raises(Forbidden):
        wired_groups.invites.revoke(group_id, member, invite["id"])
    wired_groups.invites.revoke(group_id, moderator, invite["code"])
    with pytest.raises(NotFound):
        wired_groups.invites.revoke(group_id, owner, invite["id"])


# Routes ------------------------------------------------------------------------------------


def test_invite_routes(private_cast):
    cast = private_cast
    status, body, _ = cast.call("owner", "POST", cast.path("/groups/{group}/invites"),
                                {"expiresInSeconds": 3600, "maxUses": 1})
    assert status == 201, body
    invite = body["invite"]
    assert invite["maxUses"] == 1 and invite["uses"] == 0 and invite["expiresAt"].endswith("Z")

    status, body, _ = cast.call("outsider", "POST", f"/invites/{invite['code']}/accept")
    assert status == 200 and body["group"]["id"] == cast.group_id
    status, body, _ = cast.call("other", "POST", f"/invites/{invite['code']}/accept")
    assert (status, body["error"]["code"]) == (404, "invite_not_found")
    status, body, _ = cast.call("banned", "POST", f"/invites/{invite['code']}/accept")
    assert (status, body["error"]["code"]) == (403, "banned")

    status, body, _ = cast.call("owner", "POST", cast.path("/groups/{group}/invites"))  # no body: the defaults
    assert status == 201 and body["invite"]["maxUses"] is None
    status, body, _ = cast.call("owner", "GET", cast.path("/groups/{group}/invites"))
    assert status == 200 and [row["uses"] for row in body["invites"]] in ([1, 0], [0, 1])
    status, _, _ = cast.call("owner", "DELETE", cast.path("/groups/{group}/invites/") + invite["id"])
    assert status == 204
    status, body, _ = cast.call("owner", "POST", cast.path("/groups/{group}/invites"), {"maxUses": 0})
    assert status == 400


def test_accepting_inside_the_cooldown_says_when_to_retry(client):
    from tests.helpers import call, new_user

    _, owner = new_user(client, "inv-owner@example.com")
    joiner, token = new_user(client, "inv-joiner@example.com")
    status, body, _ = call(client, "POST", "/groups/create",
                           {"name": "Cool", "type": "private", "rejoinCooldownSeconds": 120}, token=owner)
    group_id = body["group"]["id"]
    code = call(client, "POST", f"/groups/{group_id}/invites", {}, token=owner)[1]["invite"]["code"]
    assert call(client, "POST", f"/invites/{code}/accept", token=token)[0] == 200
    assert call(client, "POST", f"/groups/{group_id}/leave/{joiner['id']}", token=token)[0] == 204

    status, body, headers = call(client, "POST", f"/invites/{code}/accept", token=token)

    assert (status, body["error"]["code"]) == (429, "rejoin_cooldown")
    assert 0 < int(headers["Retry-After"]) <= 120
