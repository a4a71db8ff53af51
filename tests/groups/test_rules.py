"""The group rules, through the use cases, against the real database and a hand-moved clock."""
import pytest

from chalicelib.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
)

COOLDOWN = 600


# Joining ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "group_type,kind,state,count,event",
    [("open", "membership", "member", 2, "member.joined"), ("private", "request", "pending", 1, "request.created")],
)
def test_asking_to_join_joins_an_open_group_and_queues_for_a_private_one(world, group_type, kind, state, count, event):
    owner = world.user()
    group_id = world.group(owner, group_type)
    user = world.user()

    first = world.joining.request(group_id, user, user)
    again = world.joining.request(group_id, user, user)

    assert first[0] == kind and again == first
    assert world.state(group_id, user) == state
    assert world.member_count(group_id) == count
    assert len(world.publisher.of_type(event)) == 1  # asking again announces nothing


def test_a_member_of_a_private_group_asking_again_gets_their_membership(world):
    group_id = world.group(world.user(), "private")
    member = world.member(group_id)
    assert world.joining.request(group_id, member, member)[0] == "membership"


def test_nobody_can_ask_to_join_for_someone_else(world):
    group_id = world.group(world.user())
    user, other = world.user(), world.user()
    with pytest.raises(Forbidden) as refused:
        world.joining.request(group_id, other, user)
    assert refused.value.code == "user_mismatch"
    assert world.state(group_id, other) is None


def test_an_unknown_group_is_not_found(world):
    user = world.user()
    with pytest.raises(NotFound) as missing:
        world.joining.request("no-such-group", user, user)
    assert missing.value.code == "group_not_found"


def test_approval_makes_a_member_and_counts_them(world):
    owner = world.user()
    group_id = world.group(owner, "private")
    user = world.requester(group_id)

    membership = world.joining.approve(group_id, user, owner)

    assert membership["state"] == "member" and membership["role"] == "member"
    assert world.state(group_id, user) == "member"
    assert world.member_count(group_id) == 2
    assert world.joining.approve(group_id, user, owner) == membership  # approving twice changes nothing
    assert world.member_count(group_id) == 2


@pytest.mark.parametrize(
    "relation,approval_error", [("outsider", "request_not_found"), ("withdrawn", "request_not_found"),
                                ("banned", "banned")]
)
def test_only_a_pending_request_can_be_approved_or_rejected(world, relation, approval_error):
    owner = world.user()
    group_id = world.group(owner, "private")
    user = world.user()
    if relation == "withdrawn":
        world.joining.request(group_id, user, user)
        world.joining.withdraw(group_id, user, user)
    if relation == "banned":
        world.moderation.ban(group_id, user, owner)

    with pytest.raises((NotFound, Conflict)) as refused:
        world.joining.approve(group_id, user, owner)
    assert refused.value.code == approval_error
    with pytest.raises(NotFound) as refused:
        world.joining.reject(group_id, user, owner)
    assert refused.value.code == "request_not_found"
    assert world.state(group_id, user) == {"outsider": None, "withdrawn": "former", "banned": "banned"}[relation]
    assert world.member_count(group_id) == 1


# Cooldowns -------------------------------------------------------------------------------

def _leave(world, group_id, user, owner):
    world.joining.leave(group_id, user, user)


def _kick(world, group_id, user, owner):
    world.moderation.kick(group_id, user, owner)


def _reject(world, group_id, user, owner):
    world.joining.leave(group_id, user, user)
    world.clock.advance(COOLDOWN)
    world.joining.request(group_id, user, user)
    world.joining.reject(group_id, user, owner)


def _withdraw(world, group_id, user, owner):
    world.joining.leave(group_id, user, user)
    world.clock.advance(COOLDOWN)
    world.joining.request(group_id, user, user)
    world.joining.withdraw(group_id, user, user)


def _unban(world, group_id, user, owner):
    world.moderation.ban(group_id, user, owner)
    world.moderation.unban(group_id, user, owner)


