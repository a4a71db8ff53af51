"""Use cases for muting a conversation: its messages stop pushing to the member's devices
(live socket delivery is unchanged), until a time or until unmuted. A mention still pushes.
Mutes live in their own collection (storage/mutes.py); GET /conversations shows them."""
from datetime import datetime, timedelta, timezone

from chalicelib.core.clock import iso
from chalicelib.core.errors import InvalidInput

MAX_MUTE = timedelta(days=366 * 10)


class Mutes:
    def __init__(self, mutes, conversations, clock):
        self._mutes = mutes
        self._conversations = conversations  # anything with authorize(caller, id, need_conversation)
        self._clock = clock

    def mute(self, caller_id, conversation_id, until=None):
        """Mute for a member until `until` (ISO 8601, in the future), or until unmuted."""
        ends = _until(until, self._clock())
        self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        self._mutes.mute(conversation_id, caller_id, ends)
        return mute_view(conversation_id, True, ends)

    def unmute(self, caller_id, conversation_id):
        self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        self._mutes.unmute(conversation_id, caller_id)


def mute_view(conversation_id, muted, until):
    return {"conversationId": conversation_id, "muted": muted, "mutedUntil": iso(until) if muted else None}


def _until(until, now):
    if until is None:
        return None
    try:
        moment = datetime.fromisoformat(until.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidInput("until must be an ISO 8601 time.", "invalid_until") from None
    if moment <= now:
        raise InvalidInput("until must be in the future.", "invalid_until")
    if moment > now + MAX_MUTE:
        raise InvalidInput("until must be within ten years.", "invalid_until")
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
