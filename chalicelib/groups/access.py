"""Who may see or act on a group: every group id is checked against the caller here.

A private group is hidden (404, as if it did not exist) from a caller who has no
membership document in it: no member, requester, banned or former member. Asking to join
is the one way to learn that a private group exists (the requester must know its id).
"""
from chalicelib.core.clock import iso
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.storage.groups import PRIVATE
from chalicelib.storage.memberships import BANNED, MEMBER, MODERATOR_ROLE, PENDING, current_state

OWNER = "owner"
MODERATOR = "moderator"


def group_not_found():
    return NotFound("There is no such group.", "group_not_found")


def require_self(path_user_id, caller_id, action):
    """Forbidden unless the user named in the path is the caller."""
    if path_user_id != caller_id:
        raise Forbidden(f"You can only {action} for yourself.", "user_mismatch")


def banned_error(doc):
    until = doc.get("bannedUntil")
    when = f" until {iso(until)}" if until is not None else ""
    return Forbidden(f"You are banned from this group{when}.", "banned")


class GroupAccess:
    def __init__(self, groups, memberships):
        self._groups = groups
        self._memberships = memberships

    def existing(self, group_id):
        """The group; NotFound if there is none."""
        group = self._groups.get(group_id)
        if group is None:
            raise group_not_found()
        return group

    def visible(self, group_id, caller_id):
        """(group, the caller's membership document or None); NotFound if hidden from them."""
        group = self.existing(group_id)
        return group, self._relation(group, caller_id)

    def owned(self, group_id, caller_id):
        """The group if the caller owns it; NotFound if hidden, Forbidden otherwise."""
        group = self.existing(group_id)
        if group["ownerId"] != caller_id:
            self._relation(group, caller_id)
            raise Forbidden("Only the group's owner may do that.", "not_owner")
        return group

    def moderated(self, group_id, caller_id):
        """(group, OWNER or MODERATOR) if the caller may moderate it; NotFound if hidden, Forbidden otherwise.

        A moderator's powers are read from their membership on every call, so a demotion,
        kick or ban takes them away from the next request on.
        """
        group = self.existing(group_id)
        if group["ownerId"] == caller_id:
            return group, OWNER
        doc = self._relation(group, caller_id)
        if doc is not None and doc["state"] == MEMBER and doc.get("role") == MODERATOR_ROLE:
            return group, MODERATOR
        raise Forbidden("Only the group's owner or a moderator may do that.", "not_owner")

    def staff_ids(self, group):
        """The owner's and the moderators' ids: who hears of requests, reports and invites used."""
        return [group["ownerId"], *self._memberships.moderator_ids(group["_id"])]

    def member_of(self, group_id, caller_id, now):
        """The group if the caller is a member; NotFound if hidden, Forbidden otherwise."""
        group, doc = self.visible(group_id, caller_id)
        state = current_state(doc, now)
        if state == MEMBER:
            return group
        if state == BANNED:
            raise banned_error(doc)
        if group["type"] == PRIVATE and state != PENDING:
            raise group_not_found()  # a former member sees no more of it than a stranger
        raise Forbidden("Only members of the group may see that.", "not_a_member")

    def _relation(self, group, caller_id):
        """The caller's membership document in `group`; NotFound if that hides the group."""
        doc = self._memberships.get(group["_id"], caller_id)
        if doc is None and group["type"] == PRIVATE:
            raise group_not_found()
        return doc
