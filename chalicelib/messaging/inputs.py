"""The checks of a send's and a 1:1's input that need no database: the text, the pair of
people, the client's claimed time (chalicelib.messaging.messages uses them)."""
from datetime import datetime, timezone

from chalicelib.core.clock import iso
from chalicelib.core.errors import InvalidInput, TooLarge
from chalicelib.core.validation import is_blank, is_date_time, normalise_email
from chalicelib.messaging.schemas import MAX_TEXT_CHARS


def check_text(text, attachments=()):
    if is_blank(text) and not attachments:  # whitespace, zero-width and other invisible characters only
        raise InvalidInput("text must not be empty.", "empty_text")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"text is over {MAX_TEXT_CHARS} characters.", "text_too_large")


def pair(participants):
    emails = [normalise_email(email) for email in participants]
    if emails[0] == emails[1]:
        raise InvalidInput("A conversation needs two different people.", "self_conversation")
    return emails


def client_timestamp(claimed):
    """The client's claimed send time as ISO 8601 UTC (kept as a claim; the server's time rules).

    The schema admits RFC 3339 date-times only; one Python cannot represent (year 0, a leap
    second) is kept as sent."""
    if claimed is None:
        return None
    if not is_date_time(claimed):
        raise InvalidInput("message.timestamp must be an RFC 3339 date-time.", "invalid_timestamp")
    try:
        moment = datetime.fromisoformat(claimed.upper())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return iso(moment)
    except (ValueError, OverflowError):
        return claimed
