"""Who is in a group: its members (for members) and its pending requests (for the owner)."""
from chalicelib.clock import utcnow
from chalicelib.groups.access import GroupAccess
from chalicelib.groups.paging import decode_cursor, page_of
from chalicelib.groups.schemas import DEFAULT_PAGE
from chalicelib.groups.views import member_view, request_view
from chalicelib.storage.memberships import MEMBER, PENDING


class Roster:
    def __init__(self, groups, memberships, users, clock=utcnow):
        self._memberships = memberships
        self._users = users
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def members(self, group_id, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of members in user id order, each with their role and name."""
        group = self._access.member_of(group_id, caller_id, self._clock())
        docs, next_cursor = self._page(group_id, MEMBER, limit, cursor)
        names = self._names(docs)
        return {"members": [member_view(group, doc, names) for doc in docs], "nextCursor": next_cursor}

    def requests(self, group_id, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of pending join requests in user id order (the owner only)."""
        self._access.owned(group_id, caller_id)
        docs, next_cursor = self._page(group_id, PENDING, limit, cursor)
        names = self._names(docs)
        return {"requests": [request_view(doc, names) for doc in docs], "nextCursor": next_cursor}

    def _page(self, group_id, state, limit, cursor):
        after = decode_cursor(cursor, 1)
        docs = self._memberships.in_state(group_id, state, after=after[0] if after else None, limit=limit + 1)
        return page_of(docs, limit, lambda doc: (doc["userId"],))

    def _names(self, docs):
        found = self._users.by_ids(doc["userId"] for doc in docs)
        return {user_id: user["name"] for user_id, user in found.items()}
