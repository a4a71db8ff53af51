"""Cursor pagination: a page is `limit` items plus an opaque cursor for the next one."""
import base64
import binascii
import json

from chalicelib.core.errors import InvalidInput


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


def fetch_page(fetch, limit, cursor, position, arity=1):
    """(one page of items, the cursor of the next page or None).

    `fetch(after, count)` reads up to `count` items after a position (None: from the
    start); `position(item)` is the `arity` strings a cursor holds, and a cursor of one
    string is handed to `fetch` as that string. One item more than a page is read, to know
    whether another page follows.
    """
    after = decode_cursor(cursor, arity)
    if after is not None and arity == 1:
        after = after[0]
    items = fetch(after, limit + 1)
    if len(items) <= limit:
        return items, None
    shown = items[:limit]
    return shown, encode_cursor(*position(shown[-1]))
