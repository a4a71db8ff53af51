"""Cursor pagination: a page is `limit` items plus an opaque cursor for the next one."""
import base64
import binascii
import json

from chalicelib.errors import InvalidInput


def encode_cursor(*parts):
    """An opaque, URL-safe cursor holding `parts` (strings)."""
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, arity):
    """The `arity` strings inside `cursor`, or None for no cursor; InvalidInput if forged."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        parts = None
    if not isinstance(parts, list) or len(parts) != arity or not all(isinstance(part, str) for part in parts):
        raise InvalidInput("cursor is not valid; pass back the nextCursor of the previous page.", "invalid_cursor")
    return tuple(parts)


def page_of(items, limit, cursor_of):
    """(the first `limit` of `items`, cursor after the last of them or None).

    Callers fetch `limit + 1` items, so one more than a page means there is a next page.
    """
    if len(items) <= limit:
        return items, None
    shown = items[:limit]
    return shown, encode_cursor(*cursor_of(shown[-1]))
