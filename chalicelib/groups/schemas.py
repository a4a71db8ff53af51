"""What group requests may contain: JSON Schemas for bodies and query strings, and ids."""
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import is_id
from chalicelib.core.validation import CURSOR_SCHEMA, WHITESPACE_CLASS, page_limit_schema
from chalicelib.core.validation import clean_name as clean_person_or_group_name
from chalicelib.storage.groups import JOINED_HISTORY, OPEN, PRIVATE, SHARED_HISTORY

MAX_NAME_CHARS = 100
MAX_COOLDOWN_SECONDS = 30 * 24 * 3600
MAX_BAN_SECONDS = 365 * 24 * 3600
DEFAULT_INVITE_SECONDS = 7 * 24 * 3600
MAX_INVITE_SECONDS = 30 * 24 * 3600
MAX_INVITE_USES = 10_000

_NAME = {
    "type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS,
    # No control characters anywhere, and at least one character that is not whitespace.
    "pattern": f"^[^\\u0000-\\u001f]*[^\\u0000-\\u001f{WHITESPACE_CLASS}][^\\u0000-\\u001f]*$",
    "x-error-codes": {"pattern": "invalid_name"},
    "description": "No control characters; trimmed, and must hold a visible character (400 invalid_name).",
}
_COOLDOWN = {"type": "integer", "minimum": 0, "maximum": MAX_COOLDOWN_SECONDS}
_HISTORY = {
    "type": "string", "enum": [SHARED_HISTORY, JOINED_HISTORY],
    "description": "shared (the default): members read all history; joined: only what was sent after they joined.",
}
_LIMIT = page_limit_schema()
_CURSOR = CURSOR_SCHEMA

CREATE_SCHEMA = {
    "type": "object",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "type": {"type": "string", "enum": [OPEN, PRIVATE]},
        "rejoinCooldownSeconds": _COOLDOWN,
        "historyVisibility": _HISTORY,
    },
}
# The type of a group is fixed at creation: members joined under its rules.
UPDATE_SCHEMA = {
    "type": "object",
    "description": "At least one field (400 nothing_to_change).",
    "minProperties": 1,
    "x-error-codes": {"minProperties": "nothing_to_change"},
    "additionalProperties": False,
    "properties": {"name": _NAME, "rejoinCooldownSeconds": _COOLDOWN, "historyVisibility": _HISTORY},
}
INVITE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "expiresInSeconds": {"type": "integer", "minimum": 60, "maximum": MAX_INVITE_SECONDS,
                             "description": f"Default {DEFAULT_INVITE_SECONDS} (7 days)."},
        "maxUses": {"type": "integer", "minimum": 1, "maximum": MAX_INVITE_USES,
                    "description": "Omitted: any number of uses until it expires."},
    },
}
BAN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"durationSeconds": {"type": "integer", "minimum": 1, "maximum": MAX_BAN_SECONDS}},
}
PAGE_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"limit": _LIMIT, "cursor": _CURSOR},
}
DISCOVER_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"q": {"type": "string", "maxLength": MAX_NAME_CHARS}, "limit": _LIMIT, "cursor": _CURSOR},
}

def require_id(value, name):
    """`value` if it is a well-formed id; InvalidInput naming the path part otherwise."""
    if not is_id(value):
        raise InvalidInput(f"{name} is not a valid id.", "invalid_id")
    return value


def clean_name(name):
    """A group name in NFKC form without surrounding whitespace; InvalidInput if it holds
    control or invisible formatting characters, or nothing visible (core.validation.clean_name)."""
    return clean_person_or_group_name(name)
