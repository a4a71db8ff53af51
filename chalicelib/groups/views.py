"""What callers see of groups and memberships: JSON-ready dicts with ISO 8601 UTC times,
and the JSON Schema of each (published in the OpenAPI document)."""
from chalicelib.core.clock import OPTIONAL_TIME_SCHEMA, TIME_SCHEMA, iso
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema as _object
from chalicelib.storage.groups import JOINED_HISTORY, OPEN, PRIVATE, SHARED_HISTORY
from chalicelib.storage.memberships import MODERATOR_ROLE, joined_at

_TYPE = {"type": "string", "enum": [OPEN, PRIVATE]}
_ROLE = {"type": "string", "enum": ["owner", "moderator", "member"]}
HISTORY_VISIBILITY_SCHEMA = {
    "type": "string", "enum": [SHARED_HISTORY, JOINED_HISTORY],
    "description": "shared: members read all history; joined: only what was sent after they last joined.",
}


GROUP_SCHEMA = _object({
    "id": ID_SCHEMA,
    "name": {"type": "string"},
    "type": _TYPE,
    "ownerId": ID_SCHEMA,
    "rejoinCooldownSeconds": {"type": "integer", "minimum": 0},
    "memberCount": {"type": "integer", "minimum": 1},
    "historyVisibility": HISTORY_VISIBILITY_SCHEMA,
    "createdAt": TIME_SCHEMA,
})
MY_GROUP_SCHEMA = _object({
    **GROUP_SCHEMA["properties"],
    "membership": _object({"role": _ROLE, "joinedAt": TIME_SCHEMA}),
})
GROUP_PREVIEW_SCHEMA = _object({"id": ID_SCHEMA, "name": {"type": "string"}, "type": _TYPE})
MEMBERSHIP_SCHEMA = _object({
    "groupId": ID_SCHEMA, "userId": ID_SCHEMA, "state": {"const": "member"}, "role": _ROLE, "joinedAt": TIME_SCHEMA,
})
MEMBER_SCHEMA = _object({"userId": ID_SCHEMA, "role": _ROLE, "joinedAt": TIME_SCHEMA}, {"name": {"type": "string"}})
REQUEST_SCHEMA = _object(
    {"groupId": ID_SCHEMA, "userId": ID_SCHEMA, "state": {"const": "pending"}, "requestedAt": TIME_SCHEMA},
    {"name": {"type": "string"}},
)
BAN_VIEW_SCHEMA = _object(
    {"groupId": ID_SCHEMA, "userId": ID_SCHEMA, "bannedAt": TIME_SCHEMA, "bannedUntil": OPTIONAL_TIME_SCHEMA},
    {"name": {"type": "string"}},
)


def group_view(group):
    """The full view of a group, for its members (and anyone, for an open group)."""
    return {
        "id": group["_id"],
        "name": group["name"],
        "type": group["type"],
        "ownerId": group["ownerId"],
        "rejoinCooldownSeconds": group["rejoinCooldownSeconds"],
        "memberCount": group.get("memberCount", 0),
        "historyVisibility": group.get("historyVisibility", SHARED_HISTORY),
        "createdAt": iso(group["createdAt"]),
    }


def group_preview(group):
    """What someone waiting for approval may see of a private group."""
    return {"id": group["_id"], "name": group["name"], "type": group["type"]}


def role_in(group, user_id, doc=None):
    """"owner" (groups.ownerId), "moderator" (the membership's role) or "member"."""
    if group["ownerId"] == user_id:
        return "owner"
    if doc is not None and doc.get("role") == MODERATOR_ROLE:
        return "moderator"
    return "member"


def membership_view(group, doc):
    """A current membership, as returned when joining or being approved."""
    return {
        "groupId": doc["groupId"],
        "userId": doc["userId"],
        "state": "member",
        "role": role_in(group, doc["userId"], doc),
        "joinedAt": iso(joined_at(doc)),
    }


def member_view(group, doc, names):
    """One row of a member list; `names` maps user ids to display names."""
    view = {"userId": doc["userId"], "role": role_in(group, doc["userId"], doc), "joinedAt": iso(joined_at(doc))}
    if doc["userId"] in names:
        view["name"] = names[doc["userId"]]
    return view


def request_view(doc, names=None):
    """A pending join request."""
    view = {"groupId": doc["groupId"], "userId": doc["userId"], "state": "pending", "requestedAt": iso(doc["since"])}
    if names and doc["userId"] in names:
        view["name"] = names[doc["userId"]]
    return view


def ban_view(doc, names=None):
    """A ban; `bannedUntil` None means until the owner lifts it."""
    view = {
        "groupId": doc["groupId"],
        "userId": doc["userId"],
        "bannedAt": iso(doc["since"]),
        "bannedUntil": iso(doc.get("bannedUntil")),
    }
    if names and doc["userId"] in names:
        view["name"] = names[doc["userId"]]
    return view
