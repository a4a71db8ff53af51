"""Transferring a group's ownership, atomically, without multi-document transactions.

The protocol (it must work on a standalone mongod, which has no transactions):

- `groups.ownerId` is the single source of truth: a group has exactly one owner because a
  document has exactly one value there, and only a compare-and-set changes it.
- The owner's membership carries `role: "owner"`, a lock with a `lockedAt` time. Leaving,
  kicks and bans only match memberships without a live lock, so a member who is becoming
  the owner cannot leave or be removed halfway through. Every such path first refuses the
  user named by `groups.ownerId`, whose (possibly old) lock is genuine.

Transfer A -> B:
1. Lock B: `{state: member, no live lock}` -> `{role: owner, lockedAt: t}`. Failing that,
   B is not a member (404) or another transfer to B is under way (409).
2. Compare-and-set the group: `{ownerId: A}` -> `{ownerId: B}`. Failing that, A no
   longer owns the group (a concurrent transfer won): release B's lock (only the lock taken
   at t) and answer 409. Two transfers therefore never produce two owners.
3. Release A's lock (only the one A held when the transfer started, so a transfer back to A
   that already re-locked A is left alone).

B may be a moderator (the lock then remembers it, and an undone transfer gives the role
back); A becomes a plain member. Only the owner transfers: a moderator never can.

A crash after step 1 leaves B locked while A still owns the group: after LOCK_LEASE that
lock is stale and B counts as a plain member again. A crash after step 2 leaves A locked
although B owns the group: A is not `groups.ownerId`, and A's lock is older than the lease,
so A counts as a plain member too. To keep a live transfer from outliving its own lock,
step 2 is skipped (and step 1 undone) if step 1 finished more than half a lease ago.
"""
from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict, NotFound, Unavailable
from chalicelib.groups.access import GroupAccess, require_self
from chalicelib.groups.announcements import announce
from chalicelib.groups.views import group_view
from chalicelib.storage.memberships import (
    LOCK_LEASE,
    MEMBER,
    current_state,
    lock_is_fresh,
)


class Ownership:
    def __init__(self, groups, memberships, publisher, clock=utcnow):
        self._groups = groups
        self._memberships = memberships
        self._publisher = publisher
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def transfer(self, group_id, owner_id, new_owner_id, caller_id):
        """Make member `new_owner_id` the owner in place of `owner_id` (the caller)."""
        require_self(owner_id, caller_id, "transfer ownership")
        self._access.owned(group_id, caller_id)
        if new_owner_id == owner_id:
            raise Conflict("You already own this group.", "already_owner")
        old_lock = self._memberships.get(group_id, owner_id)
        locked_at = self._clock()
        if self._memberships.lock_owner(group_id, new_owner_id, locked_at) is None:
            raise self._why_not_lockable(group_id, new_owner_id, locked_at)
        if self._clock() - locked_at > LOCK_LEASE / 2:
            self._memberships.release_owner(group_id, new_owner_id, locked_at, restore=True)
            raise Unavailable("The transfer took too long and was undone; try again.", "transfer_timed_out")
        now = self._clock()
        group = self._groups.change_owner(group_id, owner_id, new_owner_id, now)
        if group is None:
            self._memberships.release_owner(group_id, new_owner_id, locked_at, restore=True)
            raise Conflict("Ownership of this group changed meanwhile; nothing was transferred.",
                           "ownership_changed")
        if old_lock is not None and old_lock.get("lockedAt") is not None:
            self._memberships.release_owner(group_id, owner_id, old_lock["lockedAt"])
        announce(self._publisher, "owner.changed", group_id, now, to_members=True,
                 previousOwnerId=owner_id, ownerId=new_owner_id)
        return group_view(group)

    def _why_not_lockable(self, group_id, user_id, now):
        doc = self._memberships.get(group_id, user_id)
        if current_state(doc, now) != MEMBER:
            return NotFound("The new owner must already be a member of the group.", "member_not_found")
        if lock_is_fresh(doc, now):
            return Conflict("Ownership of this group is already being transferred to that member.",
                            "ownership_changing")
        return Conflict("The membership changed while we were updating it; try again.", "concurrent_change")
