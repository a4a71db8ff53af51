"""The `changedSince` cursor: how a client learns of edits, deletions and reactions to
messages it already holds (see docs/messaging.md, "Lifecycle").

Every change stamps the message with `updatedAt` (the server's clock) and bumps its
`version`. A cursor names a point in that order, "<milliseconds since 1970>" or
"<milliseconds>.<message id>"; `GET /messages/{id}?changedSince=<cursor>` answers the
messages changed after it, in change order. Every history page carries a `changeCursor` set
CURSOR_MARGIN before the server's now, so a change stamped just before a page was read but
written just after is still caught next time; what arrives twice is told apart by `version`.
"""
from datetime import datetime, timedelta, timezone

from chalicelib.core.errors import InvalidInput

CURSOR_MARGIN = timedelta(seconds=60)
# 13 digits reach the year 2286: every cursor the pattern admits is a time Python can hold.
CURSOR_PATTERN = r"^[0-9]{1,13}(\.[A-Za-z0-9_-]{1,64})?$"
CURSOR_SCHEMA = {
    "type": "string", "pattern": CURSOR_PATTERN, "x-error-codes": {"type": "invalid_cursor", "pattern": "invalid_cursor"},
    "description": "A `changeCursor` from an earlier answer: the messages changed since, in change order "
                   "(not with before/after: 400 conflicting_cursors).",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def change_cursor(now):
    """The cursor to hand out with a page read at `now`: a little before it."""
    return _millis(now - CURSOR_MARGIN)


def after_change(message):
    """The cursor just after `message`'s latest change (the next page starts there)."""
    return f"{_millis(message['updatedAt'])}.{message['_id']}"


def parse_cursor(cursor):
    """(updatedAt, message id or "") a cursor stands for; InvalidInput if it is not one."""
    millis, _, message_id = cursor.partition(".")
    try:
        return _EPOCH + timedelta(milliseconds=int(millis)), message_id
    except (ValueError, OverflowError):
        raise InvalidInput("changedSince is not a change cursor.", "invalid_cursor") from None


def _millis(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return str(max(0, (moment - _EPOCH) // timedelta(milliseconds=1)))
