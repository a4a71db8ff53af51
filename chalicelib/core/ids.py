"""Object ids: random, URL-safe strings that reveal nothing about order or count."""
import re
import secrets

ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
# The JSON Schema of an id, wherever one is sent or returned (bodies, paths, the OpenAPI document).
ID_SCHEMA = {"type": "string", "pattern": ID_PATTERN}
_ID = re.compile(ID_PATTERN)


def new_id():
    """A fresh 22-character id with 128 bits of randomness."""
    return secrets.token_urlsafe(16)


def is_id(value):
    """True if `value` is a well-formed id (the whole string: no trailing newline slips past `$`)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None
