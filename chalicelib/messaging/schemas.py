"""What message requests may contain: JSON Schemas for bodies and query strings (published
in the OpenAPI document), and reading the conversation a send names."""
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import (
    CLIENT_MESSAGE_ID_SCHEMA,
    EMAIL_SCHEMA,
    page_limit_schema,
)
from chalicelib.media.schemas import ATTACHMENT_IDS_SCHEMA

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
_EMAIL = EMAIL_SCHEMA
_PARTICIPANTS = {
    "type": "array", "minItems": 2, "maxItems": 2, "items": _EMAIL,
    "description": "Two different people (400 self_conversation).",
}
_LIMIT = page_limit_schema()
_BEFORE = {
    "type": "integer", "minimum": 1, "maximum": MAX_SEQ,
    "description": "Messages with a lower seq (not with `after`: 400 conflicting_cursors).",
}
_AFTER = {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "description": "Messages with a higher seq."}

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
    },
}
HISTORY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"limit": _LIMIT, "before": _BEFORE, "after": _AFTER},
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
            "properties": {
                "sender": _EMAIL,
                "text": _TEXT,
                "timestamp": {"type": "string", "maxLength": 64, "description": "ISO 8601 (400 invalid_timestamp)."},
                "clientMessageId": _CLIENT_MESSAGE_ID,
                "attachments": ATTACHMENT_IDS_SCHEMA,
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
    named = {body[name] for name in ("groupId", "conversationId") if name in body}
    if len(named) != 1:
        raise InvalidInput("Name the conversation with groupId (or conversationId), once.", "missing_conversation")
    return named.pop()
