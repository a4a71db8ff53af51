"""Reports: members flag a group message; the group's owner and moderators read the reports,
with the message decrypted for them alone, and resolve them.

Reports are for group messages: a 1:1 chat has no moderator, and blocking is the answer
there (400 not_a_group). A member reports only what they can read (a "joined" group's older
messages are as unknown to them as any other id), once per message: reporting again returns
the first report. Reports are limited per user (core.limits.REPORTS_PER_USER).
"""
from chalicelib.core.clock import TIME_SCHEMA, iso, utcnow
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.ids import ID_SCHEMA, new_id
from chalicelib.core.limits import REPORTS_PER_USER
from chalicelib.core.validation import CURSOR_SCHEMA, DEFAULT_PAGE, object_schema, page_limit_schema
from chalicelib.groups.access import GroupAccess
from chalicelib.groups.announcements import announce
from chalicelib.groups.paging import fetch_page
from chalicelib.messaging.views import MESSAGE_SCHEMA
from chalicelib.storage.conversations import is_direct_id
from chalicelib.storage.reports import OPEN, RESOLVED

MAX_REASON_CHARS = 500

REPORT_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["reason"],
    "additionalProperties": False,
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON_CHARS,
                              "description": "What is wrong with the message, for the group's moderators."}},
}
RESOLVE_REQUEST_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"resolution": {"type": "string", "maxLength": MAX_REASON_CHARS,
                                  "description": "What was done (optional), kept with the report."}},
}
REPORTS_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "state": {"type": "string", "enum": [OPEN, RESOLVED], "description": "Default open."},
        "limit": page_limit_schema(),
        "cursor": CURSOR_SCHEMA,
    },
}
REPORT_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA, "groupId": ID_SCHEMA, "messageId": ID_SCHEMA, "reporterId": ID_SCHEMA,
        "reason": {"type": "string"}, "state": {"type": "string", "enum": [OPEN, RESOLVED]}, "createdAt": TIME_SCHEMA,
    },
    {
        "resolvedBy": ID_SCHEMA, "resolvedAt": TIME_SCHEMA, "resolution": {"type": "string"},
        "reporterName": {"type": "string"},
        "message": {"anyOf": [MESSAGE_SCHEMA, {"type": "null", "description": "The message no longer exists."}],
                    "description": "The reported message, decrypted (owner and moderators only)."},
    },
)


def report_view(doc, message=None, with_message=False, names=None):
    view = {key: doc[key] for key in ("groupId", "messageId", "reporterId", "reason", "state")}
    view.update(id=doc["_id"], createdAt=iso(doc["createdAt"]))
    for optional in ("resolvedBy", "resolution"):
        if doc.get(optional) is not None:
            view[optional] = doc[optional]
    if doc.get("resolvedAt") is not None:
        view["resolvedAt"] = iso(doc["resolvedAt"])
    if names and doc["reporterId"] in names:
        view["reporterName"] = names[doc["reporterId"]]
    if with_message:
        view["message"] = message
    return view


class Reports:
    def __init__(self, *, reports, messages, messaging, memberships, groups, users, publisher, limiter, clock=utcnow):
        self._reports = reports
        self._messages = messages
        self._messaging = messaging  # chalicelib.messaging.messages.Messaging: reading_floor, view
        self._users = users
        self._publisher = publisher
        self._limiter = limiter
        self._clock = clock
        self._access = GroupAccess(groups, memberships)

    def report(self, caller_id, conversation_id, message_id, reason):
        """A member reports a group message they can read; {report} (the first, if reported before)."""
        if not reason.strip():
            raise InvalidInput("reason must not be empty.", "empty_reason")
        if is_direct_id(conversation_id):
            raise InvalidInput("Reports go to a group's moderators; in a 1:1 chat, block the person instead.",
                               "not_a_group")
        floor = self._messaging.reading_floor(caller_id, conversation_id)
        message = self._messages.get(message_id)
        if message is None or message["conversationId"] != conversation_id or (
                floor is not None and message["createdAt"] < floor):
            raise NotFound("There is no such message.", "message_not_found")
        self._limiter.take(REPORTS_PER_USER, caller_id)
        now = self._clock()
        doc, created = self._reports.add({
            "_id": new_id(), "groupId": conversation_id, "messageId": message_id, "reporterId": caller_id,
            "reason": reason.strip(), "createdAt": now, "state": OPEN,
        })
        if created:
            group = self._access.existing(conversation_id)
            announce(self._publisher, "report.created", conversation_id, now, user_ids=self._access.staff_ids(group),
                     report=report_view(doc))
        return {"report": report_view(doc)}

    def list(self, group_id, caller_id, state=OPEN, limit=DEFAULT_PAGE, cursor=None):
        """A page of the group's reports in `state`, each with its message decrypted (owner, moderators)."""
        self._access.moderated(group_id, caller_id)
        docs, next_cursor = fetch_page(lambda after, count: self._reports.of_group(group_id, state, after, count),
                                       limit, cursor, lambda doc: (doc["_id"],))
        messages = self._messages.by_ids({doc["messageId"] for doc in docs})
        found = self._users.by_ids({doc["reporterId"] for doc in docs})
        names = {user_id: user["name"] for user_id, user in found.items()}
        views = []
        for doc in docs:
            message = messages.get(doc["messageId"])
            shown = self._messaging.view(message) if message is not None else None
            views.append(report_view(doc, shown, with_message=True, names=names))
        return {"reports": views, "nextCursor": next_cursor}

    def resolve(self, group_id, report_id, caller_id, resolution=None):
        """Close a report (owner, moderators); resolving again returns it as it is."""
        group, _ = self._access.moderated(group_id, caller_id)
        now = self._clock()
        doc = self._reports.resolve(group_id, report_id, caller_id, now, (resolution or "").strip() or None)
        if doc is None:
            doc = self._reports.get(group_id, report_id)
            if doc is None:
                raise NotFound("There is no such report.", "report_not_found")
            return {"report": report_view(doc)}
        announce(self._publisher, "report.resolved", group_id, now, user_ids=self._access.staff_ids(group),
                 report=report_view(doc))
        return {"report": report_view(doc)}
