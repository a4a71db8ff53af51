"""The `memberships` collection: one document per (group, user), so each change is one
atomic, precondition-guarded update and a group's size is not bounded by a document.

Document: {_id: "<groupId>:<userId>", groupId, userId, state, role, since, ...} where
`state` is one of
- "member": a current member (`role` "owner", "moderator" or "member"; see the lock below);
- "pending": a join request waiting for the owner of a private group;
- "banned": blocked from rejoining until `bannedUntil` (None: for good);
- "former": none of these any more; `cooldownFrom` (if set) starts the group's rejoin
  cooldown, and `exitReason` says how the user got here.
`since` is when the current state began (joined, requested or banned at); a member's
`joinedAt` is when they last joined (what a group with historyVisibility "joined" lets them
read from; documents from before it existed fall back to `since`).

`role: "moderator"` is granted by the owner (promote/demote below, each one guarded update
that requires a current member). Moderators act on plain members only: the kicks and bans
of a moderator use filters that match `role: "member"` alone, so neither the owner nor
another moderator can be hit, and a promotion racing a moderator's ban is decided by
whichever update lands first. Every exit (leave, kick, ban) resets `role` to "member".

`role: "owner"` is a lock, not the source of truth (that is `groups.ownerId`): a locked
membership cannot leave, be kicked or be banned. `lockedAt` says when it was taken, so a
lock left behind by a crashed ownership transfer goes stale after LOCK_LEASE and then counts
as a plain member (see chalicelib.groups.ownership for the protocol).

Every transition below is a single find-and-modify whose filter is its precondition. A
method returns the changed document, or None when the precondition did not hold; the
caller then reads the document to tell the user why.
"""
from datetime import timedelta

from chalicelib.core.errors import Conflict
from chalicelib.storage.mongo import database, ensure_indexes_once

MEMBER = "member"
PENDING = "pending"
BANNED = "banned"
FORMER = "former"
OWNER_ROLE = "owner"
MODERATOR_ROLE = "moderator"
MEMBER_ROLE = "member"
LOCK_LEASE = timedelta(seconds=60)
_BAN_ATTEMPTS = 3

# Fields that only make sense in one state; every transition clears the others.
_STATE_FIELDS = {"cooldownFrom": "", "exitReason": "", "bannedUntil": "", "bannedBy": "", "lockedAt": "",
                 "joinedAt": "", "priorRole": ""}


def membership_id(group_id, user_id):
    return f"{group_id}:{user_id}"


def current_state(doc, now):
    """The state `doc` stands for at `now` (an expired ban is "former"); None without a doc."""
    if doc is None:
        return None
    if doc["state"] == BANNED and doc.get("bannedUntil") is not None and doc["bannedUntil"] <= now:
        return FORMER
    return doc["state"]


def joined_at(doc):
    """When the member `doc` last joined."""
    return doc.get("joinedAt") or doc["since"]


def joined_at_expression(read):
    """`joined_at` as an aggregation expression over the batch read named `read`
    (storage.batch: "$<read>" is the array of the membership documents it found)."""
    from chalicelib.storage.batch import field_of

    return {"$ifNull": [field_of(read, "joinedAt"), field_of(read, "since")]}


def lock_is_fresh(doc, now):
    """True if `doc` holds an owner lock taken less than LOCK_LEASE ago."""
    return doc.get("role") == OWNER_ROLE and doc.get("lockedAt") is not None and now - doc["lockedAt"] < LOCK_LEASE