@pytest.mark.parametrize(
    "way_out,cools_down",
    [(_leave, True), (_kick, True), (_reject, True), (_withdraw, False), (_unban, False)],
    ids=["leave", "kick", "reject", "withdraw", "unban"],
)
def test_the_rejoin_cooldown_follows_leaving_kicks_and_rejections_only(world, way_out, cools_down):
    owner = world.user()
    group_id = world.group(owner, "private", cooldown=COOLDOWN)
    user = world.member(group_id)
    way_out(world, group_id, user, owner)

    if cools_down:
        with pytest.raises(RateLimited) as cooling:
            world.joining.request(group_id, user, user)
        assert cooling.value.code == "rejoin_cooldown" and cooling.value.retry_after == COOLDOWN
        world.clock.advance(COOLDOWN - 1)
        with pytest.raises(RateLimited) as cooling:
            world.joining.request(group_id, user, user)
        assert cooling.value.retry_after == 1
        world.clock.advance(1)
    assert world.joining.request(group_id, user, user)[0] == "request"


def test_changing_the_cooldown_applies_to_those_already_waiting(world):
    owner = world.user()
    group_id = world.group(owner, "open", cooldown=3600)
    user = world.member(group_id)
    world.joining.leave(group_id, user, user)

    world.groups.update(group_id, owner, rejoin_cooldown_seconds=10)
    world.clock.advance(10)

    assert world.joining.request(group_id, user, user)[0] == "membership"


def test_a_zero_cooldown_lets_a_kicked_member_back_at_once(world):
    owner = world.user()
    group_id = world.group(owner, "open", cooldown=0)
    user = world.member(group_id)
    world.moderation.kick(group_id, user, owner)
    assert world.joining.request(group_id, user, user)[0] == "membership"


# Bans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("relation,was_member", [("member", True), ("requester", False), ("stranger", False)])
def test_a_ban_removes_membership_or_request_and_blocks_rejoining(world, relation, was_member):
    owner = world.user()
    group_id = world.group(owner, "private")
    user = {"member": world.member, "requester": world.requester}.get(relation, lambda _: world.user())(group_id)
    count_before = world.member_count(group_id)

    ban = world.moderation.ban(group_id, user, owner)

    assert ban["bannedUntil"] is None
    assert world.state(group_id, user) == "banned"
    assert world.member_count(group_id) == count_before - (1 if was_member else 0)
    assert not world.membership_store.is_member(group_id, user)
    with pytest.raises(Forbidden) as refused:
        world.joining.request(group_id, user, user)
    assert refused.value.code == "banned"
    with pytest.raises(Forbidden):
        world.groups.details(group_id, user)
    with pytest.raises(Forbidden):
        world.roster.members(group_id, user)


def test_a_timed_ban_ends_by_itself(world):
    owner = world.user()
    group_id = world.group(owner, "open")
    user = world.member(group_id)

    ban = world.moderation.ban(group_id, user, owner, duration_seconds=120)

    assert ban["bannedUntil"] == "2030-01-01T12:02:00.000Z"
    world.clock.advance(119)
    with pytest.raises(Forbidden):
        world.joining.request(group_id, user, user)
    world.clock.advance(1)
    assert world.joining.request(group_id, user, user)[0] == "membership"


def test_banning_again_replaces_the_duration(world):
    owner = world.user()
    group_id = world.group(owner, "open")
    user = world.member(group_id)
    world.moderation.ban(group_id, user, owner, duration_seconds=60)
    world.moderation.ban(group_id, user, owner)
    world.clock.advance(3600)
    with pytest.raises(Forbidden):
        world.joining.request(group_id, user, user)
    assert world.member_count(group_id) == 1


def test_unban_lets_the_user_back_at_once_and_needs_a_ban(world):
    owner = world.user()
    group_id = world.group(owner, "open", cooldown=COOLDOWN)
    user = world.member(group_id)
    world.moderation.ban(group_id, user, owner)

    world.moderation.unban(group_id, user, owner)

    assert world.joining.request(group_id, user, user)[0] == "membership"
    with pytest.raises(NotFound) as missing:
        world.moderation.unban(group_id, user, owner)
    assert missing.value.code == "ban_not_found"


