"""Groups themselves: creating one, changing its settings, and finding groups to read."""
from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import Forbidden, InvalidInput
from chalicelib.core.ids import new_id
from chalicelib.core.limits import GROUPS_CREATED_PER_USER
from chalicelib.core.validation import DEFAULT_PAGE
from chalicelib.groups.access import GroupAccess, banned_error, group_not_found
from chalicelib.groups.announcements import announce
from chalicelib.groups.paging import fetch_page
from chalicelib.groups.schemas import clean_name
from chalicelib.groups.views import group_preview, group_view, request_view, role_in
from chalicelib.storage.groups import OPEN, SHARED_HISTORY
from chalicelib.storage.memberships import BANNED, MEMBER, PENDING, current_state, joined_at


class Groups:
    def __init__(self, groups, memberships, publisher, limiter, clock=utcnow):
        self._groups = groups
        self._memberships = memberships
        self._publisher = publisher
        self._limiter = limiter
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def create(self, caller_id, *, name, group_type, rejoin_cooldown_seconds=0, history_visibility=SHARED_HISTORY):
        """A new group owned by the caller, who is its first member."""
        name = clean_name(name)
        self._limiter.take(GROUPS_CREATED_PER_USER, caller_id)
        now = self._clock()
        group_id = new_id()
        # The owner's membership first: should the process die in between, what is left
        # is a membership of a group that does not exist, which every reader ignores.
        self._memberships.add_owner(group_id, caller_id, now)
        group = self._groups.create(
            group_id=group_id, name=name, group_type=group_type, owner_id=caller_id,
            rejoin_cooldown_seconds=rejoin_cooldown_seconds, now=now, history_visibility=history_visibility,
        )
        return group_view(group)

    def update(self, group_id, caller_id, *, name=None, rejoin_cooldown_seconds=None, history_visibility=None):
        """The owner renames the group or changes its rejoin cooldown or history visibility."""
        if name is None and rejoin_cooldown_seconds is None and history_visibility is None:
            raise InvalidInput("Send at least one of name, rejoinCooldownSeconds, historyVisibility.",
                               "nothing_to_change")
        if name is not None:
            name = clean_name(name)
        self._access.owned(group_id, caller_id)
        now = self._clock()
        group = self._groups.update(group_id, caller_id, now, name=name,
                                    rejoin_cooldown_seconds=rejoin_cooldown_seconds,
                                    history_visibility=history_visibility)
        if group is None:
            raise Forbidden("Only the group's owner may do that.", "not_owner")  # ownership moved meanwhile
        view = group_view(group)
        announce(self._publisher, "group.updated", group_id, now, to_members=True, group=view)
        return view

    def details(self, group_id, caller_id):
        """{group} for members (and anyone, for an open group); a requester sees a preview."""
        group, doc = self._access.visible(group_id, caller_id)
        state = current_state(doc, self._clock())
        if state == BANNED:
            raise banned_error(doc)
        if state == MEMBER or group["type"] == OPEN:
            return {"group": group_view(group)}
        if state == PENDING:
            return {"group": group_preview(group), "request": request_view(doc)}
        raise group_not_found()  # a former member of a private group sees no more than a stranger

    def mine(self, caller_id, limit=DEFAULT_PAGE, cursor=None):
        """The groups the caller is a member of, in id order, a page at a time."""
        docs, next_cursor = fetch_page(
            lambda after, count: self._memberships.groups_of(caller_id, after, count), limit, cursor,
            lambda doc: (doc["groupId"],),
        )
        found = self._groups.by_ids(doc["groupId"] for doc in docs)
        items = []
        for doc in docs:
            group = found.get(doc["groupId"])
            if group is None:
                continue  # a membership left behind by a creation that did not finish
            view = group_view(group)
            view["membership"] = {"role": role_in(group, caller_id, doc), "joinedAt": iso(joined_at(doc))}
            items.append(view)
        return {"groups": items, "nextCursor": next_cursor}

    def discover(self, query="", limit=DEFAULT_PAGE, cursor=None):
        """Open groups whose name starts with `query`, by name, a page at a time."""
        groups, next_cursor = fetch_page(
            lambda after, count: self._groups.discover(query.strip(), after, count), limit, cursor,
            lambda group: (group["nameLower"], group["_id"]), arity=2,
        )
        return {"groups": [group_view(group) for group in groups], "nextCursor": next_cursor}
