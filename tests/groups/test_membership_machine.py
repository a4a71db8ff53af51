"""The membership rules as a state machine (hypothesis): random sequences of requests,
approvals, rejections, withdrawals, leaves, kicks, bans, unbans, ownership transfers and
waiting, by the owner or anyone else, through the real use cases and the test database.

A small model predicts each step's outcome (done, or which refusal) and every user's state.
After every step the stored data must agree with it, and: the group has exactly one owner,
who is a member; memberCount is the real count; a banned user is never a member; a pending
requester is not a member.
"""
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from chalicelib.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
)
from tests.fakes import RecordingPublisher
from tests.groups.conftest import FakeClock, WiredGroups

USERS = 3  # the first owner and two others
COOLDOWN = 60  # a cooldown of 0 is the same rules with the cooldown never in force
people = st.integers(min_value=0, max_value=USERS - 1)
# Who acts on the group: its owner of the moment (most often), or anyone.
actors = st.one_of(st.just("owner"), people)
MACHINE_SETTINGS = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    # Without shrinking: replaying against the database would take minutes, and 25 steps read well.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


class Model:
    """What the rules say each user's membership is: state, ban end, cooldown start."""

    def __init__(self, group_type, cooldown, owner, clock):
        self.group_type = group_type
        self.cooldown = cooldown
        self.owner = owner
        self.clock = clock
        self.users = {}  # user -> {"state", "until", "cooling_from"}; absent: no record at all
        self.set(owner, "member")

    def set(self, user, state, until=None, cooling_from=None):
        self.users[user] = {"state": state, "until": until, "cooling_from": cooling_from}

    def state(self, user):
        """The state now (a ban that ran out is "former"); None without a record."""
        record = self.users.get(user)
        if record is None:
            return None
        if record["state"] == "banned" and record["until"] is not None and record["until"] <= self.clock():
            return "former"
        return record["state"]

    def cooling(self, user):
        record = self.users.get(user)
        return (self.state(user) == "former" and record["cooling_from"] is not None
                and record["cooling_from"] + timedelta(seconds=self.cooldown) > self.clock())

    def hidden_from(self, user):
        """A private group is hidden from whoever has no record in it."""
        return self.group_type == "private" and user not in self.users

    def refusal_of_owner_action(self, actor):
        if actor == self.owner:
            return None
        return (NotFound, "group_not_found") if self.hidden_from(actor) else (Forbidden, "not_owner")

    def members(self):
        return {user for user in self.users if self.state(user) == "member"}