def test_the_owner_lists_the_bans_still_in_force(world):
    owner = world.user()
    group_id = world.group(owner)
    for_good, for_a_minute, for_an_hour = world.member(group_id), world.member(group_id), world.user("Hour")
    world.moderation.ban(group_id, for_good, owner)
    world.moderation.ban(group_id, for_a_minute, owner, duration_seconds=60)
    world.moderation.ban(group_id, for_an_hour, owner, duration_seconds=3600)
    world.clock.advance(60)

    first = world.roster.bans(group_id, owner, limit=1)
    rest = world.roster.bans(group_id, owner, limit=1, cursor=first["nextCursor"])

    listed = first["bans"] + rest["bans"]
    assert sorted(ban["userId"] for ban in listed) == sorted([for_good, for_an_hour])
    assert rest["nextCursor"] is None
    assert {ban["userId"]: ban["bannedUntil"] for ban in listed}[for_an_hour] == "2030-01-01T13:00:00.000Z"
    assert {ban["userId"]: ban["name"] for ban in listed}[for_an_hour] == "Hour"


def test_an_unknown_user_cannot_be_banned(world):
    owner = world.user()
    group_id = world.group(owner)
    with pytest.raises(NotFound) as missing:
        world.moderation.ban(group_id, "no-such-user", owner)
    assert missing.value.code == "user_not_found"
    assert world.membership_store.get(group_id, "no-such-user") is None


@pytest.mark.parametrize("action", ["kick", "ban"])
def test_the_owner_cannot_be_kicked_or_banned(world, action):
    owner = world.user()
    group_id = world.group(owner)
    with pytest.raises(Conflict) as refused:
        getattr(world.moderation, action)(group_id, owner, owner)
    assert refused.value.code == "target_is_owner"
    assert world.state(group_id, owner) == "member"


@pytest.mark.parametrize("relation", ["requester", "stranger", "former"])
def test_only_members_can_be_kicked_or_leave(world, relation):
    owner = world.user()
    group_id = world.group(owner, "private")
    if relation == "requester":
        user = world.requester(group_id)
    elif relation == "former":
        user = world.member(group_id)
        world.joining.leave(group_id, user, user)
    else:
        user = world.user()
    with pytest.raises(NotFound):
        world.moderation.kick(group_id, user, owner)
    with pytest.raises(NotFound):
        world.joining.leave(group_id, user, user)
    assert world.member_count(group_id) == 1


# Ownership -------------------------------------------------------------------------------

