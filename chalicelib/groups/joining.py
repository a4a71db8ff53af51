"""Joining and leaving groups: requests, approvals, rejections, withdrawals, leaving and cooldowns.

Each change is one precondition-guarded update of the user's membership document
(chalicelib.storage.memberships). When the precondition fails, the document is read to
tell the caller why; nothing is ever decided from a read and then written.
"""
import math
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict, Forbidden, NotFound, RateLimited
from chalicelib.core.limits import JOIN_REQUESTS_PER_USER
from chalicelib.groups.access import MODERATOR, GroupAccess, banned_error, require_self
from chalicelib.groups.announcements import announce
from chalicelib.groups.views import membership_view, request_view
from chalicelib.storage.groups import OPEN
from chalicelib.storage.memberships import (
    BANNED,
    FORMER,
    MEMBER,
    MEMBER_ROLE,
    PENDING,
    current_state,
    lock_is_fresh,
)

JOINED = "membership"
REQUESTED = "request"
# A refused join is re-tried when the document turns out to allow it after all (a cooldown
# or ban ran out, or a concurrent change undid itself between the update and the read).
_JOIN_ATTEMPTS = 3


class Joining:
    def __init__(self, groups, memberships, users, publisher, limiter, clock=utcnow):
        self._groups = groups
        self._memberships = memberships
        self._users = users
        self._publisher = publisher
        self._limiter = limiter
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def request(self, group_id, user_id, caller_id):
        """Join an open group at once, or ask to join a private one.

        Returns (JOINED, membership) or (REQUESTED, request). Asking again is harmless: a
        member gets their membership back, a requester their pending request.
        """
        require_self(user_id, caller_id, "ask to join a group")
        group = self._access.existing(group_id)
        self._limiter.take(JOIN_REQUESTS_PER_USER, caller_id)
        wanted = MEMBER if group["type"] == OPEN else PENDING
        for _ in range(_JOIN_ATTEMPTS):
            now = self._clock()
            doc = self._memberships.enter(group_id, user_id, wanted, now, group["rejoinCooldownSeconds"])
            if doc is not None:
                return self._entered(group, doc, now)
            doc = self._memberships.get(group_id, user_id)
            state = current_state(doc, now)
            if state == MEMBER:
                return JOINED, membership_view(group, doc)
            if state == PENDING:
                return REQUESTED, request_view(doc)
            if state == BANNED:
                raise banned_error(doc)
            cooling = cooldown_error(group, doc, now)
            if cooling is not None:
                raise cooling
        raise changed_meanwhile()

    def approve(self, group_id, user_id, caller_id):
        """The owner or a moderator turns a pending request into membership."""
        group, _ = self._access.moderated(group_id, caller_id)
        now = self._clock()
        doc = self._memberships.approve(group_id, user_id, now)
        if doc is None:
            doc = self._memberships.get(group_id, user_id)
            state = current_state(doc, now)
            if state == MEMBER:
                return membership_view(group, doc)  # approved already
            if state == BANNED:
                raise Conflict("That user is banned from this group; unban them first.", "banned")
            raise _no_request()
        self._groups.count_member(group_id, +1)
        announce(self._publisher, "request.decided", group_id, now, user_ids=(caller_id, user_id),
                 userId=user_id, decision="approved")
        announce(self._publisher, "member.joined", group_id, now, to_members=True, userId=user_id)
        return membership_view(group, doc)

    def reject(self, group_id, user_id, caller_id):
        """The owner or a moderator turns a pending request down; the group's rejoin cooldown starts."""
        self._access.moderated(group_id, caller_id)
        now = self._clock()
        if self._memberships.drop_request(group_id, user_id, now, "rejected", cooldown=True) is None:
            raise _no_request()
        announce(self._publisher, "request.decided", group_id, now, user_ids=(caller_id, user_id),
                 userId=user_id, decision="rejected")

    def withdraw(self, group_id, user_id, caller_id):
        """A requester takes their pending request back (no cooldown follows)."""
        require_self(user_id, caller_id, "withdraw a request")
        group, _ = self._access.visible(group_id, caller_id)
        now = self._clock()
        if self._memberships.drop_request(group_id, user_id, now, "withdrawn", cooldown=False) is None:
            raise _no_request()
        announce(self._publisher, "request.withdrawn", group_id, now,
                 user_ids=(*self._access.staff_ids(group), user_id), userId=user_id)

    def leave(self, group_id, user_id, caller_id):
        """A member leaves; the owner must transfer ownership first."""
        require_self(user_id, caller_id, "leave a group")
        group, _ = self._access.visible(group_id, caller_id)
        if group["ownerId"] == user_id:
            raise Conflict("The owner cannot leave; transfer ownership to a member first.", "owner_cannot_leave")
        now = self._clock()
        self._remove(group, user_id, now, "left", "You are not a member of this group.", "not_a_member")
        announce(self._publisher, "member.left", group_id, now, to_members=True, user_ids=(user_id,),
                 userId=user_id)

    # ---------------------------------------------------------------------------------------

    def _entered(self, group, doc, now):
        group_id, user_id = group["_id"], doc["userId"]
        if doc["state"] == MEMBER:
            self._groups.count_member(group_id, +1)
            announce(self._publisher, "member.joined", group_id, now, to_members=True, userId=user_id)
            return JOINED, membership_view(group, doc)
        announce(self._publisher, "request.created", group_id, now,
                 user_ids=(*self._access.staff_ids(group), user_id), userId=user_id)
        return REQUESTED, request_view(doc)

    def _remove(self, group, user_id, now, reason, not_member_message, not_member_code):
        remove_member(self._groups, self._memberships, group, user_id, now, reason, not_member_message,
                      not_member_code)


