"""Races with real threads against the real wire protocol: each change must hold up when
the same thing, or conflicting things, happen at the same moment."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pymongo import MongoClient

from chalicelib.core.clock import utcnow
from chalicelib.core.config import settings
from chalicelib.core.errors import Conflict, DomainError, NotFound
from tests.fakes import RecordingPublisher
from tests.groups.conftest import WiredGroups

ROUNDS = 8


@pytest.fixture
def racing(db, mongo_uri):
    """The use cases on a client with a pool large enough that threads really overlap."""
    client = MongoClient(mongo_uri, maxPoolSize=32, tz_aware=True)
    try:
        yield WiredGroups(client[settings().mongo_db], utcnow, RecordingPublisher())
    finally:
        client.close()


def race(*actions):
    """Run `actions` at once (released together by a barrier); their results or DomainErrors."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait()
        try:
            return action()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def assert_consistent(wired_groups, group_id):
    """One owner, who is a member holding the lock; memberCount matches the memberships."""
    group = wired_groups.group_store.get(group_id)
    store = wired_groups.membership_store
    assert store.is_member(group_id, group["ownerId"])
    assert group["memberCount"] == store.count_members(group_id)
    locked = [doc["userId"] for doc in store.in_state(group_id, "member", limit=1000) if doc["role"] == "owner"]
    assert locked == [group["ownerId"]]


class CountingRefusals:
    """Wraps a MembershipStore and counts the joins its precondition refused."""

    def __init__(self, store):
        self._store = store
        self.refused = 0
        self._lock = threading.Lock()

    def enter(self, *args):
        doc = self._store.enter(*args)
        if doc is None:
            with self._lock:
                self.refused += 1
        return doc

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.mark.parametrize("group_type,state", [("open", "member"), ("private", "pending")])
def test_parallel_requests_by_one_user_make_one_membership(racing, group_type, state):
    counting = CountingRefusals(racing.membership_store)
    racing = WiredGroups(racing.db, utcnow, RecordingPublisher(),
                   membership_store=counting)
    owner = racing.user()
    for _ in range(ROUNDS):
        group_id = racing.group(owner, group_type)
        user = racing.user()
        counting.refused = 0

        results = race(*[lambda: racing.joining.request(group_id, user, user)] * 12)

        assert all(not isinstance(result, Exception) for result in results), results
        assert {result[1]["state"] for result in results} == {state}
        assert counting.refused == 11  # exactly one update won; the precondition refused the rest
        assert racing.state(group_id, user) == state
        assert_consistent(racing, group_id)
    assert len(racing.publisher.of_type("member.joined" if state == "member" else "request.created")) == ROUNDS


def test_parallel_joins_by_many_users_are_all_counted(racing):
    owner = racing.user()
    group_id = racing.group(owner, "open")
    users = [racing.user() for _ in range(24)]

    race(*[lambda user=user: racing.joining.request(group_id, user, user) for user in users])

    assert racing.member_count(group_id) == 25
    assert_consistent(racing, group_id)


def test_a_ban_racing_an_approval_leaves_the_user_banned(racing):
    owner = racing.user()
    group_id = racing.group(owner, "private")
    for _ in range(ROUNDS):
        user = racing.requester(group_id)

        approval, _ = race(lambda: racing.joining.approve(group_id, user, owner),
                           lambda: racing.moderation.ban(group_id, user, owner))

        assert racing.state(group_id, user) == "banned"
        assert not racing.membership_store.is_member(group_id, user)
        assert isinstance(approval, dict) or getattr(approval, "code", None) == "banned"
        assert_consistent(racing, group_id)


def test_a_ban_racing_a_join_leaves_the_user_banned(racing):
    owner = racing.user()
    group_id = racing.group(owner, "open")
    for _ in range(ROUNDS):
        user = racing.user()
        race(lambda: racing.joining.request(group_id, user, user),
             lambda: racing.moderation.ban(group_id, user, owner))
        assert racing.state(group_id, user) == "banned"
        assert_consistent(racing, group_id)


def test_two_transfers_at_once_make_one_owner(racing):
    owner = racing.user()
    for _ in range(ROUNDS):
        group_id = racing.group(owner)
        first, second = racing.member(group_id), racing.member(group_id)

        results = race(lambda: racing.ownership.transfer(group_id, owner, first, owner),
                       lambda: racing.ownership.transfer(group_id, owner, second, owner))

        won = [result for result in results if isinstance(result, dict)]
        lost = [result for result in results if isinstance(result, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], Conflict) or lost[0].code == "not_owner"
        assert racing.owner_of(group_id) == won[0]["ownerId"] in (first, second)
        assert_consistent(racing, group_id)


def test_the_same_transfer_twice_at_once_happens_once(racing):
    owner = racing.user()
    for _ in range(ROUNDS):
        group_id = racing.group(owner)
        member = racing.member(group_id)
        results = race(*[lambda: racing.ownership.transfer(group_id, owner, member, owner)] * 2)
        assert sum(isinstance(result, dict) for result in results) == 1, results
        assert racing.owner_of(group_id) == member
        assert_consistent(racing, group_id)
    assert len(racing.publisher.of_type("owner.changed")) == ROUNDS


