"""Invite links: the owner or a moderator makes one; whoever holds its code joins at once.

A code is 256 random bits (`secrets.token_urlsafe(32)`), shown once at creation and stored
only as its SHA-256 (chalicelib.storage.invites). Accepting is ordered so that nothing can
count a use that no join followed, nor join past the limits:

1. The invite must be good now (else 404, as for an unknown code) and the caller neither
   banned (403) nor inside the rejoin cooldown (429): refused before any use is counted.
   A member already in gets the group back without using the invite.
2. One guarded `$inc` counts the use (`usesLeft > 0`, not expired): concurrent accepts
   never go past `maxUses`; losing that race is 404, as for an invite used up.
3. One guarded membership update joins (from nothing, former after the cooldown, an
   expired ban or a pending request; private groups too). If a ban or anything else got in
   between, the use is given back and the caller is told why. A ban that lands after the
   join removes the member like any ban: a user is never left both banned and a member.
"""
import re
import secrets
from datetime import timedelta

from chalicelib.core.clock import TIME_SCHEMA, iso, utcnow
from chalicelib.core.errors import DomainError, NotFound
from chalicelib.core.ids import ID_SCHEMA, is_id, new_id
from chalicelib.core.limits import INVITE_ACCEPTS_PER_USER, INVITES_CREATED_PER_USER
from chalicelib.core.validation import DEFAULT_PAGE, object_schema
from chalicelib.groups.access import GroupAccess, banned_error
from chalicelib.groups.announcements import announce
from chalicelib.groups.joining import changed_meanwhile, cooldown_error
from chalicelib.groups.paging import fetch_page
from chalicelib.groups.schemas import DEFAULT_INVITE_SECONDS
from chalicelib.groups.views import group_view
from chalicelib.storage.memberships import BANNED, MEMBER, current_state

CODE_BYTES = 32
_ACCEPT_ATTEMPTS = 3

INVITE_VIEW_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA, "groupId": ID_SCHEMA, "createdBy": ID_SCHEMA, "createdAt": TIME_SCHEMA,
        "expiresAt": TIME_SCHEMA,
        "maxUses": {"type": ["integer", "null"], "minimum": 1, "description": "null: any number of uses."},
        "uses": {"type": "integer", "minimum": 0},
    },
    {"code": {"type": "string", "description": "Only in the answer that made the invite (stored hashed)."}},
)


def invite_view(doc, code=None):
    """An invite as its group's owner and moderators see it; the code only right after creation."""
    view = {
        "id": doc["_id"],
        "groupId": doc["groupId"],
        "createdBy": doc["createdBy"],
        "createdAt": iso(doc["createdAt"]),
        "expiresAt": iso(doc["expiresAt"]),
        "maxUses": doc["maxUses"],
        "uses": doc["uses"],
    }
    if code is not None:
        view["code"] = code
    return view


_CODE = re.compile(r"[A-Za-z0-9_-]{16,128}")


def looks_like_code(value):
    """True if `value` could be a code this module made (anything else is simply unknown)."""
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


class Invites:
    def __init__(self, groups, memberships, invites, publisher, limiter, clock=utcnow):
        self._groups = groups
        self._memberships = memberships
        self._invites = invites
        self._publisher = publisher
        self._limiter = limiter
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def create(self, group_id, caller_id, expires_in_seconds=None, max_uses=None):
        """A new invite link for the group (owner or moderators); its view with the code."""
        self._access.moderated(group_id, caller_id)
        self._limiter.take(INVITES_CREATED_PER_USER, caller_id)
        now = self._clock()
        code = secrets.token_urlsafe(CODE_BYTES)
        doc = self._invites.create(
            invite_id=new_id(), group_id=group_id, code=code, created_by=caller_id, now=now,
            expires_at=now + timedelta(seconds=expires_in_seconds or DEFAULT_INVITE_SECONDS), max_uses=max_uses,
        )
        return invite_view(doc, code)

    def list(self, group_id, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of the group's unexpired invites (without their codes), oldest id first."""
        self._access.moderated(group_id, caller_id)
        now = self._clock()
        docs, next_cursor = fetch_page(lambda after, count: self._invites.of_group(group_id, now, after, count),
                                       limit, cursor, lambda doc: (doc["_id"],))
        return {"invites": [invite_view(doc) for doc in docs], "nextCursor": next_cursor}

    def revoke(self, group_id, caller_id, id_or_code):
        """Delete an invite, named by its id or its code (owner or moderators)."""
        self._access.moderated(group_id, caller_id)
        revoked = is_id(id_or_code) and self._invites.revoke(group_id, invite_id=id_or_code)
        if not revoked and looks_like_code(id_or_code):
            revoked = self._invites.revoke(group_id, code=id_or_code)
        if not revoked:
            raise _unknown_invite()

    def accept(self, code, caller_id):
        """Join the invite's group at once; {group}."""
        self._limiter.take(INVITE_ACCEPTS_PER_USER, caller_id)
        now = self._clock()
        invite = self._invites.by_code(code, now) if looks_like_code(code) else None
        group = self._groups.get(invite["groupId"]) if invite else None
        if group is None:
            raise _unknown_invite()
        doc = self._memberships.get(group["_id"], caller_id)
        if current_state(doc, now) == MEMBER:
            return {"group": group_view(group)}
        _refuse_if_kept_out(group, doc, now)
        used = self._invites.use(invite, now)
        if used is None:
            raise _unknown_invite()
        for _ in range(_ACCEPT_ATTEMPTS):
            now = self._clock()
            joined = self._memberships.enter(group["_id"], caller_id, MEMBER, now, group["rejoinCooldownSeconds"],
                                             from_pending=True)
            if joined is not None:
                return self._joined(group, used, caller_id, now)
            doc = self._memberships.get(group["_id"], caller_id)
            if current_state(doc, now) == MEMBER:
                self._invites.give_back(invite)
                return {"group": group_view(group)}  # joined by another call meanwhile
            try:
                _refuse_if_kept_out(group, doc, now)
            except DomainError:
                self._invites.give_back(invite)
                raise
        self._invites.give_back(invite)
        raise changed_meanwhile()

    def _joined(self, group, invite, user_id, now):
        group_id = group["_id"]
        self._groups.count_member(group_id, +1)
        announce(self._publisher, "member.joined", group_id, now, to_members=True, userId=user_id,
                 inviteId=invite["_id"])
        announce(self._publisher, "invite.used", group_id, now, user_ids=self._access.staff_ids(group),
                 inviteId=invite["_id"], userId=user_id, uses=invite["uses"], maxUses=invite["maxUses"])
        return {"group": group_view(self._groups.get(group_id) or group)}


def _refuse_if_kept_out(group, doc, now):
    if current_state(doc, now) == BANNED:
        raise banned_error(doc)
    cooling = cooldown_error(group, doc, now)
    if cooling is not None:
        raise cooling


def _unknown_invite():
    return NotFound("That invite link is unknown, expired or used up.", "invite_not_found")