def test_the_owner_leaves_only_after_handing_ownership_to_a_member(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    with pytest.raises(Conflict) as refused:
        world.joining.leave(group_id, owner, owner)
    assert refused.value.code == "owner_cannot_leave"

    group = world.ownership.transfer(group_id, owner, member, owner)

    assert group["ownerId"] == member
    world.joining.leave(group_id, owner, owner)
    assert world.state(group_id, owner) == "former"
    assert world.membership_store.get(group_id, member)["role"] == "owner"
    assert world.member_count(group_id) == 1
    with pytest.raises(Conflict):
        world.joining.leave(group_id, member, member)


@pytest.mark.parametrize("relation", ["requester", "banned", "stranger", "former"])
def test_ownership_goes_only_to_a_current_member(world, relation):
    owner = world.user()
    group_id = world.group(owner, "private")
    target = world.requester(group_id) if relation == "requester" else world.member(group_id)
    if relation == "banned":
        world.moderation.ban(group_id, target, owner)
    if relation == "former":
        world.joining.leave(group_id, target, target)
    if relation == "stranger":
        target = world.user()

    with pytest.raises(NotFound) as refused:
        world.ownership.transfer(group_id, owner, target, owner)

    assert refused.value.code == "member_not_found"
    assert world.owner_of(group_id) == owner


def test_only_the_owner_transfers_and_not_to_themselves(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    with pytest.raises(Forbidden):
        world.ownership.transfer(group_id, member, owner, member)
    with pytest.raises(Forbidden):
        world.ownership.transfer(group_id, owner, member, member)  # the path names someone else
    with pytest.raises(Conflict):
        world.ownership.transfer(group_id, owner, owner, owner)
    assert world.owner_of(group_id) == owner


def test_a_transfer_that_died_after_locking_blocks_the_new_owner_only_for_the_lease(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    world.membership_store.lock_owner(group_id, member, world.clock())  # step 1, then a crash

    for remove in (lambda: world.joining.leave(group_id, member, member),
                   lambda: world.moderation.kick(group_id, member, owner),
                   lambda: world.moderation.ban(group_id, member, owner)):
        with pytest.raises(Conflict) as refused:
            remove()
        assert refused.value.code == "ownership_changing"
    world.clock.advance(61)

    world.joining.leave(group_id, member, member)
    assert world.state(group_id, member) == "former"
    assert world.owner_of(group_id) == owner


def test_a_transfer_that_died_before_releasing_the_old_owner_leaves_no_second_owner(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    world.membership_store.lock_owner(group_id, member, world.clock())  # step 1
    world.group_store.change_owner(group_id, owner, member, world.clock())  # step 2, then a crash
    world.clock.advance(61)

    world.joining.leave(group_id, owner, owner)  # the old owner's lock is stale: they may go

    with pytest.raises(Conflict):
        world.joining.leave(group_id, member, member)
    assert world.roster.members(group_id, member)["members"] == [
        {"userId": member, "role": "owner", "joinedAt": "2030-01-01T12:00:00.000Z", "name": "Member"}
    ]


def test_a_stale_lock_does_not_stop_a_new_transfer(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    world.membership_store.lock_owner(group_id, member, world.clock())
    with pytest.raises(Conflict):
        world.ownership.transfer(group_id, owner, member, owner)
    world.clock.advance(61)
    assert world.ownership.transfer(group_id, owner, member, owner)["ownerId"] == member


# Settings and reading --------------------------------------------------------------------

def test_only_the_owner_changes_settings_and_bad_ones_change_nothing(world):
    owner = world.user()
    group_id = world.group(owner)
    member = world.member(group_id)
    with pytest.raises(Forbidden):
        world.groups.update(group_id, member, name="Mine now")
    with pytest.raises(InvalidInput):
        world.groups.update(group_id, owner)
    with pytest.raises(InvalidInput):
        world.groups.update(group_id, owner, name="   ")
    assert world.groups.update(group_id, owner, name="  Renamed  ")["name"] == "Renamed"
    assert world.group_store.get(group_id)["nameLower"] == "renamed"


@pytest.mark.parametrize(
    "group_type,relation,sees",
    [
        ("open", "member", "group"), ("open", "stranger", "group"), ("open", "former", "group"),
        ("open", "banned", Forbidden),
        ("private", "member", "group"), ("private", "requester", "preview"), ("private", "stranger", NotFound),
        ("private", "former", NotFound), ("private", "banned", Forbidden),
    ],
)
def test_what_each_relation_sees_of_a_group(world, group_type, relation, sees):
    owner = world.user()
    group_id = world.group(owner, group_type)
    user = world.requester(group_id) if relation == "requester" else world.member(group_id)
    if relation == "stranger":
        user = world.user()
    if relation == "former":
        world.joining.leave(group_id, user, user)
    if relation == "banned":
        world.moderation.ban(group_id, user, owner)

    if isinstance(sees, type):
        with pytest.raises(sees):
            world.groups.details(group_id, user)
        return
    details = world.groups.details(group_id, user)
    if sees == "group":
        assert details["group"]["ownerId"] == owner and details["group"]["memberCount"] >= 1
    else:
        assert set(details["group"]) == {"id", "name", "type"}
        assert details["request"]["state"] == "pending"


def test_group_creation_is_rate_limited(world):
    owner = world.user()
    for _ in range(20):
        world.group(owner)
    with pytest.raises(RateLimited):
        world.group(owner)
    assert len(world.groups.mine(owner, limit=100)["groups"]) == 20
