"""Moderators: the owner promotes and demotes members; moderators approve, reject, kick, ban
and unban plain members, and never act on the owner or another moderator (use cases on the
real database, and the routes through chalice.test.Client)."""
import pytest

from chalicelib.core.errors import Conflict, Forbidden, NotFound
from tests.helpers import call


def test_the_owner_promotes_a_member_and_lists_show_the_role(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    member = wired_groups.member(group_id)

    row = wired_groups.roles.promote(group_id, member, owner)

    assert row["role"] == "moderator" and row["userId"] == member
    assert wired_groups.role(group_id, member) == "moderator"  # the field message deletion checks
    roles = {m["userId"]: m["role"] for m in wired_groups.roster.members(group_id, owner)["members"]}
    assert roles == {owner: "owner", member: "moderator"}
    mine = wired_groups.groups.mine(member)["groups"][0]["membership"]
    assert mine["role"] == "moderator"
    (event,) = wired_groups.publisher.of_type("member.role_changed")
    assert event["conversationId"] == group_id
    assert event["event"] | {"at": None} == {"type": "member.role_changed", "groupId": group_id, "at": None,
                                             "userId": member, "role": "moderator", "by": owner}


def test_promoting_again_is_harmless_and_demoting_makes_a_plain_member(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.moderator(group_id)

    assert wired_groups.roles.promote(group_id, member, owner)["role"] == "moderator"
    wired_groups.roles.demote(group_id, member, owner)
    wired_groups.roles.demote(group_id, member, owner)  # a plain member already: nothing happens

    assert wired_groups.role(group_id, member) == "member"
    assert [e["event"]["role"] for e in wired_groups.publisher.of_type("member.role_changed")] == ["moderator", "member"]


@pytest.mark.parametrize("who", ["stranger", "former", "pending", "banned"])
def test_only_current_members_can_be_promoted(wired_groups, who):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    if who == "stranger":
        target = wired_groups.user()
    elif who == "pending":
        target = wired_groups.requester(group_id)
    else:
        target = wired_groups.member(group_id)
        if who == "former":
            wired_groups.joining.leave(group_id, target, target)
        else:
            wired_groups.moderation.ban(group_id, target, owner)

    with pytest.raises(NotFound):
        wired_groups.roles.promote(group_id, target, owner)
    assert wired_groups.role(group_id, target) in (None, "member")


def test_only_the_owner_changes_roles(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator, member = wired_groups.moderator(group_id), wired_groups.member(group_id)

    for caller in (moderator, member):
        with pytest.raises(Forbidden):
            wired_groups.roles.promote(group_id, member, caller)
        with pytest.raises(Forbidden):
            wired_groups.roles.demote(group_id, moderator, caller)
    with pytest.raises(Conflict):
        wired_groups.roles.promote(group_id, owner, owner)
    assert wired_groups.role(group_id, moderator) == "moderator" and wired_groups.role(group_id, member) == "member"


def test_moderators_approve_reject_kick_ban_and_unban_members(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    moderator = wired_groups.moderator(group_id)
    first, second = wired_groups.requester(group_id), wired_groups.requester(group_id)

    assert wired_groups.joining.approve(group_id, first, moderator)["state"] == "member"
    wired_groups.joining.reject(group_id, second, moderator)
    wired_groups.moderation.kick(group_id, first, moderator)
    assert wired_groups.state(group_id, first) == "former"
    target = wired_groups.member(group_id)
    wired_groups.moderation.ban(group_id, target, moderator)
    assert wired_groups.state(group_id, target) == "banned"
    assert [ban["userId"] for ban in wired_groups.roster.bans(group_id, moderator)["bans"]] == [target]
    wired_groups.moderation.unban(group_id, target, moderator)
    assert wired_groups.state(group_id, target) == "former"
    assert wired_groups.member_count(group_id) == 2  # the owner and the moderator


def test_moderators_hear_of_new_requests(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    moderator = wired_groups.moderator(group_id)

    requester = wired_groups.requester(group_id)

    event = wired_groups.publisher.of_type("request.created")[-1]  # the moderator's own request came first
    assert set(event["userIds"]) == {owner, moderator, requester}


@pytest.mark.parametrize("action", ["kick", "ban"])
def test_moderators_never_act_on_another_moderator_or_the_owner(wired_groups, action):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator, other = wired_groups.moderator(group_id), wired_groups.moderator(group_id)
    act = getattr(wired_groups.moderation, action)

    with pytest.raises(Forbidden) as refused:
        act(group_id, other, moderator)
    assert refused.value.code == "target_is_moderator"
    with pytest.raises(Forbidden):
        act(group_id, moderator, moderator)
    with pytest.raises(Conflict) as refused:
        act(group_id, owner, moderator)
    assert refused.value.code == "target_is_owner"
    assert wired_groups.state(group_id, other) == "member" and wired_groups.role(group_id, other) == "moderator"
    assert wired_groups.member_count(group_id) == 3


def test_the_owner_may_kick_or_ban_a_moderator_who_loses_the_role(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    kicked, banned = wired_groups.moderator(group_id), wired_groups.moderator(group_id)

    wired_groups.moderation.kick(group_id, kicked, owner)
    wired_groups.moderation.ban(group_id, banned, owner)

    assert wired_groups.role(group_id, kicked) == "member" and wired_groups.role(group_id, banned) == "member"
    with pytest.raises(Forbidden):
        wired_groups.moderation.kick(group_id, wired_groups.member(group_id), kicked)


def test_a_demoted_moderator_loses_their_powers_at_once(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    moderator = wired_groups.moderator(group_id)
    requester = wired_groups.requester(group_id)

    wired_groups.roles.demote(group_id, moderator, owner)

    with pytest.raises(Forbidden):
        wired_groups.joining.approve(group_id, requester, moderator)
    with pytest.raises(Forbidden):
        wired_groups.roster.requests(group_id, moderator)


def test_a_moderator_who_leaves_and_rejoins_is_a_plain_member(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator = wired_groups.moderator(group_id)

    wired_groups.joining.leave(group_id, moderator, moderator)
    wired_groups.joining.request(group_id, moderator, moderator)

    assert wired_groups.role(group_id, moderator) == "member"


def test_moderators_cannot_transfer_ownership_but_may_receive_it(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator, member = wired_groups.moderator(group_id), wired_groups.member(group_id)

    with pytest.raises(Forbidden):
        wired_groups.ownership.transfer(group_id, moderator, member, moderator)
    group = wired_groups.ownership.transfer(group_id, owner, moderator, owner)

    assert group["ownerId"] == moderator
    roles = {m["userId"]: m["role"] for m in wired_groups.roster.members(group_id, owner)["members"]}
    assert roles == {moderator: "owner", owner: "member", member: "member"}


def test_an_undone_transfer_gives_a_moderator_the_role_back(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator = wired_groups.moderator(group_id)
    locked_at = wired_groups.clock()
    assert wired_groups.membership_store.lock_owner(group_id, moderator, locked_at)["role"] == "owner"

    wired_groups.membership_store.release_owner(group_id, moderator, locked_at, restore=True)

    assert wired_groups.role(group_id, moderator) == "moderator"


# Routes ------------------------------------------------------------------------------------


def test_moderator_routes(private_cast):
    cast = private_cast
    member = cast.users["member"]

    status, body, _ = cast.call("owner", "PUT", cast.path("/groups/{group}/moderators/{member}"))
    assert status == 200 and body["member"]["role"] == "moderator"
    status, body, _ = cast.call("member", "POST", cast.path("/groups/{group}/approve/{pending}"))
    assert status == 200, body
    status, body, _ = cast.call("owner", "GET", cast.path("/groups/{group}/members"))
    assert {row["userId"]: row["role"] for row in body["members"]}[member] == "moderator"
    status, body, _ = cast.call("member", "POST", cast.path("/groups/{group}/kick/{owner}"))
    assert (status, body["error"]["code"]) == (409, "target_is_owner")

    status, _, _ = cast.call("owner", "DELETE", cast.path("/groups/{group}/moderators/{member}"))
    assert status == 204
    status, body, _ = cast.call("member", "GET", cast.path("/groups/{group}/requests"))
    assert (status, body["error"]["code"]) == (403, "not_owner")
    status, body, _ = cast.call("owner", "PUT", cast.path("/groups/{group}/moderators/{outsider}"))
    assert (status, body["error"]["code"]) == (404, "member_not_found")
    status, body, _ = call(cast.client, "PUT", f"/groups/{cast.group_id}/moderators/not%20an%20id",
                           token=cast.tokens["owner"])
    assert status == 400


def test_demoting_a_moderator_while_ownership_is_handed_to_them_is_refused(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    moderator = wired_groups.moderator(group_id)
    locked_at = wired_groups.clock()
    wired_groups.membership_store.lock_owner(group_id, moderator, locked_at)  # step 1 of a transfer

    with pytest.raises(Conflict) as refused:
        wired_groups.roles.demote(group_id, moderator, owner)

    assert refused.value.code == "ownership_changing"
