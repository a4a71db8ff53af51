"""Moderating a group's people: kicks, bans (for good or for a while) and unbans, by the
owner or a moderator.

Like joining, each change is one precondition-guarded update of the user's membership
document; the owner can never be a target, and a moderator's kick or ban only matches a
plain member (never the owner or another moderator), in the same filter.
"""
from datetime import timedelta

from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.groups.access import MODERATOR, GroupAccess
from chalicelib.groups.announcements import announce
from chalicelib.groups.joining import ownership_changing, remove_member, target_is_staff
from chalicelib.groups.views import ban_view


class Moderation:
    def __init__(self, groups, memberships, users, publisher, clock=utcnow):
        self._groups = groups
        self._memberships = memberships
        self._users = users
        self._publisher = publisher
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def kick(self, group_id, user_id, caller_id):
        """The owner or a moderator removes a member without banning them; the rejoin cooldown starts."""
        group, actor_role = self._access.moderated(group_id, caller_id)
        _refuse_owner_as_target(group, user_id)
        now = self._clock()
        remove_member(self._groups, self._memberships, group, user_id, now, "kicked",
                      "That user is not a member of this group.", "member_not_found", actor_role)
        announce(self._publisher, "member.kicked", group_id, now, to_members=True, user_ids=(user_id,),
                 userId=user_id, by=caller_id)

    def ban(self, group_id, user_id, caller_id, duration_seconds=None):
        """The owner or a moderator bans a user (member, requester or anyone), for good or for a while.

        Banning again replaces the duration. Returns the ban.
        """
        group, actor_role = self._access.moderated(group_id, caller_id)
        _refuse_owner_as_target(group, user_id)
        if self._users.by_id(user_id) is None:
            raise NotFound("There is no such user.", "user_not_found")
        now = self._clock()
        until = now + timedelta(seconds=duration_seconds) if duration_seconds else None
        was_member = self._memberships.ban(group_id, user_id, now, until, caller_id,
                                           plain_only=actor_role == MODERATOR)
        if was_member is None:
            if actor_role == MODERATOR and (self._memberships.get(group_id, user_id) or {}).get("role") != "owner":
                raise target_is_staff()
            raise ownership_changing()
        if was_member:
            self._groups.count_member(group_id, -1)
        # Members hear of a member's ban; a requester's ban concerns only the owner and them.
        announce(self._publisher, "member.banned", group_id, now, to_members=was_member,
                 user_ids=(caller_id, user_id), userId=user_id, until=iso(until))
        return ban_view({"groupId": group_id, "userId": user_id, "since": now, "bannedUntil": until})

    def unban(self, group_id, user_id, caller_id):
        """The owner or a moderator lifts a ban; the user may ask to join again at once."""
        self._access.moderated(group_id, caller_id)
        now = self._clock()
        if self._memberships.unban(group_id, user_id, now) is None:
            raise NotFound("That user is not banned from this group.", "ban_not_found")
        announce(self._publisher, "member.unbanned", group_id, now, user_ids=(caller_id, user_id), userId=user_id)


def _refuse_owner_as_target(group, user_id):
    if group["ownerId"] == user_id:
        raise Conflict("The owner cannot be removed or banned; transfer ownership first.", "target_is_owner")
