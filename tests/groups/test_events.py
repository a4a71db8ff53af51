"""Every membership change announces one event, to the people who should hear of it."""
import pytest

from chalicelib.core.errors import DomainError
from tests.groups.conftest import World


def _scene(world, group_type="private"):
    owner = world.user()
    group_id = world.group(owner, group_type)
    return owner, group_id


def _join_open(world):
    owner, group_id = _scene(world, "open")
    user = world.user()
    world.joining.request(group_id, user, user)
    return group_id, owner, user


def _ask(world):
    owner, group_id = _scene(world)
    user = world.user()
    world.joining.request(group_id, user, user)
    return group_id, owner, user


def _withdraw(world):
    group_id, owner, user = _ask(world)
    world.joining.withdraw(group_id, user, user)
    return group_id, owner, user


def _approve(world):
    group_id, owner, user = _ask(world)
    world.joining.approve(group_id, user, owner)
    return group_id, owner, user


def _reject(world):
    group_id, owner, user = _ask(world)
    world.joining.reject(group_id, user, owner)
    return group_id, owner, user


def _leave(world):
    group_id, owner, user = _approve(world)
    world.joining.leave(group_id, user, user)
    return group_id, owner, user


def _kick(world):
    group_id, owner, user = _approve(world)
    world.moderation.kick(group_id, user, owner)
    return group_id, owner, user


def _ban_member(world):
    group_id, owner, user = _approve(world)
    world.moderation.ban(group_id, user, owner)
    return group_id, owner, user


def _ban_requester(world):
    group_id, owner, user = _ask(world)
    world.moderation.ban(group_id, user, owner)
    return group_id, owner, user


def _unban(world):
    group_id, owner, user = _ban_member(world)
    world.moderation.unban(group_id, user, owner)
    return group_id, owner, user


def _transfer(world):
    group_id, owner, user = _approve(world)
    world.ownership.transfer(group_id, owner, user, owner)
    return group_id, owner, user


def _rename(world):
    owner, group_id = _scene(world)
    world.groups.update(group_id, owner, name="Renamed")
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
def test_each_change_announces_its_event_to_its_audience(world, action):
    act, event_type, to_members, audience, extra = CASES[action]
    group_id, owner, user = act(world)
    names = {"owner": owner, "user": user}

    last = world.publisher.of_type(event_type)[-1]
    event = last["event"]
    assert event["type"] == event_type
    assert event["groupId"] == group_id and event["at"] == "2030-01-01T12:00:00.000Z"
    if user is not None and event_type not in ("owner.changed",):
        assert event["userId"] == user
    assert last["conversationId"] == (group_id if to_members else None)
    assert sorted(last["userIds"]) == sorted(names[name] for name in audience)
    for field, value in extra.items():
        assert event[field] == names.get(value, value)


def test_approval_also_tells_the_members_someone_joined(world):
    group_id, _, user = _approve(world)
    joined = world.publisher.of_type("member.joined")
    assert [(entry["event"]["userId"], entry["conversationId"]) for entry in joined] == [(user, group_id)]


def test_a_refused_change_announces_nothing(world):
    group_id, owner, user = _ask(world)
    before = len(world.publisher.published)
    for refused in (lambda: world.moderation.kick(group_id, user, owner),
                    lambda: world.joining.leave(group_id, user, user),
                    lambda: world.moderation.unban(group_id, user, owner)):
        with pytest.raises(DomainError):
            refused()
    world.joining.request(group_id, user, user)  # asking again changes nothing
    assert len(world.publisher.published) == before


def test_a_failing_publisher_does_not_undo_or_fail_the_change(db, clock):
    class Broken:
        def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=()):
            raise ConnectionError("queue down")

    world = World(db, clock, Broken())
    owner, group_id = _scene(world, "open")
    user = world.user()

    assert world.joining.request(group_id, user, user)[0] == "membership"
    assert world.state(group_id, user) == "member"
