"""Blocking people: a blocked user can no longer start or send to a 1:1 chat with the one who
blocked them (messaging checks chalicelib.storage.blocks), and typing and presence stop
flowing between the two (realtime.sockets). Groups they share are unchanged: a group's
moderators handle abuse there."""
from chalicelib.core.clock import TIME_SCHEMA, iso, utcnow
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.limits import BLOCK_CHANGES_PER_USER
from chalicelib.core.validation import DEFAULT_PAGE, object_schema
from chalicelib.groups.paging import fetch_page

BLOCK_SCHEMA = object_schema({"userId": ID_SCHEMA, "blockedAt": TIME_SCHEMA}, {"name": {"type": "string"}})


class Blocking:
    def __init__(self, blocks, users, limiter, clock=utcnow):
        self._blocks = blocks
        self._users = users
        self._limiter = limiter
        self._clock = clock

    def block(self, caller_id, user_id):
        """The caller blocks `user_id` (again is harmless); the block."""
        if user_id == caller_id:
            raise InvalidInput("You cannot block yourself.", "self_block")
        user = self._users.by_id(user_id)
        if user is None:
            raise NotFound("There is no such user.", "user_not_found")
        self._limiter.take(BLOCK_CHANGES_PER_USER, caller_id)
        doc = self._blocks.block(caller_id, user_id, self._clock())
        return _block_view(doc, {user_id: user["name"]})

    def unblock(self, caller_id, user_id):
        """The caller lifts a block (none: nothing happens)."""
        self._limiter.take(BLOCK_CHANGES_PER_USER, caller_id)
        self._blocks.unblock(caller_id, user_id)

    def blocked(self, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of the people the caller blocked, in user id order."""
        docs, next_cursor = fetch_page(lambda after, count: self._blocks.blocked_by(caller_id, after, count),
                                       limit, cursor, lambda doc: (doc["blockedId"],))
        found = self._users.by_ids(doc["blockedId"] for doc in docs)
        names = {user_id: user["name"] for user_id, user in found.items()}
        return {"blocked": [_block_view(doc, names) for doc in docs], "nextCursor": next_cursor}


def _block_view(doc, names):
    view = {"userId": doc["blockedId"], "blockedAt": iso(doc["createdAt"])}
    if doc["blockedId"] in names:
        view["name"] = names[doc["blockedId"]]
    return view
