"""The membership state machine against the real wire protocol: every transition from every
starting state, as one table. A refused transition must leave the document untouched."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.storage.groups import GroupStore
from chalicelib.storage.memberships import MembershipStore, membership_id

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
COOLDOWN = 60
GROUP = "group-0001"
USER = "user-00001"

# Starting documents (None: no document at all).
STARTS = {
    "none": None,
    "member": {"state": "member", "role": "member"},
    "pending": {"state": "pending", "role": "member"},
    "banned": {"state": "banned", "role": "member", "bannedUntil": None},
    "ban_running": {"state": "banned", "role": "member", "bannedUntil": NOW + timedelta(hours=1)},
    "ban_expired": {"state": "banned", "role": "member", "bannedUntil": NOW - timedelta(seconds=1)},
    "cooling": {"state": "former", "role": "member", "cooldownFrom": NOW - timedelta(seconds=COOLDOWN - 1)},
    "cooled": {"state": "former", "role": "member", "cooldownFrom": NOW - timedelta(seconds=COOLDOWN)},
    "withdrawn": {"state": "former", "role": "member"},
    "fresh_lock": {"state": "member", "role": "owner", "lockedAt": NOW - timedelta(seconds=59)},
    "stale_lock": {"state": "member", "role": "owner", "lockedAt": NOW - timedelta(seconds=61)},
}


def _join(store):
    return store.enter(GROUP, USER, "member", NOW, COOLDOWN)


def _ask(store):
    return store.enter(GROUP, USER, "pending", NOW, COOLDOWN)


OPERATIONS = {
    "join": _join,
    "ask": _ask,
    "approve": lambda store: store.approve(GROUP, USER, NOW),
    "reject": lambda store: store.drop_request(GROUP, USER, NOW, "rejected", cooldown=True),
    "remove": lambda store: store.remove(GROUP, USER, NOW, "left"),
    "ban": lambda store: store.ban(GROUP, USER, NOW, None, "owner-0001"),
    "unban": lambda store: store.unban(GROUP, USER, NOW),
    "lock": lambda store: store.lock_owner(GROUP, USER, NOW),
}

# operation -> the (state, role) each starting state ends in; absent: refused, unchanged.
EXPECTED = {
    "join": {"none": ("member", "member"), "ban_expired": ("member", "member"), "cooled": ("member", "member"),
             "withdrawn": ("member", "member")},
    "ask": {"none": ("pending", "member"), "ban_expired": ("pending", "member"), "cooled": ("pending", "member"),
            "withdrawn": ("pending", "member")},
    "approve": {"pending": ("member", "member")},
    "reject": {"pending": ("former", "member")},
    "remove": {"member": ("former", "member"), "stale_lock": ("former", "member")},
    "ban": {start: ("banned", "member") for start in STARTS if start != "fresh_lock"},
    "unban": {"banned": ("former", "member"), "ban_running": ("former", "member"),
              "ban_expired": ("former", "member")},
    "lock": {"member": ("member", "owner"), "stale_lock": ("member", "owner")},
}

CASES = [(operation, start) for operation in OPERATIONS for start in STARTS]


@pytest.fixture
def store(db):
    return MembershipStore(db)


@pytest.mark.parametrize("operation,start", CASES, ids=[f"{op}-from-{start}" for op, start in CASES])
def test_each_transition_happens_only_from_the_states_that_allow_it(db, store, operation, start):
    if STARTS[start] is not None:
        db["memberships"].insert_one({
            "_id": membership_id(GROUP, USER), "groupId": GROUP, "userId": USER,
            "since": NOW - timedelta(days=1), **STARTS[start],
        })
    before = db["memberships"].find_one({"_id": membership_id(GROUP, USER)})

    result = OPERATIONS[operation](store)

    after = db["memberships"].find_one({"_id": membership_id(GROUP, USER)})
    expected = EXPECTED[operation].get(start)
    if expected is None:
        assert result is None
        assert after == before
    else:
        assert result is not None
        assert (after["state"], after["role"]) == expected
        assert after["groupId"] == GROUP and after["userId"] == USER


def test_leaving_starts_the_cooldown_and_clears_the_owner_lock(db, store):
    db["memberships"].insert_one({"_id": membership_id(GROUP, USER), "groupId": GROUP, "userId": USER,
                                  "state": "member", "role": "owner", "lockedAt": NOW - timedelta(minutes=5),
                                  "since": NOW - timedelta(days=1)})
    doc = store.remove(GROUP, USER, NOW, "kicked")
    assert doc["cooldownFrom"] == NOW and doc["exitReason"] == "kicked" and doc["since"] == NOW
    assert "lockedAt" not in doc


def test_a_ban_reports_whether_it_removed_a_member(store):
    assert store.ban(GROUP, USER, NOW, None, "owner-0001") is False
    store.unban(GROUP, USER, NOW)
    store.enter(GROUP, USER, "member", NOW, 0)
    assert store.ban(GROUP, USER, NOW, NOW + timedelta(hours=1), "owner-0001") is True
    assert store.get(GROUP, USER)["bannedUntil"] == NOW + timedelta(hours=1)
    assert store.ban(GROUP, USER, NOW, None, "owner-0001") is False  # banning again replaces the end
    assert store.get(GROUP, USER)["bannedUntil"] is None


def test_members_and_groups_page_in_id_order(store):
    for user in ("user-c0000", "user-a0000", "user-b0000"):
        store.enter(GROUP, user, "member", NOW, 0)
    store.enter(GROUP, "user-d0000", "pending", NOW, 0)
    store.enter("group-0002", "user-a0000", "member", NOW, 0)

    assert store.member_ids(GROUP) == ["user-a0000", "user-b0000", "user-c0000"]
    assert store.member_ids(GROUP, after="user-a0000", limit=1) == ["user-b0000"]
    assert [doc["userId"] for doc in store.in_state(GROUP, "pending")] == ["user-d0000"]
    assert [doc["groupId"] for doc in store.groups_of("user-a0000")] == [GROUP, "group-0002"]
    assert store.count_members(GROUP) == 3
    assert store.is_member(GROUP, "user-a0000") and not store.is_member(GROUP, "user-d0000")


def test_discovery_finds_open_groups_by_name_prefix_in_pages(db):
    groups = GroupStore(db)
    for index, (name, kind) in enumerate([("Alpha team", "open"), ("alpine club", "open"), ("Alps", "private"),
                                          ("Beta", "open"), ("ALPHA fans", "open")]):
        groups.create(group_id=f"group-{index:04d}", name=name, group_type=kind, owner_id=USER,
                      rejoin_cooldown_seconds=0, now=NOW)

    found = groups.discover("alp")
    assert [group["name"] for group in found] == ["ALPHA fans", "Alpha team", "alpine club"]
    first = groups.discover("AL", limit=2)
    rest = groups.discover("AL", after=(first[-1]["nameLower"], first[-1]["_id"]))
    assert [group["name"] for group in first + rest] == ["ALPHA fans", "Alpha team", "alpine club"]
    assert [group["name"] for group in groups.discover()] == ["ALPHA fans", "Alpha team", "alpine club", "Beta"]
    assert groups.discover("zzz") == []


def test_owner_changes_only_from_the_current_owner(db):
    groups = GroupStore(db)
    groups.create(group_id=GROUP, name="G", group_type="open", owner_id="owner-a000", rejoin_cooldown_seconds=0,
                  now=NOW)
    assert groups.change_owner(GROUP, "owner-b000", "owner-c000", NOW) is None
    assert groups.change_owner(GROUP, "owner-a000", "owner-b000", NOW)["ownerId"] == "owner-b000"
    assert groups.update(GROUP, "owner-a000", NOW, name="X") is None
    assert groups.get(GROUP)["name"] == "G"
