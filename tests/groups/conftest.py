"""Fixtures for the group tests: the use cases wired to the real database with a clock the
test moves by hand, and a cast of users around one group for route tests."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import services
from chalicelib.core.ids import new_id
from chalicelib.storage.memberships import current_state
from tests.fakes import RecordingPublisher
from tests.helpers import call, new_user


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self):
        self.now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


class WiredGroups:
    """The group use cases wired over the test database (services.build), plus shortcuts to
    set scenes up."""

    def __init__(self, db, clock, publisher, **overrides):
        self.db = db
        self.clock = clock
        self.publisher = publisher
        wired = services.build(db, publisher=publisher, clock=clock, **overrides)
        self.group_store = wired.group_store
        self.membership_store = wired.membership_store
        self.user_store = wired.user_store
        self.groups = wired.groups
        self.joining = wired.group_joining
        self.moderation = wired.group_moderation
        self.roster = wired.group_roster
        self.ownership = wired.group_ownership
        self.roles = wired.group_roles
        self.invites = wired.group_invites

    def user(self, name="Someone"):
        """A new account's id."""
        return self.user_store.create(email=f"{new_id()}@example.com", name=name, password_hash="unused")["_id"]

    def group(self, owner_id, group_type="open", cooldown=0):
        """A new group's id."""
        return self.groups.create(owner_id, name=f"Group {new_id()}", group_type=group_type,
                                  rejoin_cooldown_seconds=cooldown)["id"]

    def member(self, group_id, name="Member"):
        """A new user who is a member of `group_id` (approved by its owner if private)."""
        user_id = self.user(name)
        kind, _ = self.joining.request(group_id, user_id, user_id)
        if kind == "request":
            self.joining.approve(group_id, user_id, self.owner_of(group_id))
        return user_id

    def requester(self, group_id):
        user_id = self.user("Requester")
        self.joining.request(group_id, user_id, user_id)
        return user_id

    def moderator(self, group_id, name="Moderator"):
        """A new member of `group_id` whom its owner made a moderator."""
        user_id = self.member(group_id, name)
        self.roles.promote(group_id, user_id, self.owner_of(group_id))
        return user_id

    def role(self, group_id, user_id):
        return (self.membership_store.get(group_id, user_id) or {}).get("role")

    def owner_of(self, group_id):
        return self.group_store.get(group_id)["ownerId"]

    def state(self, group_id, user_id):
        return current_state(self.membership_store.get(group_id, user_id), self.clock())

    def member_count(self, group_id):
        return self.group_store.get(group_id)["memberCount"]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def wired_groups(db, clock):
    return WiredGroups(db, clock, RecordingPublisher())


class Cast:
    """Route-level scene: one group and a user in each relation to it, with their tokens."""

    def __init__(self, client, group_type):
        self.client = client
        self.users = {}
        self.tokens = {}
        for role in ("owner", "member", "pending", "banned", "outsider", "other"):
            user, token = new_user(client, f"{role}-{new_id()}@example.com".lower(), name=role.title())
            self.users[role], self.tokens[role] = user["id"], token
        status, body, _ = self.call("owner", "POST", "/groups/create", {"name": "Cast group", "type": group_type})
        assert status == 201, body
        self.group_id = body["group"]["id"]
        for role in ("member", "pending", "banned"):
            self.call(role, "POST", f"/groups/{self.group_id}/request/{self.users[role]}")
        if group_type == "private":
            for role in ("member", "banned"):
                self.call("owner", "POST", f"/groups/{self.group_id}/approve/{self.users[role]}")
        status, body, _ = self.call("owner", "POST", f"/groups/{self.group_id}/ban/{self.users['banned']}")
        assert status == 200, body

    def call(self, role, method, path, body=None, **kwargs):
        """`call` as `role` ("anonymous": without a token)."""
        return call(self.client, method, path, body, token=self.tokens.get(role), **kwargs)

    def path(self, template):
        """`template` with {group} and {owner}, {member}, ... filled in."""
        return template.format(group=self.group_id, **self.users)


@pytest.fixture
def private_cast(client):
    return Cast(client, "private")


@pytest.fixture
def open_cast(client):
    return Cast(client, "open")
