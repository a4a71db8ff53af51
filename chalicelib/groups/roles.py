"""Group roles: the owner promotes members to moderators and demotes them again.

Each change is one guarded update of the member's membership (chalicelib.storage.memberships):
a promotion matches only a current plain member, so a user banned, kicked or gone by the
time it lands is not made a moderator; a demotion matches only a current moderator.
"""
from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.groups.access import GroupAccess
from chalicelib.groups.announcements import announce
from chalicelib.groups.joining import changed_meanwhile, ownership_changing
from chalicelib.groups.views import member_view
from chalicelib.storage.memberships import MEMBER, MODERATOR_ROLE, current_state, lock_is_fresh


class Roles:
    def __init__(self, groups, memberships, publisher, clock=utcnow):
        self._memberships = memberships
        self._publisher = publisher
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def promote(self, group_id, user_id, caller_id):
        """The owner makes a member a moderator (again is harmless); the member's row."""
        group = self._access.owned(group_id, caller_id)
        _refuse_owner(group, user_id)
        now = self._clock()
        doc = self._memberships.promote(group_id, user_id)
        if doc is None:
            doc = self._why_not(group_id, user_id, now)
            if doc.get("role") != MODERATOR_ROLE:
                raise changed_meanwhile()  # an ownership transfer to them holds the membership
            return member_view(group, doc, {})
        announce(self._publisher, "member.role_changed", group_id, now, to_members=True,
                 userId=user_id, role="moderator", by=caller_id)
        return member_view(group, doc, {})

    def demote(self, group_id, user_id, caller_id):
        """The owner takes a moderator's role away (a plain member already: nothing happens)."""
        group = self._access.owned(group_id, caller_id)
        _refuse_owner(group, user_id)
        now = self._clock()
        if self._memberships.demote(group_id, user_id) is None:
            doc = self._why_not(group_id, user_id, now)
            if lock_is_fresh(doc, now):
                # Ownership is being handed to them; an undone transfer would give the role back.
                raise ownership_changing()
            return
        announce(self._publisher, "member.role_changed", group_id, now, to_members=True,
                 userId=user_id, role="member", by=caller_id)

    def _why_not(self, group_id, user_id, now):
        doc = self._memberships.get(group_id, user_id)
        if current_state(doc, now) != MEMBER:
            raise NotFound("That user is not a member of this group.", "member_not_found")
        return doc


def _refuse_owner(group, user_id):
    if group["ownerId"] == user_id:
        raise Conflict("The owner's role cannot change; transfer ownership instead.", "target_is_owner")
