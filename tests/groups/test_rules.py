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
def test_asking_to_join_joins_an_open_group_and_queues_for_a_private_one(wired_groups, group_type, kind, state, count, event):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, group_type)
    user = wired_groups.user()

    first = wired_groups.joining.request(group_id, user, user)
    again = wired_groups.joining.request(group_id, user, user)

    assert first[0] == kind and again == first
    assert wired_groups.state(group_id, user) == state
    assert wired_groups.member_count(group_id) == count
    assert len(wired_groups.publisher.of_type(event)) == 1  # asking again announces nothing


def test_a_member_of_a_private_group_asking_again_gets_their_membership(wired_groups):
    group_id = wired_groups.group(wired_groups.user(), "private")
    member = wired_groups.member(group_id)
    assert wired_groups.joining.request(group_id, member, member)[0] == "membership"


def test_nobody_can_ask_to_join_for_someone_else(wired_groups):
    group_id = wired_groups.group(wired_groups.user())
    user, other = wired_groups.user(), wired_groups.user()
    with pytest.raises(Forbidden) as refused:
        wired_groups.joining.request(group_id, other, user)
    assert refused.value.code == "user_mismatch"
    assert wired_groups.state(group_id, other) is None


def test_an_unknown_group_is_not_found(wired_groups):
    user = wired_groups.user()
    with pytest.raises(NotFound) as missing:
        wired_groups.joining.request("no-such-group", user, user)
    assert missing.value.code == "group_not_found"


