"""Cursor pagination: a page is `limit` items plus an opaque cursor for the next one.

A cursor is the unpadded base64url of the position's strings joined by a newline (no
position string holds one: ids and group names have no control characters). Every string
CURSOR_SCHEMA admits decodes to some position, so the server accepts each one, as the
OpenAPI document says; a made-up cursor just pages on from wherever it points.
"""
import base64
import binascii

from chalicelib.core.errors import InvalidInput
from chalicelib.core.validation import CURSOR_SCHEMA, validate

_SEPARATOR = "\n"


def encode_cursor(*parts):
    """An opaque, URL-safe cursor holding `parts` (strings)."""
    raw = _SEPARATOR.join(parts).encode()
    return base64.urlsafe_b64encode(raw or b"\n").decode().rstrip("=")


def decode_cursor(cursor, arity):
    """The `arity` strings inside `cursor`, or None for no cursor; InvalidInput if malformed."""
    if cursor is None:
        return None
    validate(CURSOR_SCHEMA, cursor, where="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):  # not reached for a cursor CURSOR_SCHEMA admits
        raise InvalidInput("cursor is not valid; pass back the nextCursor of the previous page.",
                           "invalid_cursor") from None
    parts = raw.decode("utf-8", errors="replace").split(_SEPARATOR, arity - 1)
    return tuple(parts + [""] * (arity - len(parts)))


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
