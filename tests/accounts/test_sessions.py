"""Sessions, passwords and account deletion as use cases: services.build over the real
MongoDB, with a clock and a monotonic clock the test moves, and fakes for sockets and mail."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import services
from chalicelib.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, RateLimited
from tests.fakes import RecordingMailer, RecordingMobilePush, RecordingPublisher, RecordingPusher

PASSWORD = "correct horse battery"
ENDPOINT = "http://gateway.test"


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Monotonic:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def world(db):
    clock, pusher, mailer, phones = Clock(), RecordingPusher(), RecordingMailer(), RecordingMobilePush()
    wired = services.build(db, clock=clock, pusher=pusher, mailer=mailer, publisher=RecordingPublisher(),
                           mobile_push=phones)
    wired.clock_, wired.pusher_, wired.mailer_, wired.phones_ = clock, pusher, mailer, phones
    return wired


def person(world, email, name="Test User"):
    user = world.accounts.register(email=email, password=PASSWORD, name=name)
    return user, world.accounts.login(email=email, password=PASSWORD, source_address="1.2.3.4", user_agent="Tests/1")


def _sessions(db):
    return sorted(db["sessions"].find(), key=lambda doc: doc["_id"])


# Logging in and refreshing -----------------------------------------------------------------

def test_login_opens_a_session_whose_tokens_work(world, db):
    user, login = person(world, "ann@example.com")
    assert set(login) == {"token", "refreshToken", "tokenType", "expiresIn", "sessionId", "user"}
    assert world.sessions.authenticate(login["token"]).session_id == login["sessionId"]
    (stored,) = _sessions(db)
    assert stored["_id"] == login["sessionId"] and stored["userId"] == user["id"] and stored["userAgent"] == "Tests/1"
    assert login["refreshToken"] not in str(stored)  # only its hash is kept
    (listed,) = world.sessions.list(user["id"], login["sessionId"])
    assert listed["current"] is True and listed["userAgent"] == "Tests/1"
    assert set(listed) >= {"id", "createdAt", "lastSeenAt", "expiresAt"}


def test_a_refresh_token_works_once_and_slides_the_session(world, db):
    user, login = person(world, "ann@example.com")
    world.clock_.advance(days=20)
    fresh = world.sessions.refresh(login["refreshToken"], "1.2.3.4")
    assert fresh["sessionId"] == login["sessionId"] and fresh["refreshToken"] != login["refreshToken"]
    assert world.sessions.authenticate(fresh["token"]).user_id == user["id"]
    (stored,) = _sessions(db)
    assert stored["expiresAt"].replace(tzinfo=timezone.utc) == world.clock_.now + timedelta(days=30)
    world.clock_.advance(days=20)  # 40 days after login, 20 after the refresh: still alive
    assert world.sessions.refresh(fresh["refreshToken"], "1.2.3.4")["sessionId"] == login["sessionId"]


def test_a_used_refresh_token_ends_the_whole_session(world, db):
    user, login = person(world, "ann@example.com")
    world.connection_store.add("c1", user["id"], ENDPOINT, session_id=login["sessionId"])
    fresh = world.sessions.refresh(login["refreshToken"], "1.2.3.4")
    with pytest.raises(NotAuthenticated) as reused:
        world.sessions.refresh(login["refreshToken"], "1.2.3.4")
    assert reused.value.code == "refresh_token_reused"
    assert _sessions(db) == [] and world.pusher_.closed == ["c1"] and world.connection_store.get("c1") is None
    for token_use in (lambda: world.sessions.refresh(fresh["refreshToken"], "1.2.3.4"),
                      lambda: world.sessions.authenticate(fresh["token"]),
                      lambda: world.sessions.connect(login["token"])):
        with pytest.raises(NotAuthenticated):
            token_use()


@pytest.mark.parametrize("case", ["wrong", "expired", "an access token"])
def test_a_wrong_or_expired_refresh_token_is_refused_and_changes_nothing(world, db, case):
    _, login = person(world, "ann@example.com")
    presented = {"wrong": "x" * 43, "expired": login["refreshToken"], "an access token": login["token"]}[case]
    if case == "expired":
        world.clock_.advance(days=31)
    before = _sessions(db)
    with pytest.raises(NotAuthenticated) as refused:
        world.sessions.refresh(presented, "1.2.3.4")
    assert refused.value.code == "invalid_refresh_token"
    assert _sessions(db) == before


def test_of_concurrent_refreshes_with_one_token_exactly_one_wins(world, db):
    _, login = person(world, "ann@example.com")
    outcomes, start = [], threading.Barrier(8)

    def refresh():
        start.wait()
        try:
            outcomes.append(world.sessions.refresh(login["refreshToken"], "1.2.3.4")["refreshToken"])
        except NotAuthenticated as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=refresh) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome not in ("refresh_token_reused", "invalid_refresh_token")]
    assert len(winners) == 1 and len(outcomes) == 8


def test_refresh_attempts_are_limited_per_address(world):
    from chalicelib.core.limits import REFRESH_ATTEMPTS_PER_ADDRESS

    for _ in range(REFRESH_ATTEMPTS_PER_ADDRESS.max_hits):
        with pytest.raises(NotAuthenticated):
            world.sessions.refresh("guess", "6.6.6.6")
    with pytest.raises(RateLimited):
        world.sessions.refresh("guess", "6.6.6.6")


# Checking and ending --------------------------------------------------------------------------

class CountingStore:
    """The session store, counting the per-request checks that reach the database."""

    def __init__(self, store):
        self._store, self.reads = store, 0

    def owner(self, session_id, now):
        self.reads += 1
        return self._store.owner(session_id, now)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_the_check_is_one_read_trusted_briefly_per_process(db):
    monotonic = Monotonic()
    this, other = (services.build(db, pusher=RecordingPusher()) for _ in range(2))
    for lambda_ in (this, other):
        lambda_.session_store = CountingStore(lambda_.session_store)
        lambda_.sessions._sessions = lambda_.session_store
        lambda_.sessions._monotonic = monotonic
    this.accounts.register(email="ann@example.com", password=PASSWORD, name="Ann")
    login = this.accounts.login(email="ann@example.com", password=PASSWORD, source_address="x")
    for _ in range(3):
        this.sessions.authenticate(login["token"])
        other.sessions.authenticate(login["token"])
    assert this.session_store.reads == 1 and other.session_store.reads == 1

    this.sessions.end(login["user"]["id"], login["sessionId"])
    with pytest.raises(NotAuthenticated):  # the Lambda that ended it: at once
        this.sessions.authenticate(login["token"])
    other.sessions.authenticate(login["token"])  # another Lambda: trusted until its cache runs out
    monotonic.now += services.current().settings.session_cache_seconds + 0.01
    with pytest.raises(NotAuthenticated) as refused:
        other.sessions.authenticate(login["token"])
    assert refused.value.code == "session_ended"


def test_ending_a_session_closes_only_its_sockets(world, db):
    user, first = person(world, "ann@example.com")
    second = world.accounts.login(email="ann@example.com", password=PASSWORD, source_address="x")
    world.connection_store.add("c1", user["id"], ENDPOINT, session_id=first["sessionId"])
    world.connection_store.add("c2", user["id"], ENDPOINT, session_id=second["sessionId"])
    world.sessions.end(user["id"], first["sessionId"])
    assert world.pusher_.closed == ["c1"] and world.connection_store.get("c2") is not None
    assert [s["_id"] for s in _sessions(db)] == [second["sessionId"]]
    with pytest.raises(NotFound):
        world.sessions.end(user["id"], first["sessionId"])


def test_nobody_ends_someone_elses_session(world, db):
    _, ann = person(world, "ann@example.com")
    bob, _ = person(world, "bob@example.com")
    before = _sessions(db)
    with pytest.raises(NotFound):
        world.sessions.end(bob["id"], ann["sessionId"])
    assert _sessions(db) == before


def test_end_all_keeps_only_the_one_asked(world, db):
    user, first = person(world, "ann@example.com")
    second = world.accounts.login(email="ann@example.com", password=PASSWORD, source_address="x")
    world.connection_store.add("c1", user["id"], ENDPOINT, session_id=first["sessionId"])
    world.connection_store.add("c2", user["id"], ENDPOINT, session_id=second["sessionId"])
    world.sessions.end_all(user["id"], keep=second["sessionId"])
    assert world.pusher_.closed == ["c1"] and [s["_id"] for s in _sessions(db)] == [second["sessionId"]]
    world.sessions.end_all(user["id"])
    assert _sessions(db) == [] and world.pusher_.closed == ["c1", "c2"]


# Passwords ------------------------------------------------------------------------------------

def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(world, db):
    user, first = person(world, "ann@example.com")
    second = world.accounts.login(email="ann@example.com", password=PASSWORD, source_address="x")
    with pytest.raises(Forbidden) as wrong:
        world.recovery.change(user["id"], first["sessionId"], "not it", "a new long password")
    assert wrong.value.code == "wrong_password" and len(_sessions(db)) == 2
    world.recovery.change(user["id"], first["sessionId"], PASSWORD, "a new long password")
    assert [s["_id"] for s in _sessions(db)] == [first["sessionId"]]
    with pytest.raises(NotAuthenticated):
        world.sessions.authenticate(second["token"])
    assert world.accounts.login(email="ann@example.com", password="a new long password", source_address="x")


def _recovery(world, monotonic):
    recovery = world.recovery
    recovery._monotonic, recovery._sleep, recovery._floor = monotonic, monotonic.sleep, 1.0
    return recovery


def test_forgot_answers_alike_for_known_and_unknown_emails(world):
    person(world, "ann@example.com")
    monotonic = Monotonic()
    recovery = _recovery(world, monotonic)
    recovery.forgot("ANN@example.com", "1.2.3.4")
    recovery.forgot("nobody@example.com", "1.2.3.4")
    assert [to for to, _, _ in world.mailer_.sent] == ["ann@example.com"]
    # Each call is padded to the floor (the fake clock does not move while work is done).
    assert monotonic.slept == [1.0, 1.0]


def test_forgot_hides_a_mail_failure(world):
    person(world, "ann@example.com")
    world.recovery._mailer = RecordingMailer(broken=True)
    world.recovery.forgot("ann@example.com", "1.2.3.4")  # no error: that would tell the account exists


def test_a_reset_code_works_once_within_15_minutes_and_ends_every_session(world, db):
    user, login = person(world, "ann@example.com")
    world.recovery.forgot("ann@example.com", "1.2.3.4")
    code = world.mailer_.code_for("ann@example.com")
    assert len(code) == 8 and code not in str(list(db["password_resets"].find()))
    with pytest.raises(InvalidInput) as wrong:
        world.recovery.reset("ann@example.com", "00000000" if code != "00000000" else "11111111", "new password!", "x")
    assert wrong.value.code == "invalid_code" and len(_sessions(db)) == 1
    world.recovery.reset("ann@example.com", code, "new password!", "x")
    assert _sessions(db) == []
    with pytest.raises(NotAuthenticated):
        world.sessions.authenticate(login["token"])
    with pytest.raises(InvalidInput):
        world.recovery.reset("ann@example.com", code, "another password", "x")
    assert world.accounts.login(email="ann@example.com", password="new password!", source_address="x")

    world.recovery.forgot("ann@example.com", "1.2.3.4")
    late = world.mailer_.code_for("ann@example.com")
    world.clock_.advance(minutes=15, seconds=1)
    with pytest.raises(InvalidInput):
        world.recovery.reset("ann@example.com", late, "too late password", "x")


def test_reset_attempts_are_limited_per_account(world):
    from chalicelib.core.limits import PASSWORD_RESET_ATTEMPTS_PER_ACCOUNT

    person(world, "ann@example.com")
    world.recovery.forgot("ann@example.com", "1.2.3.4")
    code = world.mailer_.code_for("ann@example.com")
    for attempt in range(PASSWORD_RESET_ATTEMPTS_PER_ACCOUNT.max_hits):
        with pytest.raises(InvalidInput):
            world.recovery.reset("ann@example.com", f"9{attempt}", "new password!", f"10.0.0.{attempt}")
    with pytest.raises(RateLimited):
        world.recovery.reset("ann@example.com", code, "new password!", "10.0.1.1")


# Profile and deletion ---------------------------------------------------------------------------

def test_profile_edits_keep_sign_up_rules_and_push_previews_defaults_off(world):
    user, _ = person(world, "ann@example.com")
    assert world.accounts.me(user["id"])["pushPreviews"] is False
    edited = world.profiles.update(user["id"], {"name": "Ann Lee", "department": "Ops", "pushPreviews": True})
    assert edited["name"] == "Ann Lee" and edited["department"] == "Ops" and edited["pushPreviews"] is True
    cleared = world.profiles.update(user["id"], {"department": ""})
    assert "department" not in cleared and world.accounts.me(user["id"]) == cleared


def test_deleting_an_account(world, db):
    ann, ann_login = person(world, "ann@example.com", name="Ann")
    bob, _ = person(world, "bob@example.com", name="Bob")
    group = world.groups.create(bob["id"], name="Team", group_type="open")["id"]
    world.group_joining.request(group, ann["id"], ann["id"])
    world.messaging.send(ann["id"], group, "hello from ann")
    world.connection_store.add("c1", ann["id"], ENDPOINT, session_id=ann_login["sessionId"])
    own = world.groups.create(ann["id"], name="Mine", group_type="private")["id"]
    world.devices.register(ann["id"], "apns", "ab" * 32, "Ann's phone")
    world.mutes.mute(ann["id"], group)
    world.blocking.block(ann["id"], bob["id"])
    world.blocking.block(bob["id"], ann["id"])

    with pytest.raises(Forbidden):
        world.profiles.delete(ann["id"], "wrong password")
    with pytest.raises(Conflict) as owns:
        world.profiles.delete(ann["id"], PASSWORD)
    assert owns.value.code == "owns_groups" and db["users"].count_documents({"_id": ann["id"]}) == 1

    _hand_over(world, own, ann, bob)
    world.profiles.delete(ann["id"], PASSWORD)

    assert db["users"].count_documents({"_id": ann["id"]}) == 0
    assert db["sessions"].count_documents({"userId": ann["id"]}) == 0 and world.pusher_.closed == ["c1"]
    assert db["memberships"].count_documents({"userId": ann["id"]}) == 0
    assert db["read_markers"].count_documents({"userId": ann["id"]}) == 0
    assert db["devices"].count_documents({"userId": ann["id"]}) == 0 and world.phones_.endpoints == {}
    assert db["mutes"].count_documents({"userId": ann["id"]}) == 0
    assert db["blocks"].count_documents({"$or": [{"blockerId": ann["id"]}, {"blockedId": ann["id"]}]}) == 0
    history = world.messaging.history(bob["id"], group)["messages"]
    (kept,) = [m for m in history if m["senderId"] == ann["id"]]
    assert kept["text"] == "hello from ann" and kept["sender"] is None and kept["senderDeleted"] is True
    with pytest.raises(NotAuthenticated):
        world.sessions.authenticate(ann_login["token"])
    again = world.accounts.register(email="ann@example.com", password=PASSWORD, name="New Ann")
    assert again["id"] != ann["id"]


def _hand_over(world, group_id, owner, member):
    world.group_joining.request(group_id, member["id"], member["id"])
    world.group_joining.approve(group_id, member["id"], owner["id"])
    world.group_ownership.transfer(group_id, owner["id"], member["id"], owner["id"])


# People search -----------------------------------------------------------------------------------

def test_people_search_finds_only_people_sharing_a_group(world):
    ann, _ = person(world, "ann@example.com", name="Ann")
    names = ["Alice Martin", "Albert Ng", "Malik Alvarez", "Bob"]
    people = [person(world, f"p{index}@example.com", name=name)[0] for index, name in enumerate(names)]
    stranger, _ = person(world, "alfred@example.com", name="Alfred Stranger")
    group = world.groups.create(ann["id"], name="Team", group_type="open")["id"]
    for member in people:
        world.group_joining.request(group, member["id"], member["id"])

    found = world.people.search(ann["id"], "al")
    assert sorted(p["name"] for p in found["people"]) == ["Albert Ng", "Alice Martin", "Malik Alvarez"]
    assert stranger["id"] not in {p["id"] for p in found["people"]} and found["nextCursor"] is None
    assert [p["name"] for p in world.people.search(ann["id"], "P3@EXAMPLE")["people"]] == ["Bob"]
    assert world.people.search(stranger["id"], "al")["people"] == []

    first = world.people.search(ann["id"], "al", limit=2)
    rest = world.people.search(ann["id"], "al", limit=2, cursor=first["nextCursor"])
    assert len(first["people"]) == 2 and first["nextCursor"]
    assert {p["id"] for p in first["people"]} | {p["id"] for p in rest["people"]} == {
        p["id"] for p in found["people"]}


def test_accounts_from_before_people_search_are_backfilled(world, db):
    from chalicelib.admin import main

    ann, _ = person(world, "ann@example.com", name="Ann")
    old, _ = person(world, "old@example.com", name="Olive Oldtimer")
    world.groups.create(ann["id"], name="Team", group_type="open")
    world.group_joining.request(world.membership_store.group_ids_of(ann["id"])[0], old["id"], old["id"])
    db["users"].update_one({"_id": old["id"]}, {"$unset": {"searchKeys": ""}})
    assert world.people.search(ann["id"], "oli")["people"] == []
    main(["backfill-search-keys"])
    assert [p["id"] for p in world.people.search(ann["id"], "oli")["people"]] == [old["id"]]
