"""What the API answers about messages and conversations: the views and their JSON Schemas."""
from chalicelib.core.clock import TIME_SCHEMA, iso
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema
from chalicelib.media.views import MESSAGE_ATTACHMENT_SCHEMA

REACTION_SCHEMA = object_schema({
    "emoji": {"type": "string"},
    "count": {"type": "integer", "minimum": 1},
    "me": {"type": "boolean", "description": "Whether the caller is one of them (in an event: the actor)."},
})
# What the API answers (published in the OpenAPI document; see message_view and Messaging).
MESSAGE_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA,
        "conversationId": ID_SCHEMA,
        "senderId": ID_SCHEMA,
        "sender": {"type": ["string", "null"], "description": "The sender's email; null once they deleted their account."},
        "text": {"type": ["string", "null"], "description": "null only when the message is deleted or undecryptable."},
        "createdAt": TIME_SCHEMA,
        "seq": {"type": "integer", "minimum": 1},
        "version": {"type": "integer", "minimum": 1,
                    "description": "1 when sent, one more per edit, reaction change or deletion: of two views of "
                                   "a message keep the higher."},
        "reactions": {"type": "array", "items": REACTION_SCHEMA, "description": "In first-reacted order."},
    },
    {
        "clientMessageId": {"type": "string"},
        "clientTimestamp": {**TIME_SCHEMA, "description": "The sender's claimed time (1:1 seed), normalised."},
        "undecryptable": {"const": True},
        "senderDeleted": {"const": True, "description": "The sender deleted their account (docs/accounts.md)."},
        "attachments": {"type": "array", "items": MESSAGE_ATTACHMENT_SCHEMA,
                        "description": "Files sent with the message (GET /attachments/{id} fetches one)."},
        "editedAt": TIME_SCHEMA,
        "deleted": {"const": True, "description": "A tombstone: no text, attachments, replyTo, mentions or reactions."},
        "deletedAt": TIME_SCHEMA,
        "replyTo": {**ID_SCHEMA, "description": "The id of the message (same conversation) this one answers."},
        "mentions": {"type": "array", "items": ID_SCHEMA, "description": "Member ids mentioned."},
    },
)
_PAGE_FIELDS = (
    {"messages": {"type": "array", "items": MESSAGE_SCHEMA}, "hasMore": {"type": "boolean"},
     "changeCursor": {"type": "string", "description": "Pass as `changedSince` later to learn what changed in "
                                                        "the messages you hold (edits, deletions, reactions)."}},
    {"nextBefore": {"type": "integer", "minimum": 1}, "nextAfter": {"type": "integer", "minimum": 0}},
)
HISTORY_SCHEMA = object_schema({"conversationId": ID_SCHEMA, **_PAGE_FIELDS[0]}, _PAGE_FIELDS[1])
DIRECT_HISTORY_RESPONSE_SCHEMA = object_schema(
    {"conversationId": ID_SCHEMA, "participants": {"type": "array", "items": {"type": "string"}}, **_PAGE_FIELDS[0]},
    _PAGE_FIELDS[1],
)
DIRECT_SENT_SCHEMA = object_schema({"conversationId": ID_SCHEMA, "message": MESSAGE_SCHEMA})
_PERSON = {
    "anyOf": [
        object_schema({"id": ID_SCHEMA, "email": {"type": "string"}, "name": {"type": "string"}}),
        {"type": "null", "description": "The account no longer exists."},
    ]
}
_COUNTS = {
    "lastSeq": {"type": "integer", "minimum": 0},
    "readSeq": {"type": "integer", "minimum": 0},
    "unreadCount": {"type": "integer", "minimum": 0},
}
CONVERSATION_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA,
        "kind": {"type": "string", "enum": ["group", "direct"]},
        "lastMessage": {"anyOf": [MESSAGE_SCHEMA, {"type": "null"}]},
        **_COUNTS,
        "muted": {"type": "boolean", "description": "Pushes silenced (PUT /conversations/{id}/mute); mentions still push."},
        "mutedUntil": {"type": ["string", "null"], "format": "date-time",
                       "description": "When the mute ends; null if not muted or muted until unmuted."},
    },
    {
        "name": {"type": ["string", "null"], "description": "A group's name."},
        "participants": {"type": "array", "items": _PERSON, "description": "A 1:1 chat's other person."},
    },
)
READ_STATE_SCHEMA = object_schema({"conversationId": ID_SCHEMA, **_COUNTS})


def message_view(message, text, attachments=None, mine=frozenset()):
    """The message as members see it; `mine` is the emoji the viewer reacted with."""
    view = {
        "id": message["_id"],
        "conversationId": message["conversationId"],
        "senderId": message["senderId"],
        "sender": message["senderEmail"],
        "text": text,
        "createdAt": iso(message["createdAt"]),
        "seq": message["seq"],
        "version": 1 + message.get("changes", 0),
        "reactions": [{"emoji": emoji, "count": count, "me": emoji in mine}
                      for emoji, count in (message.get("reactions") or {}).items() if count > 0],
    }
    for optional in ("clientMessageId", "clientTimestamp", "replyTo", "mentions", "senderDeleted"):
        if message.get(optional) is not None:
            view[optional] = message[optional]
    if attachments:
        view["attachments"] = attachments
    for moment in ("editedAt", "deletedAt"):
        if message.get(moment) is not None:
            view[moment] = iso(message[moment])
    if message.get("deleted"):
        view["deleted"] = True
    return view


def person_view(user):
    if user is None:
        return None
    return {"id": user["_id"], "email": user["email"], "name": user["name"]}
