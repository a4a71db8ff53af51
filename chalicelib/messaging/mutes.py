"""Use cases for muting a conversation: its messages stop pushing to the member's devices
(live socket delivery is unchanged), until a time or until unmuted. A mention still pushes.
Mutes live in their own collection (storage/mutes.py); GET /conversations shows them."""
from chalicelib.core.clock import iso, parse_iso


class Mutes:
    def __init__(self, mutes, conversations, clock):
        self._mutes = mutes
        self._conversations = conversations  # anything with authorize(caller, id, need_conversation)
        self._clock = clock

    def mute(self, caller_id, conversation_id, until=None):
        """Mute for a member until `until` (RFC 3339, checked by MUTE_SCHEMA), or until unmuted.
        A mute that would end in the past is over already: the conversation is unmuted."""
        ends = _until(until)
        self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        if ends is not None and ends <= self._clock():
            self._mutes.unmute(conversation_id, caller_id)
            return mute_view(conversation_id, False, None)
        self._mutes.mute(conversation_id, caller_id, ends)
        return mute_view(conversation_id, True, ends)

    def unmute(self, caller_id, conversation_id):
        self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        self._mutes.unmute(conversation_id, caller_id)


def mute_view(conversation_id, muted, until):
    return {"conversationId": conversation_id, "muted": muted, "mutedUntil": iso(until) if muted else None}


def _until(until):
    if until is None:
        return None
    moment = parse_iso(until)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