class MembershipMachine(RuleBasedStateMachine):
    def __init__(self, db):
        super().__init__()
        self.db = db

    @initialize(group_type=st.sampled_from(["open", "private"]))
    def create_group(self, group_type):
        self.clock = FakeClock()
        self.wired_groups = WiredGroups(self.db, self.clock, RecordingPublisher())
        self.ids = [self.wired_groups.user(f"User {n}") for n in range(USERS)]
        self.group_id = self.wired_groups.group(self.ids[0], group_type, COOLDOWN)
        self.model = Model(group_type, COOLDOWN, self.ids[0], self.clock)

    # Rules --------------------------------------------------------------------------------

    @rule(who=people)
    def ask_to_join(self, who):
        user, model = self.ids[who], self.model
        state = model.state(user)
        expected = None
        if state == "banned":
            expected = (Forbidden, "banned")
        elif model.cooling(user):
            expected = (RateLimited, "rejoin_cooldown")
        self._expect(expected, self.wired_groups.joining.request, self.group_id, user, user)
        if expected is None and state not in ("member", "pending"):
            model.set(user, "member" if model.group_type == "open" else "pending")

    @rule(actor=actors, who=people)
    def approve(self, actor, who):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        state = model.state(user)
        expected = model.refusal_of_owner_action(actor)
        if expected is None and state == "banned":
            expected = (Conflict, "banned")
        elif expected is None and state not in ("pending", "member"):
            expected = (NotFound, "request_not_found")
        self._expect(expected, self.wired_groups.joining.approve, self.group_id, user, actor)
        if expected is None:
            model.set(user, "member")

    @rule(actor=actors, who=people)
    def reject(self, actor, who):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        expected = model.refusal_of_owner_action(actor)
        if expected is None and model.state(user) != "pending":
            expected = (NotFound, "request_not_found")
        self._expect(expected, self.wired_groups.joining.reject, self.group_id, user, actor)
        if expected is None:
            model.set(user, "former", cooling_from=self.clock())

    @rule(who=people)
    def withdraw(self, who):
        user, model = self.ids[who], self.model
        expected = None
        if model.hidden_from(user):
            expected = (NotFound, "group_not_found")
        elif model.state(user) != "pending":
            expected = (NotFound, "request_not_found")
        self._expect(expected, self.wired_groups.joining.withdraw, self.group_id, user, user)
        if expected is None:
            model.set(user, "former")

    @rule(who=people)
    def leave(self, who):
        user, model = self.ids[who], self.model
        expected = None
        if model.hidden_from(user):
            expected = (NotFound, "group_not_found")
        elif user == model.owner:
            expected = (Conflict, "owner_cannot_leave")
        elif model.state(user) != "member":
            expected = (NotFound, "not_a_member")
        self._expect(expected, self.wired_groups.joining.leave, self.group_id, user, user)
        if expected is None:
            model.set(user, "former", cooling_from=self.clock())

    @rule(actor=actors, who=people)
    def kick(self, actor, who):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        expected = model.refusal_of_owner_action(actor)
        if expected is None and user == model.owner:
            expected = (Conflict, "target_is_owner")
        elif expected is None and model.state(user) != "member":
            expected = (NotFound, "member_not_found")
        self._expect(expected, self.wired_groups.moderation.kick, self.group_id, user, actor)
        if expected is None:
            model.set(user, "former", cooling_from=self.clock())

    @rule(actor=actors, who=people, seconds=st.sampled_from([None, 30, 300]))
    def ban(self, actor, who, seconds):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        expected = model.refusal_of_owner_action(actor)
        if expected is None and user == model.owner:
            expected = (Conflict, "target_is_owner")
        self._expect(expected, self.wired_groups.moderation.ban, self.group_id, user, actor, seconds)
        if expected is None:
            model.set(user, "banned", until=self.clock() + timedelta(seconds=seconds) if seconds else None)

    @rule(actor=actors, who=people)
    def unban(self, actor, who):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        expected = model.refusal_of_owner_action(actor)
        if expected is None and model.users.get(user, {}).get("state") != "banned":  # a ban that ran out too
            expected = (NotFound, "ban_not_found")
        self._expect(expected, self.wired_groups.moderation.unban, self.group_id, user, actor)
        if expected is None:
            model.set(user, "former")

    @rule(actor=actors, who=people)
    def transfer_ownership(self, actor, who):
        actor, user, model = self._actor(actor), self.ids[who], self.model
        expected = model.refusal_of_owner_action(actor)
        if expected is None and user == model.owner:
            expected = (Conflict, "already_owner")
        elif expected is None and model.state(user) != "member":
            expected = (NotFound, "member_not_found")
        self._expect(expected, self.wired_groups.ownership.transfer, self.group_id, actor, user, actor)
        if expected is None:
            model.owner = user

    @rule(seconds=st.sampled_from([1, 29, 61, 301]))
    def wait(self, seconds):
        self.clock.advance(seconds)

    def _actor(self, actor):
        return self.model.owner if actor == "owner" else self.ids[actor]

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def exactly_one_owner_who_is_a_member(self):
        group = self.wired_groups.group_store.get(self.group_id)
        assert group["ownerId"] == self.model.owner
        assert self.wired_groups.state(self.group_id, group["ownerId"]) == "member"
        listed = self.wired_groups.roster.members(self.group_id, group["ownerId"], limit=USERS + 1)["members"]
        assert [member["userId"] for member in listed if member["role"] == "owner"] == [group["ownerId"]]

    @invariant()
    def member_count_is_the_real_count(self):
        stored = self.wired_groups.group_store.get(self.group_id)["memberCount"]
        assert stored == self.wired_groups.membership_store.count_members(self.group_id) == len(self.model.members())

    @invariant()
    def every_state_is_the_one_the_rules_give(self):
        for user in self.ids:
            assert self.wired_groups.state(self.group_id, user) == self.model.state(user), user

    @invariant()
    def banned_and_pending_users_are_never_members(self):
        members = set(self.wired_groups.membership_store.member_ids(self.group_id))
        assert members == self.model.members()
        for user in self.ids:
            if self.wired_groups.state(self.group_id, user) in ("banned", "pending"):
                assert user not in members
                assert not self.wired_groups.membership_store.is_member(self.group_id, user)

    # ---------------------------------------------------------------------------------------

    def _expect(self, expected, action, *args):
        """Run `action`: it must succeed when `expected` is None, else refuse with that (kind, code)."""
        try:
            action(*args)
        except DomainError as refused:
            assert expected is not None, f"refused unexpectedly: {refused.code}"
            assert isinstance(refused, expected[0]) and refused.code == expected[1], \
                f"expected {expected[1]}, refused with {refused.code}"
        else:
            assert expected is None, f"expected {expected[1]}, but it was done"


def test_membership_rules_hold_in_any_order(db):
    run_state_machine_as_test(lambda: MembershipMachine(db), settings=MACHINE_SETTINGS)
