"""What message requests may contain: JSON Schemas for bodies and query strings (published
in the OpenAPI document), and reading the conversation a send names."""
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import (
    CLIENT_MESSAGE_ID_SCHEMA,
    EMAIL_SCHEMA,
    VISIBLE_PATTERN,
    page_limit_schema,
)
from chalicelib.media.schemas import ATTACHMENT_IDS_SCHEMA
from chalicelib.messaging.changes import CURSOR_SCHEMA
from chalicelib.messaging.references import MAX_MENTIONS

MAX_TEXT_CHARS = 4000
DEFAULT_CONVERSATIONS = 20
MAX_CONVERSATIONS = 100
# The highest `seq` a client may name: MongoDB compares 64-bit integers only (a larger one
# cannot be encoded in a query), and JSON clients count exactly only up to 2**53 - 1.
MAX_SEQ = 2**53 - 1

_CLIENT_MESSAGE_ID = CLIENT_MESSAGE_ID_SCHEMA
# No maxLength on text: over MAX_TEXT_CHARS is a 413 (too large), not a 400.
_TEXT = {
    "type": "string",
    "description": f"Not only whitespace unless there are attachments (400 empty_text); at most {MAX_TEXT_CHARS} characters (413 text_too_large).",
}
# A message holds a visible character or at least one attachment (400 empty_text).
_TEXT_OR_ATTACHMENTS = [
    {"properties": {"text": {"pattern": VISIBLE_PATTERN}}},
    {"required": ["attachments"], "properties": {"attachments": {"minItems": 1}}},
]
_EMAIL = EMAIL_SCHEMA
_PARTICIPANTS = {
    "type": "array", "minItems": 2, "maxItems": 2, "uniqueItems": True, "items": _EMAIL,
    "x-error-codes": {"uniqueItems": "self_conversation"},
    "description": "Two different people, emails compared case-insensitively (400 self_conversation).",
}
_LIMIT = page_limit_schema()
_BEFORE = {
    "type": "integer", "minimum": 1, "maximum": MAX_SEQ,
    "description": "Messages with a lower seq (with `after`: the messages between the two).",
}
_AFTER = {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "description": "Messages with a higher seq, oldest first."}
_REPLY_TO = {**ID_SCHEMA, "description": "A message of the same conversation, not deleted (400 invalid_reply_to)."}
_MENTIONS = {"type": "array", "maxItems": MAX_MENTIONS, "items": ID_SCHEMA,
             "description": "User ids of members of the conversation (400 invalid_mentions)."}


def _send_to(name):
    """/messages/send naming its conversation by `name` (one of the two forms SEND_SCHEMA takes)."""
    return {
        "type": "object",
        "required": [name, "text"],
        "additionalProperties": False,
        "properties": {name: ID_SCHEMA, "text": _TEXT, "clientMessageId": _CLIENT_MESSAGE_ID,
                       "attachments": ATTACHMENT_IDS_SCHEMA, "replyTo": _REPLY_TO, "mentions": _MENTIONS},
    }


SEND_TO_GROUP_SCHEMA = _send_to("groupId")
SEND_TO_CONVERSATION_SCHEMA = _send_to("conversationId")
SEND_SCHEMA = {
    "type": "object",
    "description": "Exactly one of groupId and conversationId (400 missing_conversation).",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "groupId": ID_SCHEMA,
        "conversationId": ID_SCHEMA,
        "text": _TEXT,
        "clientMessageId": _CLIENT_MESSAGE_ID,
        "attachments": ATTACHMENT_IDS_SCHEMA,
        "replyTo": _REPLY_TO,
        "mentions": _MENTIONS,
    },
    # The fields are checked above first (so their own codes win); then which form it is.
    "oneOf": [SEND_TO_GROUP_SCHEMA, SEND_TO_CONVERSATION_SCHEMA],
    "anyOf": _TEXT_OR_ATTACHMENTS,
    "x-error-codes": {"oneOf": "missing_conversation", "anyOf": "empty_text"},
}
HISTORY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    # With changedSince, before/after narrow the changes to the messages of that seq window.
    "properties": {"limit": _LIMIT, "before": _BEFORE, "after": _AFTER, "changedSince": CURSOR_SCHEMA},
}
EMOJI_PATH_SCHEMA = {
    "type": "string", "minLength": 1, "maxLength": 256,
    "description": "One emoji grapheme (ZWJ sequences, skin tones, flags and keycaps included), percent-encoded "
                   "(400 invalid_emoji).",
}
EDIT_SCHEMA = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {"text": _TEXT},
}
DIRECT_SEND_SCHEMA = {
    "type": "object",
    "required": ["participants", "message"],
    "additionalProperties": False,
    "properties": {
        "participants": _PARTICIPANTS,
        "message": {
            "type": "object",
            "required": ["sender", "text"],
            "additionalProperties": False,
            "anyOf": _TEXT_OR_ATTACHMENTS,
            "x-error-codes": {"anyOf": "empty_text"},
            "properties": {
                "sender": _EMAIL,
                "text": _TEXT,
                "timestamp": {"type": "string", "format": "date-time", "maxLength": 64, "x-error-codes": {"format": "invalid_timestamp"},
                              "description": "RFC 3339 (400 invalid_timestamp)."},
                "clientMessageId": _CLIENT_MESSAGE_ID,
                "attachments": ATTACHMENT_IDS_SCHEMA,
                "replyTo": _REPLY_TO,
                "mentions": _MENTIONS,
            },
        },
    },
}
DIRECT_HISTORY_SCHEMA = {
    "type": "object",
    "required": ["participants"],
    "additionalProperties": False,
    "properties": {"participants": _PARTICIPANTS, "limit": _LIMIT, "before": _BEFORE, "after": _AFTER},
}
CONVERSATIONS_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": MAX_CONVERSATIONS,
                             "description": f"How many (default {DEFAULT_CONVERSATIONS})."}},
}
MARK_READ_SCHEMA = {
    "type": "object",
    "required": ["seq"],
    "additionalProperties": False,
    "properties": {"seq": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ}},
}


def conversation_id_of(body):
    """The conversation a /messages/send body names: `groupId` (the seed's name) or `conversationId`."""
    named = [body[name] for name in ("groupId", "conversationId") if name in body]
    if len(named) != 1:  # SEND_SCHEMA's oneOf already says so; kept for callers that skip it
        raise InvalidInput("Name the conversation with groupId or conversationId, once.", "missing_conversation")
    return named[0]