def test_approval_makes_a_member_and_counts_them(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    user = wired_groups.requester(group_id)

    membership = wired_groups.joining.approve(group_id, user, owner)

    assert membership["state"] == "member" and membership["role"] == "member"
    assert wired_groups.state(group_id, user) == "member"
    assert wired_groups.member_count(group_id) == 2
    assert wired_groups.joining.approve(group_id, user, owner) == membership  # approving twice changes nothing
    assert wired_groups.member_count(group_id) == 2


@pytest.mark.parametrize(
    "relation,approval_error", [("outsider", "request_not_found"), ("withdrawn", "request_not_found"),
                                ("banned", "banned")]
)
def test_only_a_pending_request_can_be_approved_or_rejected(wired_groups, relation, approval_error):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    user = wired_groups.user()
    if relation == "withdrawn":
        wired_groups.joining.request(group_id, user, user)
        wired_groups.joining.withdraw(group_id, user, user)
    if relation == "banned":
        wired_groups.moderation.ban(group_id, user, owner)

    with pytest.raises((NotFound, Conflict)) as refused:
        wired_groups.joining.approve(group_id, user, owner)
    assert refused.value.code == approval_error
    with pytest.raises(NotFound) as refused:
        wired_groups.joining.reject(group_id, user, owner)
    assert refused.value.code == "request_not_found"
    assert wired_groups.state(group_id, user) == {"outsider": None, "withdrawn": "former", "banned": "banned"}[relation]
    assert wired_groups.member_count(group_id) == 1


# Cooldowns -------------------------------------------------------------------------------

def _leave(wired_groups, group_id, user, owner):
    wired_groups.joining.leave(group_id, user, user)


def _kick(wired_groups, group_id, user, owner):
    wired_groups.moderation.kick(group_id, user, owner)


def _reject(wired_groups, group_id, user, owner):
    wired_groups.joining.leave(group_id, user, user)
    wired_groups.clock.advance(COOLDOWN)
    wired_groups.joining.request(group_id, user, user)
    wired_groups.joining.reject(group_id, user, owner)


def _withdraw(wired_groups, group_id, user, owner):
    wired_groups.joining.leave(group_id, user, user)
    wired_groups.clock.advance(COOLDOWN)
    wired_groups.joining.request(group_id, user, user)
    wired_groups.joining.withdraw(group_id, user, user)


def _unban(wired_groups, group_id, user, owner):
    wired_groups.moderation.ban(group_id, user, owner)
    wired_groups.moderation.unban(group_id, user, owner)


@pytest.mark.parametrize(
    "way_out,cools_down",
    [(_leave, True), (_kick, True), (_reject, True), (_withdraw, False), (_unban, False)],
    ids=["leave", "kick", "reject", "withdraw", "unban"],
)
def test_the_rejoin_cooldown_follows_leaving_kicks_and_rejections_only(wired_groups, way_out, cools_down):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private", cooldown=COOLDOWN)
    user = wired_groups.member(group_id)
    way_out(wired_groups, group_id, user, owner)

    if cools_down:
        with pytest.raises(RateLimited) as cooling:
            wired_groups.joining.request(group_id, user, user)
        assert cooling.value.code == "rejoin_cooldown" and cooling.value.retry_after == COOLDOWN
        wired_groups.clock.advance(COOLDOWN - 1)
        with pytest.raises(RateLimited) as cooling:
            wired_groups.joining.request(group_id, user, user)
        assert cooling.value.retry_after == 1
        wired_groups.clock.advance(1)
    assert wired_groups.joining.request(group_id, user, user)[0] == "request"


def test_changing_the_cooldown_applies_to_those_already_waiting(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "open", cooldown=3600)
    user = wired_groups.member(group_id)
    wired_groups.joining.leave(group_id, user, user)

    wired_groups.groups.update(group_id, owner, rejoin_cooldown_seconds=10)
    wired_groups.clock.advance(10)

    assert wired_groups.joining.request(group_id, user, user)[0] == "membership"


def test_a_zero_cooldown_lets_a_kicked_member_back_at_once(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "open", cooldown=0)
    user = wired_groups.member(group_id)
    wired_groups.moderation.kick(group_id, user, owner)
    assert wired_groups.joining.request(group_id, user, user)[0] == "membership"


# Bans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("relation,was_member", [("member", True), ("requester", False), ("stranger", False)])
def test_a_ban_removes_membership_or_request_and_blocks_rejoining(wired_groups, relation, was_member):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    user = {"member": wired_groups.member, "requester": wired_groups.requester}.get(relation, lambda _: wired_groups.user())(group_id)
    count_before = wired_groups.member_count(group_id)

    ban = wired_groups.moderation.ban(group_id, user, owner)

    assert ban["bannedUntil"] is None
    assert wired_groups.state(group_id, user) == "banned"
    assert wired_groups.member_count(group_id) == count_before - (1 if was_member else 0)
    assert not wired_groups.membership_store.is_member(group_id, user)
    with pytest.raises(Forbidden) as refused:
        wired_groups.joining.request(group_id, user, user)
    assert refused.value.code == "banned"
    with pytest.raises(Forbidden):
        wired_groups.groups.details(group_id, user)
    with pytest.raises(Forbidden):
        wired_groups.roster.members(group_id, user)


def test_a_timed_ban_ends_by_itself(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "open")
    user = wired_groups.member(group_id)

    ban = wired_groups.moderation.ban(group_id, user, owner, duration_seconds=120)

    assert ban["bannedUntil"] == "2030-01-01T12:02:00.000Z"
    wired_groups.clock.advance(119)
    with pytest.raises(Forbidden):
        wired_groups.joining.request(group_id, user, user)
    wired_groups.clock.advance(1)
    assert wired_groups.joining.request(group_id, user, user)[0] == "membership"


def test_banning_again_replaces_the_duration(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "open")
    user = wired_groups.member(group_id)
    wired_groups.moderation.ban(group_id, user, owner, duration_seconds=60)
    wired_groups.moderation.ban(group_id, user, owner)
    wired_groups.clock.advance(3600)
    with pytest.raises(Forbidden):
        wired_groups.joining.request(group_id, user, user)
    assert wired_groups.member_count(group_id) == 1


def test_unban_lets_the_user_back_at_once_and_needs_a_ban(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "open", cooldown=COOLDOWN)
    user = wired_groups.member(group_id)
    wired_groups.moderation.ban(group_id, user, owner)

    wired_groups.moderation.unban(group_id, user, owner)

    assert wired_groups.joining.request(group_id, user, user)[0] == "membership"
    with pytest.raises(NotFound) as missing:
        wired_groups.moderation.unban(group_id, user, owner)
    assert missing.value.code == "ban_not_found"


def test_the_owner_lists_the_bans_still_in_force(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    for_good, for_a_minute, for_an_hour = wired_groups.member(group_id), wired_groups.member(group_id), wired_groups.user("Hour")
    wired_groups.moderation.ban(group_id, for_good, owner)
    wired_groups.moderation.ban(group_id, for_a_minute, owner, duration_seconds=60)
    wired_groups.moderation.ban(group_id, for_an_hour, owner, duration_seconds=3600)
    wired_groups.clock.advance(60)

    first = wired_groups.roster.bans(group_id, owner, limit=1)
    rest = wired_groups.roster.bans(group_id, owner, limit=1, cursor=first["nextCursor"])

    listed = first["bans"] + rest["bans"]
    assert sorted(ban["userId"] for ban in listed) == sorted([for_good, for_an_hour])
    assert rest["nextCursor"] is None
    assert {ban["userId"]: ban["bannedUntil"] for ban in listed}[for_an_hour] == "2030-01-01T13:00:00.000Z"
    assert {ban["userId"]: ban["name"] for ban in listed}[for_an_hour] == "Hour"


def test_an_unknown_user_cannot_be_banned(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    with pytest.raises(NotFound) as missing:
        wired_groups.moderation.ban(group_id, "no-such-user", owner)
    assert missing.value.code == "user_not_found"
    assert wired_groups.membership_store.get(group_id, "no-such-user") is None


@pytest.mark.parametrize("action", ["kick", "ban"])
def test_the_owner_cannot_be_kicked_or_banned(wired_groups, action):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    with pytest.raises(Conflict) as refused:
        getattr(wired_groups.moderation, action)(group_id, owner, owner)
    assert refused.value.code == "target_is_owner"
    assert wired_groups.state(group_id, owner) == "member"


@pytest.mark.parametrize("relation", ["requester", "stranger", "former"])
def test_only_members_can_be_kicked_or_leave(wired_groups, relation):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    if relation == "requester":
        user = wired_groups.requester(group_id)
    elif relation == "former":
        user = wired_groups.member(group_id)
        wired_groups.joining.leave(group_id, user, user)
    else:
        user = wired_groups.user()
    with pytest.raises(NotFound):
        wired_groups.moderation.kick(group_id, user, owner)
    with pytest.raises(NotFound):
        wired_groups.joining.leave(group_id, user, user)
    assert wired_groups.member_count(group_id) == 1


# Ownership -------------------------------------------------------------------------------

def test_the_owner_leaves_only_after_handing_ownership_to_a_member(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    with pytest.raises(Conflict) as refused:
        wired_groups.joining.leave(group_id, owner, owner)
    assert refused.value.code == "owner_cannot_leave"

    group = wired_groups.ownership.transfer(group_id, owner, member, owner)

    assert group["ownerId"] == member
    wired_groups.joining.leave(group_id, owner, owner)
    assert wired_groups.state(group_id, owner) == "former"
    assert wired_groups.membership_store.get(group_id, member)["role"] == "owner"
    assert wired_groups.member_count(group_id) == 1
    with pytest.raises(Conflict):
        wired_groups.joining.leave(group_id, member, member)


@pytest.mark.parametrize("relation", ["requester", "banned", "stranger", "former"])
def test_ownership_goes_only_to_a_current_member(wired_groups, relation):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, "private")
    target = wired_groups.requester(group_id) if relation == "requester" else wired_groups.member(group_id)
    if relation == "banned":
        wired_groups.moderation.ban(group_id, target, owner)
    if relation == "former":
        wired_groups.joining.leave(group_id, target, target)
    if relation == "stranger":
        target = wired_groups.user()

    with pytest.raises(NotFound) as refused:
        wired_groups.ownership.transfer(group_id, owner, target, owner)

    assert refused.value.code == "member_not_found"
    assert wired_groups.owner_of(group_id) == owner


def test_only_the_owner_transfers_and_not_to_themselves(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    with pytest.raises(Forbidden):
        wired_groups.ownership.transfer(group_id, member, owner, member)
    with pytest.raises(Forbidden):
        wired_groups.ownership.transfer(group_id, owner, member, member)  # the path names someone else
    with pytest.raises(Conflict):
        wired_groups.ownership.transfer(group_id, owner, owner, owner)
    assert wired_groups.owner_of(group_id) == owner


def test_a_transfer_that_died_after_locking_blocks_the_new_owner_only_for_the_lease(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    wired_groups.membership_store.lock_owner(group_id, member, wired_groups.clock())  # step 1, then a crash

    for remove in (lambda: wired_groups.joining.leave(group_id, member, member),
                   lambda: wired_groups.moderation.kick(group_id, member, owner),
                   lambda: wired_groups.moderation.ban(group_id, member, owner)):
        with pytest.raises(Conflict) as refused:
            remove()
        assert refused.value.code == "ownership_changing"
    wired_groups.clock.advance(61)

    wired_groups.joining.leave(group_id, member, member)
    assert wired_groups.state(group_id, member) == "former"
    assert wired_groups.owner_of(group_id) == owner


def test_a_transfer_that_died_before_releasing_the_old_owner_leaves_no_second_owner(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    wired_groups.membership_store.lock_owner(group_id, member, wired_groups.clock())  # step 1
    wired_groups.group_store.change_owner(group_id, owner, member, wired_groups.clock())  # step 2, then a crash
    wired_groups.clock.advance(61)

    wired_groups.joining.leave(group_id, owner, owner)  # the old owner's lock is stale: they may go

    with pytest.raises(Conflict):
        wired_groups.joining.leave(group_id, member, member)
    assert wired_groups.roster.members(group_id, member)["members"] == [
        {"userId": member, "role": "owner", "joinedAt": "2030-01-01T12:00:00.000Z", "name": "Member"}
    ]


def test_a_stale_lock_does_not_stop_a_new_transfer(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    wired_groups.membership_store.lock_owner(group_id, member, wired_groups.clock())
    with pytest.raises(Conflict):
        wired_groups.ownership.transfer(group_id, owner, member, owner)
    wired_groups.clock.advance(61)
    assert wired_groups.ownership.transfer(group_id, owner, member, owner)["ownerId"] == member


# Settings and reading --------------------------------------------------------------------

def test_only_the_owner_changes_settings_and_bad_ones_change_nothing(wired_groups):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner)
    member = wired_groups.member(group_id)
    with pytest.raises(Forbidden):
        wired_groups.groups.update(group_id, member, name="Mine now")
    with pytest.raises(InvalidInput):
        wired_groups.groups.update(group_id, owner)
    with pytest.raises(InvalidInput):
        wired_groups.groups.update(group_id, owner, name="   ")
    assert wired_groups.groups.update(group_id, owner, name="  Renamed  ")["name"] == "Renamed"
    assert wired_groups.group_store.get(group_id)["nameLower"] == "renamed"


@pytest.mark.parametrize(
    "group_type,relation,sees",
    [
        ("open", "member", "group"), ("open", "stranger", "group"), ("open", "former", "group"),
        ("open", "banned", Forbidden),
        ("private", "member", "group"), ("private", "requester", "preview"), ("private", "stranger", NotFound),
        ("private", "former", NotFound), ("private", "banned", Forbidden),
    ],
)
def test_what_each_relation_sees_of_a_group(wired_groups, group_type, relation, sees):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, group_type)
    user = wired_groups.requester(group_id) if relation == "requester" else wired_groups.member(group_id)
    if relation == "stranger":
        user = wired_groups.user()
    if relation == "former":
        wired_groups.joining.leave(group_id, user, user)
    if relation == "banned":
        wired_groups.moderation.ban(group_id, user, owner)

    if isinstance(sees, type):
        with pytest.raises(sees):
            wired_groups.groups.details(group_id, user)
        return
    details = wired_groups.groups.details(group_id, user)
    if sees == "group":
        assert details["group"]["ownerId"] == owner and details["group"]["memberCount"] >= 1
    else:
        assert set(details["group"]) == {"id", "name", "type"}
        assert details["request"]["state"] == "pending"


def test_group_creation_is_rate_limited(wired_groups):
    owner = wired_groups.user()
    for _ in range(20):
        wired_groups.group(owner)
    with pytest.raises(RateLimited):
        wired_groups.group(owner)
    assert len(wired_groups.groups.mine(owner, limit=100)["groups"]) == 20
