"""Every membership change announces one event, to the people who should hear of it."""
import pytest

from chalicelib.core.errors import DomainError
from tests.groups.conftest import WiredGroups


def _scene(wired_groups, group_type="private"):
    owner = wired_groups.user()
    group_id = wired_groups.group(owner, group_type)
    return owner, group_id


def _requested(group_type):
    """A scene: a new user asked to join a new group of `group_type` (open: joined)."""

    def scene(wired_groups):
        owner, group_id = _scene(wired_groups, group_type)
        user = wired_groups.user()
        wired_groups.joining.request(group_id, user, user)
        return group_id, owner, user

    return scene


_join_open = _requested("open")
_ask = _requested("private")


def _then(before, act):
    """A scene: `before`'s scene, then `act(wired_groups, group_id, owner, user)`."""

    def scene(wired_groups):
        group_id, owner, user = before(wired_groups)
        act(wired_groups, group_id, owner, user)
        return group_id, owner, user

    return scene


_withdraw = _then(_ask, lambda wired, group_id, owner, user: wired.joining.withdraw(group_id, user, user))
_approve = _then(_ask, lambda wired, group_id, owner, user: wired.joining.approve(group_id, user, owner))
_reject = _then(_ask, lambda wired, group_id, owner, user: wired.joining.reject(group_id, user, owner))
_leave = _then(_approve, lambda wired, group_id, owner, user: wired.joining.leave(group_id, user, user))
_kick = _then(_approve, lambda wired, group_id, owner, user: wired.moderation.kick(group_id, user, owner))
_ban_member = _then(_approve, lambda wired, group_id, owner, user: wired.moderation.ban(group_id, user, owner))
_ban_requester = _then(_ask, lambda wired, group_id, owner, user: wired.moderation.ban(group_id, user, owner))
_unban = _then(_ban_member, lambda wired, group_id, owner, user: wired.moderation.unban(group_id, user, owner))
_transfer = _then(_approve, lambda wired, group_id, owner, user: wired.ownership.transfer(group_id, owner, user, owner))


def _rename(wired_groups):
    owner, group_id = _scene(wired_groups)
    wired_groups.groups.update(group_id, owner, name="Renamed")
    return group_id, owner, None


# action -> (event type, goes to the members?, the users it goes to by name, extra fields)
CASES = {
    "join_open": (_join_open, "member.joined", True, (), {}),
    "ask": (_ask, "request.created", False, ("owner", "user"), {}),
    "withdraw": (_withdraw, "request.withdrawn", False, ("owner", "user"), {}),
    "approve": (_approve, "request.decided", False, ("owner", "user"), {"decision": "approved"}),
    "reject": (_reject, "request.decided", False, ("owner", "user"), {"decision": "rejected"}),
    "leave": (_leave, "member.left", True, ("user",), {}),
    "kick": (_kick, "member.kicked", True, ("user",), {"by": "owner"}),
    "ban_member": (_ban_member, "member.banned", True, ("owner", "user"), {"until": None}),
    "ban_requester": (_ban_requester, "member.banned", False, ("owner", "user"), {"until": None}),
    "unban": (_unban, "member.unbanned", False, ("owner", "user"), {}),
    "transfer": (_transfer, "owner.changed", True, (), {"previousOwnerId": "owner", "ownerId": "user"}),
    "rename": (_rename, "group.updated", True, (), {}),
}


@pytest.mark.parametrize("action", CASES)
def test_each_change_announces_its_event_to_its_audience(wired_groups, action):
    act, event_type, to_members, audience, extra = CASES[action]
    group_id, owner, user = act(wired_groups)
    names = {"owner": owner, "user": user}

    last = wired_groups.publisher.of_type(event_type)[-1]
    event = last["event"]
    assert event["type"] == event_type
    assert event["groupId"] == group_id and event["at"] == "2030-01-01T12:00:00.000Z"
    if user is not None and event_type not in ("owner.changed",):
        assert event["userId"] == user
    assert last["conversationId"] == (group_id if to_members else None)
    assert sorted(last["userIds"]) == sorted(names[name] for name in audience)
    for field, value in extra.items():
        assert event[field] == names.get(value, value)


def test_approval_also_tells_the_members_someone_joined(wired_groups):
    group_id, _, user = _approve(wired_groups)
    joined = wired_groups.publisher.of_type("member.joined")
    assert [(entry["event"]["userId"], entry["conversationId"]) for entry in joined] == [(user, group_id)]


def test_a_refused_change_announces_nothing(wired_groups):
    group_id, owner, user = _ask(wired_groups)
    before = len(wired_groups.publisher.published)
    for refused in (lambda: wired_groups.moderation.kick(group_id, user, owner),
                    lambda: wired_groups.joining.leave(group_id, user, user),
                    lambda: wired_groups.moderation.unban(group_id, user, owner)):
        with pytest.raises(DomainError):
            refused()
    wired_groups.joining.request(group_id, user, user)  # asking again changes nothing
    assert len(wired_groups.publisher.published) == before


def test_a_failing_publisher_does_not_undo_or_fail_the_change(db, clock):
    class Broken:
        def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=()):
            raise ConnectionError("queue down")

    wired_groups = WiredGroups(db, clock, Broken())
    owner, group_id = _scene(wired_groups, "open")
    user = wired_groups.user()

    assert wired_groups.joining.request(group_id, user, user)[0] == "membership"
    assert wired_groups.state(group_id, user) == "member"