def test_leaving_while_ownership_is_handed_over_never_leaves_an_absent_owner(racing):
    owner = racing.user()
    for _ in range(ROUNDS):
        group_id = racing.group(owner)
        member = racing.member(group_id)

        transfer, leave = race(lambda: racing.ownership.transfer(group_id, owner, member, owner),
                               lambda: racing.joining.leave(group_id, member, member))

        if isinstance(transfer, dict):
            assert isinstance(leave, Conflict)  # the new owner may not leave
            assert racing.owner_of(group_id) == member
        else:
            assert leave is None and isinstance(transfer, (NotFound, Conflict))
            assert racing.owner_of(group_id) == owner
        assert_consistent(racing, group_id)


def test_a_kick_racing_a_leave_counts_the_member_out_once(racing):
    owner = racing.user()
    group_id = racing.group(owner)
    for _ in range(ROUNDS):
        member = racing.member(group_id)
        results = race(lambda: racing.moderation.kick(group_id, member, owner),
                       lambda: racing.joining.leave(group_id, member, member))
        assert sum(result is None for result in results) == 1, results
        assert racing.state(group_id, member) == "former"
        assert_consistent(racing, group_id)


# Moderators and invite links -------------------------------------------------------------------


def test_a_promotion_racing_the_owners_ban_never_leaves_a_banned_moderator(racing):
    owner = racing.user()
    group_id = racing.group(owner)
    for _ in range(ROUNDS):
        member = racing.member(group_id)

        race(lambda: racing.roles.promote(group_id, member, owner),
             lambda: racing.moderation.ban(group_id, member, owner))

        doc = racing.membership_store.get(group_id, member)
        assert doc["state"] == "banned" and doc["role"] == "member", doc
        assert_consistent(racing, group_id)


def test_a_promotion_racing_a_moderators_ban_ends_one_way_or_the_other(racing):
    owner = racing.user()
    group_id = racing.group(owner)
    moderator = racing.moderator(group_id)
    for _ in range(ROUNDS):
        member = racing.member(group_id)

        promoted, banned = race(lambda: racing.roles.promote(group_id, member, owner),
                                lambda: racing.moderation.ban(group_id, member, moderator))

        doc = racing.membership_store.get(group_id, member)
        if doc["state"] == "banned":
            assert doc["role"] == "member" and isinstance(promoted, NotFound), (doc, promoted)
        else:
            assert doc["role"] == "moderator" and getattr(banned, "code", None) == "target_is_moderator", banned
        assert_consistent(racing, group_id)


def test_accepting_an_invite_racing_a_ban_leaves_the_user_banned_and_counted_once(racing):
    owner = racing.user()
    group_id = racing.group(owner, "private")
    for _ in range(ROUNDS):
        invite = racing.invites.create(group_id, owner, max_uses=1)
        user = racing.user()

        accepted, _ = race(lambda: racing.invites.accept(invite["code"], user),
                           lambda: racing.moderation.ban(group_id, user, owner))

        assert racing.state(group_id, user) == "banned"
        assert isinstance(accepted, dict) or accepted.code == "banned", accepted
        uses = racing.db["invites"].find_one({"_id": invite["id"]})["uses"]
        assert uses == (1 if isinstance(accepted, dict) else 0)
        assert_consistent(racing, group_id)


def test_parallel_accepts_never_go_past_max_uses(racing):
    owner = racing.user()
    group_id = racing.group(owner, "private")
    invite = racing.invites.create(group_id, owner, max_uses=3)
    users = [racing.user() for _ in range(12)]

    results = race(*[lambda user=user: racing.invites.accept(invite["code"], user) for user in users])

    joined = [user for user, result in zip(users, results) if isinstance(result, dict)]
    assert len(joined) == 3, results
    assert all(result.code == "invite_not_found" for result in results if isinstance(result, Exception))
    assert racing.db["invites"].find_one({"_id": invite["id"]})["uses"] == 3
    assert racing.member_count(group_id) == 4
    assert_consistent(racing, group_id)


def test_a_demotion_racing_a_transfer_to_that_moderator_never_keeps_a_demoted_moderator(racing):
    owner = racing.user()
    for _ in range(ROUNDS):
        group_id = racing.group(owner)
        moderator = racing.moderator(group_id)

        transfer, demotion = race(lambda: racing.ownership.transfer(group_id, owner, moderator, owner),
                                  lambda: racing.roles.demote(group_id, moderator, owner))

        if demotion is None and racing.owner_of(group_id) == owner:
            assert racing.role(group_id, moderator) == "member"  # the demotion held
        if racing.owner_of(group_id) == moderator:
            assert racing.role(group_id, owner) == "member"
        assert isinstance(transfer, dict) or isinstance(transfer, DomainError), transfer
        assert_consistent(racing, group_id)