class MembershipStore:
    def __init__(self, db):
        self._memberships = db["memberships"]
        ensure_indexes_once("memberships", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._memberships.create_index([("groupId", 1), ("state", 1), ("userId", 1)], name="group_state_user")
        self._memberships.create_index([("userId", 1), ("state", 1), ("groupId", 1)], name="user_state_group")

    # Reading -------------------------------------------------------------------------------

    def get(self, group_id, user_id):
        """The membership document of `user_id` in `group_id`, or None."""
        return self._memberships.find_one({"_id": membership_id(group_id, user_id), "groupId": group_id})

    def get_read(self, group_id, user_id):
        """`get` as a Read, for storage.batch.read_together."""
        from chalicelib.storage.batch import Read

        return Read(self._memberships, [{"$match": {"_id": membership_id(group_id, user_id), "groupId": group_id}},
                                        {"$limit": 1}])

    def is_member(self, group_id, user_id):
        """True if `user_id` is a current member of `group_id` (the owner included)."""
        found = self._memberships.find_one(
            {"_id": membership_id(group_id, user_id), "groupId": group_id, "state": MEMBER}, {"_id": 1}
        )
        return found is not None

    def members_among(self, group_id, user_ids):
        """The ids among `user_ids` of current members of `group_id` (one read)."""
        ids = [membership_id(group_id, user_id) for user_id in user_ids]
        return {doc["userId"] for doc in self._memberships.find({"_id": {"$in": ids}, "groupId": group_id, "state": MEMBER},
                                                             {"userId": 1})}

    def member_ids(self, group_id, after=None, limit=500, joined_by=None):
        """Up to `limit` member ids of `group_id` in id order, starting after `after` (with
        `joined_by`, only members whose latest join is at or before it)."""
        return [doc["userId"] for doc in self.in_state(group_id, MEMBER, after, limit, joined_by)]

    def in_state(self, group_id, state, after=None, limit=50, joined_by=None):
        """Up to `limit` documents of `group_id` in `state`, in user id order after `after`."""
        query = {"groupId": group_id, "state": state}
        if joined_by is not None:  # joined_at(doc): joinedAt, or `since` for a document without it
            query["$or"] = [{"joinedAt": {"$lte": joined_by}},
                            {"joinedAt": {"$exists": False}, "since": {"$lte": joined_by}}]
        if after is not None:
            query["userId"] = {"$gt": after}
        return list(self._memberships.find(query).sort("userId", 1).limit(limit))

    def active_bans(self, group_id, now, after=None, limit=50):
        """Up to `limit` bans of `group_id` still in force at `now`, in user id order after `after`."""
        query = {"groupId": group_id, "state": BANNED, "$or": [{"bannedUntil": None}, {"bannedUntil": {"$gt": now}}]}
        if after is not None:
            query["userId"] = {"$gt": after}
        return list(self._memberships.find(query).sort("userId", 1).limit(limit))

    def groups_of(self, user_id, after=None, limit=50):
        """Up to `limit` memberships of `user_id` (state member), in group id order after `after`."""
        query = {"userId": user_id, "state": MEMBER}
        if after is not None:
            query["groupId"] = {"$gt": after}
        return list(self._memberships.find(query).sort("groupId", 1).limit(limit))

    def group_ids_of(self, user_id, limit=1000):
        """Up to `limit` ids of the groups `user_id` is a current member of, in id order."""
        return [doc["groupId"] for doc in self.groups_of(user_id, limit=limit)]

    def group_ids_of_users(self, user_ids):
        """{userId: [groupId, ...]} of the groups each of `user_ids` is a current member of, in one query."""
        found = {user_id: [] for user_id in user_ids}
        if found:
            query = {"userId": {"$in": list(found)}, "state": MEMBER}
            for doc in self._memberships.find(query, {"groupId": 1, "userId": 1, "_id": 0}):
                found[doc["userId"]].append(doc["groupId"])
        return found

    def moderator_ids(self, group_id, limit=100):
        """Up to `limit` ids of the group's current moderators, in id order."""
        query = {"groupId": group_id, "state": MEMBER, "role": MODERATOR_ROLE}
        return [doc["userId"] for doc in self._memberships.find(query, {"userId": 1}).sort("userId", 1).limit(limit)]

    def shared_with(self, user_ids, group_ids):
        """The subset of `user_ids` who are current members of at least one of `group_ids`."""
        user_ids, group_ids = list(user_ids), list(group_ids)
        if not user_ids or not group_ids:
            return set()
        query = {"userId": {"$in": user_ids}, "state": MEMBER, "groupId": {"$in": group_ids}}
        return {doc["userId"] for doc in self._memberships.find(query, {"userId": 1})}

    def delete_user(self, user_id):
        """Forget every membership, request, ban and departure of `user_id` (a deleted account)."""
        self._memberships.delete_many({"userId": user_id})

    def count_members(self, group_id):
        """Members counted from the memberships themselves (to check or repair memberCount)."""
        return self._memberships.count_documents({"groupId": group_id, "state": MEMBER})

    # Joining -------------------------------------------------------------------------------

    def add_owner(self, group_id, user_id, now):
        """The creator's membership of a new group: a member holding the owner lock."""
        doc = {
            "_id": membership_id(group_id, user_id),
            "groupId": group_id,
            "userId": user_id,
            "state": MEMBER,
            "role": OWNER_ROLE,
            "lockedAt": now,
            "since": now,
            "joinedAt": now,
        }
        self._memberships.insert_one(doc)
        return doc

    def enter(self, group_id, user_id, state, now, cooldown_seconds, from_pending=False):
        """Make `user_id` a member or a requester (`state`) if nothing stands in the way.

        Allowed from no document, from "former" once the cooldown is over, and from an
        expired ban (and, with `from_pending`, from a pending request: an invite link).
        Returns the new document, or None (already in, banned, cooling down).
        """
        from pymongo.errors import DuplicateKeyError

        cooled_before = now - timedelta(seconds=cooldown_seconds)
        ways_in = [
            {"state": FORMER, "cooldownFrom": None},
            {"state": FORMER, "cooldownFrom": {"$lte": cooled_before}},
            {"state": BANNED, "bannedUntil": {"$lte": now}},
        ]
        if from_pending:
            ways_in.append({"state": PENDING})
        fields = {"state": state, "role": MEMBER_ROLE, "since": now, "groupId": group_id, "userId": user_id}
        if state == MEMBER:
            fields["joinedAt"] = now
        try:
            # With no document the upsert inserts one; with a document that fails the
            # precondition it tries to insert a second `_id` and MongoDB refuses.
            return self._change(group_id, user_id, {"$or": ways_in}, _update(fields), upsert=True)
        except DuplicateKeyError:
            return None

    def approve(self, group_id, user_id, now):
        """A pending request becomes membership; None if there is no pending request."""
        return self._change(group_id, user_id, {"state": PENDING},
                            _update({"state": MEMBER, "since": now, "joinedAt": now}))

    # Roles ---------------------------------------------------------------------------------

    def promote(self, group_id, user_id):
        """A plain current member becomes a moderator; None if `user_id` is not one."""
        return self._change(group_id, user_id, {"state": MEMBER, "role": MEMBER_ROLE},
                            {"$set": {"role": MODERATOR_ROLE}})

    def demote(self, group_id, user_id):
        """A current moderator becomes a plain member; None if `user_id` is not one."""
        return self._change(group_id, user_id, {"state": MEMBER, "role": MODERATOR_ROLE},
                            {"$set": {"role": MEMBER_ROLE}})

    # Leaving -------------------------------------------------------------------------------

    def drop_request(self, group_id, user_id, now, reason, cooldown):
        """End a pending request (rejected or withdrawn); None if there is none."""
        fields = {"state": FORMER, "since": now, "exitReason": reason}
        if cooldown:
            fields["cooldownFrom"] = now
        return self._change(group_id, user_id, {"state": PENDING}, _update(fields))

    def remove(self, group_id, user_id, now, reason, plain_only=False):
        """A member without a live owner lock leaves (or is kicked); the cooldown starts.

        None if `user_id` is not a member or holds a live owner lock (or, with `plain_only`,
        as for a moderator's kick, is anything but a plain member). The group's actual
        owner holds a lock that may look stale, so callers first check `groups.ownerId`.
        """
        precondition = {"state": MEMBER, **_removable(now, plain_only)}
        fields = {"state": FORMER, "role": MEMBER_ROLE, "since": now, "exitReason": reason, "cooldownFrom": now}
        return self._change(group_id, user_id, precondition, _update(fields))

    def ban(self, group_id, user_id, now, until, by, plain_only=False):
        """Ban `user_id` whatever their state, unless they hold a live owner lock (or, with
        `plain_only`, as for a moderator's ban, are a member other than a plain one).

        Returns True if a member was banned, False if someone else was (a requester, a
        former member, a stranger), None if a live owner lock (or the role) refused the ban. Whether a
        member left is decided by which state-pinned write matched, never by the document's
        pre-image: a pre-image is only as good as the server's isolation, and the embedded
        test server can hand back a stale one under concurrent writes.
        """
        from pymongo.errors import DuplicateKeyError

        update = _update({
            "state": BANNED, "role": MEMBER_ROLE, "since": now, "bannedUntil": until, "bannedBy": by,
            "groupId": group_id, "userId": user_id,
        })
        for _ in range(_BAN_ATTEMPTS):
            if self._change(group_id, user_id, {"state": MEMBER, **_removable(now, plain_only)}, update) is not None:
                return True
            try:
                if self._change(group_id, user_id, {"state": {"$ne": MEMBER}}, update, upsert=True) is not None:
                    return False
            except DuplicateKeyError:
                pass  # a member again (or locked) by now: look once more
            doc = self.get(group_id, user_id)
            if doc is not None and doc["state"] == MEMBER and (
                    lock_is_fresh(doc, now) or (plain_only and doc.get("role") != MEMBER_ROLE)):
                return None
        raise Conflict("The membership kept changing while we tried to ban; try again.", "concurrent_change")

    def unban(self, group_id, user_id, now):
        """Lift a ban (expired or not); None if `user_id` is not banned. No cooldown follows."""
        fields = {"state": FORMER, "since": now, "exitReason": "unbanned"}
        return self._change(group_id, user_id, {"state": BANNED}, _update(fields))

    # The owner lock ------------------------------------------------------------------------

    def lock_owner(self, group_id, user_id, now):
        """Step 1 of a transfer: a member without a live lock takes the owner lock.

        A moderator's lock remembers `priorRole`, so that an undone transfer gives the role back.
        """
        update = {"$set": {"role": OWNER_ROLE, "lockedAt": now, "priorRole": MODERATOR_ROLE}}
        locked = self._change(group_id, user_id, {"state": MEMBER, "role": MODERATOR_ROLE}, update)
        if locked is not None:
            return locked
        update = {"$set": {"role": OWNER_ROLE, "lockedAt": now}, "$unset": {"priorRole": ""}}
        return self._change(group_id, user_id, {"state": MEMBER, **_unlocked(now)}, update)

    def release_owner(self, group_id, user_id, locked_at, restore=False):
        """Drop the owner lock taken at `locked_at`; None if that lock is no longer held.

        The holder becomes a plain member, or with `restore` (an undone transfer) what they
        were before the lock.
        """
        held = {"role": OWNER_ROLE, "lockedAt": locked_at}
        cleared = {"lockedAt": "", "priorRole": ""}
        if restore:
            back = self._change(group_id, user_id, {**held, "priorRole": MODERATOR_ROLE},
                                {"$set": {"role": MODERATOR_ROLE}, "$unset": cleared})
            if back is not None:
                return back
        return self._change(group_id, user_id, held, {"$set": {"role": MEMBER_ROLE}, "$unset": cleared})

    # ---------------------------------------------------------------------------------------

    def _change(self, group_id, user_id, precondition, update, upsert=False):
        """Apply `update` if the document matches `precondition`; the new document or None."""
        from pymongo import ReturnDocument

        return self._memberships.find_one_and_update(
            {"_id": membership_id(group_id, user_id), "groupId": group_id, **precondition},
            update,
            upsert=upsert,
            return_document=ReturnDocument.AFTER,
        )


def _unlocked(now):
    """The filter for "holds no live owner lock" (a member or moderator, or a stale lock)."""
    return {"$or": [{"role": {"$in": [MEMBER_ROLE, MODERATOR_ROLE]}},
                    {"role": OWNER_ROLE, "lockedAt": {"$lt": now - LOCK_LEASE}}]}


def _removable(now, plain_only):
    """Who a kick or ban may hit: a plain member only (a moderator acting), else anyone unlocked."""
    return {"role": MEMBER_ROLE} if plain_only else _unlocked(now)


def _update(fields):
    """$set `fields` and $unset every other state-specific field."""
    cleared = {name: "" for name in _STATE_FIELDS if name not in fields}
    update = {"$set": fields}
    if cleared:
        update["$unset"] = cleared
    return update
