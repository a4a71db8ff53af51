"""Use cases of reactions: add and take back one emoji reaction to a message.

A user reacts at most once per emoji per message: adding again, or taking back one that is
not there, changes nothing and answers as if it had (PUT 200, DELETE 204). The emoji is a
single emoji grapheme (chalicelib.messaging.emoji); a message holds at most
MAX_REACTION_KINDS different emoji (Slack allows 23).

Storage keeps a history page at one extra read at most: each message carries its counts
({emoji: count}) and the kinds it has, and the `reactions` collection holds one document per
(message, user, emoji), read once per page for the viewer's own (`me`). The per-user document
is written first and the count second; a process dying between the two leaves that count
one short until the next change of it (the same repair rule as groups' memberCount).
"""
from urllib.parse import unquote

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.limits import MESSAGE_CHANGES_PER_USER
from chalicelib.messaging.emoji import is_emoji
from chalicelib.messaging.lifecycle import message_in, publish_change
from chalicelib.messaging.reading import open_view

MAX_REACTION_KINDS = 20


def checked_emoji(raw):
    """The emoji a path segment names (percent-decoded, if the gateway left it encoded)."""
    emoji = raw
    if "%" in raw:  # an emoji never holds "%": decoding once more cannot change a decoded one
        try:
            emoji = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            emoji = None
    if emoji is None or not is_emoji(emoji):
        raise InvalidInput("A reaction is a single emoji.", "invalid_emoji")
    return emoji


class Reactions:
    def __init__(self, *, conversations, messages, reactions, keyring, publisher, limiter, clock=utcnow):
        self._conversations = conversations  # messaging.messages.Messaging: authorize
        self._messages = messages
        self._reactions = reactions
        self._keyring = keyring
        self._publisher = publisher
        self._limiter = limiter
        self._clock = clock

    def add(self, caller_id, conversation_id, message_id, emoji):
        """React with `emoji` (idempotent); the message as the caller now sees it."""
        emoji = checked_emoji(emoji)
        conversation = self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        message = self._live(conversation_id, message_id)
        counts = message.get("reactions") or {}
        if emoji not in counts and message.get("reactionKinds", 0) >= MAX_REACTION_KINDS:
            raise _too_many()
        self._limiter.take(MESSAGE_CHANGES_PER_USER, caller_id)
        now = self._clock()
        if not self._reactions.add(conversation_id, message_id, caller_id, emoji, now):
            return self._view(message, caller_id)  # already so: nothing changes, nothing is told
        stored = self._messages.count_reaction(message_id, emoji, +1, now, MAX_REACTION_KINDS, seen=emoji in counts,
                                               conversation_id=conversation_id)
        if stored is None:
            self._reactions.remove(message_id, caller_id, emoji)  # undo: the count was refused
            self._live(conversation_id, message_id)  # deleted meanwhile: 409 message_deleted
            raise _too_many()
        return self._changed(conversation_id, conversation, stored, caller_id, emoji, True)

    def remove(self, caller_id, conversation_id, message_id, emoji):
        """Take back the caller's `emoji` reaction (idempotent); None."""
        emoji = checked_emoji(emoji)
        conversation = self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        self._live(conversation_id, message_id)
        self._limiter.take(MESSAGE_CHANGES_PER_USER, caller_id)
        if not self._reactions.remove(message_id, caller_id, emoji):
            return None
        stored = self._messages.count_reaction(message_id, emoji, -1, self._clock(), MAX_REACTION_KINDS,
                                               conversation_id=conversation_id)
        if stored is not None:
            self._changed(conversation_id, conversation, stored, caller_id, emoji, False)
        return None

    def _live(self, conversation_id, message_id):
        message = message_in(self._messages, conversation_id, message_id)
        if message.get("deleted"):
            raise Conflict("A deleted message takes no reactions.", "message_deleted")
        return message

    def _changed(self, conversation_id, conversation, stored, actor_id, emoji, reacted):
        view = self._view(stored, actor_id)
        publish_change(self._publisher, "reaction.changed", conversation_id, conversation, view, actor_id,
                       reaction={"emoji": emoji, "userId": actor_id, "reacted": reacted})
        return view

    def _view(self, message, viewer_id):
        mine = self._reactions.mine(viewer_id, [message["_id"]]) if message.get("reactionKinds") else {}
        return open_view(self._keyring, message, mine=mine.get(message["_id"], frozenset()))


def _too_many():
    return Conflict(f"A message takes at most {MAX_REACTION_KINDS} different reactions.", "too_many_reactions")
