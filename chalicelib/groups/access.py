"""Who may see or act on a group: every group id is checked against the caller here.

A private group is hidden (404, as if it did not exist) from a caller who has no
membership document in it: no member, requester, banned or former member. Asking to join
is the one way to learn that a private group exists (the requester must know its id).
"""
from chalicelib.core.clock import iso
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.storage.groups import PRIVATE
from chalicelib.storage.memberships import BANNED, MEMBER, PENDING, current_state


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
