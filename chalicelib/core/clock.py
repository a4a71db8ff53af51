"""Time: one source of 'now' and one way to write times out (ISO 8601 UTC)."""
from datetime import datetime, timezone


def utcnow():
    """Now, in UTC, at millisecond precision (what MongoDB stores)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment):
    """`2026-01-02T03:04:05.678Z` for a datetime (naive ones are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text):
    """The aware UTC datetime `iso` wrote as `text`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


# The JSON Schema of a time as `iso` writes it (for the OpenAPI document).
TIME_SCHEMA = {"type": "string", "format": "date-time"}
OPTIONAL_TIME_SCHEMA = {"type": ["string", "null"], "format": "date-time"}