def remove_member(groups, memberships, group, user_id, now, reason, not_member_message, not_member_code,
                  actor_role=None):
    """Take a member out (leave or kick) and count them out; explain a refusal.

    A moderator's kick (`actor_role` MODERATOR) only matches a plain member.
    """
    plain_only = actor_role == MODERATOR
    if memberships.remove(group["_id"], user_id, now, reason, plain_only=plain_only) is not None:
        groups.count_member(group["_id"], -1)
        return
    doc = memberships.get(group["_id"], user_id)
    if current_state(doc, now) != MEMBER:
        raise NotFound(not_member_message, not_member_code)
    if lock_is_fresh(doc, now):
        raise ownership_changing()
    if plain_only and doc.get("role") != MEMBER_ROLE:
        raise target_is_staff()
    raise changed_meanwhile()


def cooldown_error(group, doc, now):
    """The RateLimited a former member inside the group's rejoin cooldown gets, or None."""
    wait = _cooldown_left(group, doc, now)
    if wait <= 0:
        return None
    return RateLimited(
        f"You left this group, were removed or were turned down recently; you may join again in "
        f"{math.ceil(wait)} seconds.",
        wait,
        code="rejoin_cooldown",
    )


def target_is_staff():
    return Forbidden("Moderators cannot act on the owner or another moderator.", "target_is_moderator")


def _cooldown_left(group, doc, now):
    """Seconds until a former member may ask again (0 if they may now)."""
    if doc is None or doc["state"] != FORMER or doc.get("cooldownFrom") is None:
        return 0
    ends = doc["cooldownFrom"] + timedelta(seconds=group["rejoinCooldownSeconds"])
    return max(0.0, (ends - now).total_seconds())


def _no_request():
    return NotFound("That user has no pending request to join this group.", "request_not_found")


def ownership_changing():
    return Conflict("Ownership of this group is being transferred to that user; try again shortly.",
                    "ownership_changing")


def changed_meanwhile():
    return Conflict("The membership changed while we were updating it; try again.", "concurrent_change")
