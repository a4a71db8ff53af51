"""Finding people to start a chat with: by name or email prefix, among the people who share a
group with the caller. Never a directory of everyone: a match outside the caller's groups is
skipped exactly as a non-match is.

Candidates come from the users' `searchKeys` index in id order, a batch at a time, and are
kept if they share one of the caller's groups (one indexed read per batch). A page stops after
MAX_SCANNED candidates, so a very common prefix answers a short page and a cursor rather than
scanning the whole user base; `nextCursor` is null once nothing more can match.
"""
from chalicelib.accounts.schemas import user_view
from chalicelib.core.errors import InvalidInput
from chalicelib.groups.paging import decode_cursor, encode_cursor

BATCH = 100
MAX_SCANNED = 500
MY_GROUPS_LIMIT = 1000


class People:
    def __init__(self, users, memberships):
        self._users = users
        self._memberships = memberships

    def search(self, caller_id, q, limit=20, cursor=None):
        """{people: [user], nextCursor} of the people sharing a group with the caller whose name, a
        word of it, or email starts with `q` (case-insensitive)."""
        after = (decode_cursor(cursor, 1) or (None,))[0]  # a user id (any string just pages on from it)
        prefix = " ".join(q.lower().split())
        if not prefix:
            raise InvalidInput("q must contain a letter or digit.", "invalid_query")
        my_groups = self._memberships.group_ids_of(caller_id, limit=MY_GROUPS_LIMIT)
        found, scanned = [], 0
        while my_groups and len(found) < limit and scanned < MAX_SCANNED:
            batch = self._users.matching(prefix, after=after, limit=BATCH)
            if not batch:
                return {"people": found, "nextCursor": None}
            shared = self._memberships.shared_with([u["_id"] for u in batch if u["_id"] != caller_id], my_groups)
            for user in batch:
                scanned += 1
                after = user["_id"]
                if user["_id"] in shared:
                    found.append(user_view(user))
                    if len(found) == limit:
                        break
            if len(batch) < BATCH and after == batch[-1]["_id"]:
                return {"people": found, "nextCursor": None}
        return {"people": found, "nextCursor": encode_cursor(after) if my_groups and after else None}
