"""Who is in a group: its members (for members); its pending requests and bans (for the owner
and moderators)."""
from chalicelib.core.clock import utcnow
from chalicelib.core.validation import DEFAULT_PAGE
from chalicelib.groups.access import GroupAccess
from chalicelib.groups.paging import fetch_page
from chalicelib.groups.views import ban_view, member_view, request_view
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
        docs, next_cursor = fetch_page(
            lambda after, count: self._memberships.in_state(group_id, MEMBER, after, count), limit, cursor, _by_user
        )
        names = self._names(docs)
        return {"members": [member_view(group, doc, names) for doc in docs], "nextCursor": next_cursor}

    def requests(self, group_id, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of pending join requests in user id order (the owner and moderators)."""
        self._access.moderated(group_id, caller_id)
        docs, next_cursor = fetch_page(
            lambda after, count: self._memberships.in_state(group_id, PENDING, after, count), limit, cursor, _by_user
        )
        names = self._names(docs)
        return {"requests": [request_view(doc, names) for doc in docs], "nextCursor": next_cursor}

    def bans(self, group_id, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of the bans still in force, in user id order (the owner and moderators)."""
        self._access.moderated(group_id, caller_id)
        now = self._clock()
        docs, next_cursor = fetch_page(
            lambda after, count: self._memberships.active_bans(group_id, now, after, count), limit, cursor, _by_user
        )
        names = self._names(docs)
        return {"bans": [ban_view(doc, names) for doc in docs], "nextCursor": next_cursor}

    def _names(self, docs):
        found = self._users.by_ids(doc["userId"] for doc in docs)
        return {user_id: user["name"] for user_id, user in found.items()}


def _by_user(doc):
    return (doc["userId"],)
