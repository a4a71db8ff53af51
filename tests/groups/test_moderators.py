"""Moderators: the owner promotes and demotes members; moderators approve, reject, kick, ban
and unban plain members, and never act on the owner or another moderator (use cases on the
real database, and the routes through chalice.test.Client)."""
import pytest

from chalicelib.core.errors import Conflict, Forbidden, NotFound
from tests.helpers import call


def test_the_owner_promotes_a_member_and_lists_show_the_role(world):
    owner = world.user()
    group_id = world.group(owner, "private")
    member = world.member(group_id)

    row = world.roles.promote(group_id, member, owner)

    assert row["role"] == "moderator" and row["userId"] == member
    assert world.role(group_id, member) == "moderator"  # the field message deletion checks
    roles = {m["userId"]: m["role"] for m in world.roster.members(group_id, owner)["members"]}
    assert roles == {owner: "owner", member: "moderator"}
    mine = world.groups.mine(member)["groups"][0]["membership"]
    assert mine["role"] == "moderator"
    (event,) = world.publisher.of_type("member.role_changed")
    assert event["conversationId"] == group_id
    assert event["event"] | {"at": None} == {"type": "member.role_changed", "groupId": group_id, "at": None,
                                             "userId": member, "role": "moderator", "by": owner}


def test_promoting_again_is_harmless_and_demoting_makes_a_plain_member(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.moderator(group_id)

    assert world.roles.promote(group_id, member, owner)["role"] == "moderator"
    world.roles.demote(group_id, member, owner)
    world.roles.demote(group_id, member, owner)  # a plain member already: nothing happens

    assert world.role(group_id, member) == "member"
    assert [e["event"]["role"] for e in world.publisher.of_type("member.role_changed")] == ["moderator", "member"]


@pytest.mark.parametrize("who", ["stranger", "former", "pending", "banned"])
def test_only_current_members_can_be_promoted(world, who):
    owner = world.user()
    group_id = world.group(owner, "private")
    if who == "stranger":
        target = world.user()
    elif who == "pending":
        target = world.requester(group_id)
    else:
        target = world.member(group_id)
        if who == "former":
            world.joining.leave(group_id, target, target)
        else:
            world.moderation.ban(group_id, target, owner)

    with pytest.raises(NotFound):
        world.roles.promote(group_id, target, owner)
    assert world.role(group_id, target) in (None, "member")


def test_only_the_owner_changes_roles(world):
    owner = world.user()
    group_id = world.group(owner)
    moderator, member = world.moderator(group_id), world.member(group_id)

    for caller in (moderator, member):
        with pytest.raises(Forbidden):
            world.roles.promote(group_id, member, caller)
        with pytest.raises(Forbidden):
            world.roles.demote(group_id, moderator, caller)
    with pytest.raises(Conflict):
        world.roles.promote(group_id, owner, owner)
    assert world.role(group_id, moderator) == "moderator" and world.role(group_id, member) == "member"


def test_moderators_approve_reject_kick_ban_and_unban_members(world):
    owner = world.user()
    group_id = world.group(owner, "private")
    moderator = world.moderator(group_id)
    first, second = world.requester(group_id), world.requester(group_id)

    assert world.joining.approve(group_id, first, moderator)["state"] == "member"
    world.joining.reject(group_id, second, moderator)
    world.moderation.kick(group_id, first, moderator)
    assert world.state(group_id, first) == "former"
    target = world.member(group_id)
    world.moderation.ban(group_id, target, moderator)
    assert world.state(group_id, target) == "banned"
    assert [ban["userId"] for ban in world.roster.bans(group_id, moderator)["bans"]] == [target]
    world.moderation.unban(group_id, target, moderator)
    assert world.state(group_id, target) == "former"
    assert world.member_count(group_id) == 2  # the owner and the moderator


def test_moderators_hear_of_new_requests(world):
    owner = world.user()
    group_id = world.group(owner, "private")
    moderator = world.moderator(group_id)

    requester = world.requester(group_id)

    event = world.publisher.of_type("request.created")[-1]  # the moderator's own request came first
    assert set(event["userIds"]) == {owner, moderator, requester}


@pytest.mark.parametrize("action", ["kick", "ban"])
def test_moderators_never_act_on_another_moderator_or_the_owner(world, action):
    owner = world.user()
    group_id = world.group(owner)
    moderator, other = world.moderator(group_id), world.moderator(group_id)
    act = getattr(world.moderation, action)

    with pytest.raises(Forbidden) as refused:
        act(group_id, other, moderator)
    assert refused.value.code == "target_is_moderator"
    with pytest.raises(Forbidden):
        act(group_id, moderator, moderator)
    with pytest.raises(Conflict) as refused:
        act(group_id, owner, moderator)
    assert refused.value.code == "target_is_owner"
    assert world.state(group_id, other) == "member" and world.role(group_id, other) == "moderator"
    assert world.member_count(group_id) == 3


def test_the_owner_may_kick_or_ban_a_moderator_who_loses_the_role(world):
    owner = world.user()
    group_id = world.group(owner)
    kicked, banned = world.moderator(group_id), world.moderator(group_id)

    world.moderation.kick(group_id, kicked, owner)
    world.moderation.ban(group_id, banned, owner)

    assert world.role(group_id, kicked) == "member" and world.role(group_id, banned) == "member"
    with pytest.raises(Forbidden):
        world.moderation.kick(group_id, world.member(group_id), kicked)


def test_a_demoted_moderator_loses_their_powers_at_once(world):
    owner = world.user()
    group_id = world.group(owner, "private")
    moderator = world.moderator(group_id)
    requester = world.requester(group_id)

    world.roles.demote(group_id, moderator, owner)

    with pytest.raises(Forbidden):
        world.joining.approve(group_id, requester, moderator)
    with pytest.raises(Forbidden):
        world.roster.requests(group_id, moderator)


def test_a_moderator_who_leaves_and_rejoins_is_a_plain_member(world):
    owner = world.user()
    group_id = world.group(owner)
    moderator = world.moderator(group_id)

    world.joining.leave(group_id, moderator, moderator)
    world.joining.request(group_id, moderator, moderator)

    assert world.role(group_id, moderator) == "member"


def test_moderators_cannot_transfer_ownership_but_may_receive_it(world):
    owner = world.user()
    group_id = world.group(owner)
    moderator, member = world.moderator(group_id), world.member(group_id)

    with pytest.raises(Forbidden):
        world.ownership.transfer(group_id, moderator, member, moderator)
    group = world.ownership.transfer(group_id, owner, moderator, owner)

    assert group["ownerId"] == moderator
    roles = {m["userId"]: m["role"] for m in world.roster.members(group_id, owner)["members"]}
    assert roles == {moderator: "owner", owner: "member", member: "member"}


def test_an_undone_transfer_gives_a_moderator_the_role_back(world):
    owner = world.user()
    group_id = world.group(owner)
    moderator = world.moderator(group_id)
    locked_at = world.clock()
    assert world.membership_store.lock_owner(group_id, moderator, locked_at)["role"] == "owner"

    world.membership_store.release_owner(group_id, moderator, locked_at, restore=True)

    assert world.role(group_id, moderator) == "moderator"


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


def test_demoting_a_moderator_while_ownership_is_handed_to_them_is_refused(world):
    owner = world.user()
    group_id = world.group(owner)
    moderator = world.moderator(group_id)
    locked_at = world.clock()
    world.membership_store.lock_owner(group_id, moderator, locked_at)  # step 1 of a transfer

    with pytest.raises(Conflict) as refused:
        world.roles.demote(group_id, moderator, owner)

    assert refused.value.code == "ownership_changing"
