"""Use cases of a message after it is sent: edit, delete, and catching up on changes.

Edit. Only the sender, within EDIT_WINDOW of sending, and never a deleted message. The new
text is sealed under the conversation's *current* key version with the same associated data
binding as a send (conversation, message id, sender, key version), so an edited message opens
exactly like a new one; its id, seq and place in the history stay.

Delete. The sender, or in a group its owner or a moderator (a membership with
`role: "moderator"`; a moderator not the owner's or another moderator's messages). Attachment objects go first (a failure there changes nothing in the
history and the delete can be retried), then one update unsets the ciphertext, nonce,
attachments, reply, mentions and reactions and leaves a tombstone in the same seq slot. The
reactions' own documents go last. Deleting a deleted message is a no-op (204 again).

Every change is committed before its event (`message.edited`, `message.deleted`) is
published; a queue outage is logged, not reported as a failure, since members catch up
through `changedSince`. Events carry the full message view with its `version`.
"""
import logging
from datetime import timedelta, timezone

from chalicelib.core.clock import parse_iso, utcnow
from chalicelib.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from chalicelib.core.limits import MESSAGE_CHANGES_PER_USER
from chalicelib.core.validation import DEFAULT_PAGE, is_blank
from chalicelib.crypto.cipher import message_aad, seal
from chalicelib.messaging.changes import after_change, change_cursor, parse_cursor
from chalicelib.messaging.reading import attachments_of, open_view, reactions_of
from chalicelib.messaging.schemas import MAX_TEXT_CHARS
from chalicelib.messaging.views import message_view
from chalicelib.storage.conversations import is_direct_id
from chalicelib.storage.memberships import MEMBER

log = logging.getLogger("messaging.lifecycle")

# Like Signal (24 h): long enough to fix a typo or a wrong figure the next morning, short
# enough that the record others replied to does not keep changing under them.
EDIT_WINDOW = timedelta(hours=24)
MODERATOR_ROLE = "moderator"


class NoAttachments:
    """A MessageAttachments port that has nothing to delete (where attachments are not wired in)."""

    def delete_objects(self, conversation_id, attachment_ids):
        return None


class Lifecycle:
    def __init__(self, *, conversations, messages, reactions, keyring, memberships, groups, publisher, limiter,
                 attachments=None, clock=utcnow):
        self._conversations = conversations  # messaging.messages.Messaging: authorize
        self._messages = messages
        self._reactions = reactions
        self._keyring = keyring
        self._memberships = memberships
        self._groups = groups
        self._publisher = publisher
        self._limiter = limiter
        self._attachments = attachments if attachments is not None else NoAttachments()
        self._clock = clock

    def edit(self, caller_id, conversation_id, message_id, text):
        """Replace the text of the caller's own message; the message as it is now."""
        _check_text(text, empty_allowed=True)  # the length first: nothing is read for a refusal
        conversation = self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        message = message_in(self._messages, conversation_id, message_id)
        _check_text(text, empty_allowed=bool(message.get("attachments")))  # files may stand alone, as in a send
        if message["senderId"] != caller_id:
            raise Forbidden("Only the sender can edit a message.", "not_the_sender")
        if message.get("deleted"):
            raise Conflict("A deleted message cannot be edited.", "message_deleted")
        now = self._clock()
        if now - _aware(message["createdAt"]) > EDIT_WINDOW:
            raise Conflict(f"Messages can be edited for {EDIT_WINDOW.total_seconds() / 3600:g} hours after "
                           "they are sent.", "edit_window_closed")
        self._limiter.take(MESSAGE_CHANGES_PER_USER, caller_id)
        version, key = self._keyring.current(conversation_id)
        aad = message_aad(conversation_id=conversation_id, message_id=message_id, sender_id=caller_id,
                          key_version=version)
        nonce, ciphertext = seal(key, text, aad)
        stored = self._messages.replace_text(message_id, caller_id, version, nonce, ciphertext, now,
                                             conversation_id=conversation_id)
        if stored is None:  # deleted meanwhile
            raise Conflict("A deleted message cannot be edited.", "message_deleted")
        mine = reactions_of(self._reactions, caller_id, [stored]).get(message_id, frozenset())
        view = message_view(stored, text, attachments_of(self._keyring, stored), mine)
        publish_change(self._publisher, "message.edited", conversation_id, conversation, view, caller_id)
        return view

    def delete(self, caller_id, conversation_id, message_id):
        """Delete a message for everyone, leaving a tombstone; None."""
        conversation = self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        message = message_in(self._messages, conversation_id, message_id)
        if message["senderId"] != caller_id and not self._moderates(caller_id, conversation_id, message["senderId"]):
            raise Forbidden("Only the sender, or the group's owner or a moderator, can delete a message.",
                            "not_allowed")
        if message.get("deleted"):
            return None
        self._limiter.take(MESSAGE_CHANGES_PER_USER, caller_id)
        attachment_ids = [item["id"] if isinstance(item, dict) else item for item in message.get("attachments") or ()]
        if attachment_ids:
            self._attachments.delete_objects(conversation_id, attachment_ids)
        stored = self._messages.tombstone(message_id, caller_id, self._clock(), conversation_id=conversation_id)
        if stored is None:  # someone else deleted it meanwhile
            return None
        self._reactions.delete_of_message(message_id)
        publish_change(self._publisher, "message.deleted", conversation_id, conversation,
                       message_view(stored, None), caller_id)
        return None

    def changes(self, caller_id, conversation_id, changed_since, limit=DEFAULT_PAGE, before=None, after=None):
        """The conversation's messages changed after the cursor, in change order, for a member
        (in a "joined"-history group, only messages sent since the caller's latest join; with
        `after`/`before`, only messages of that seq window: the ones a client has on screen)."""
        since = parse_cursor(changed_since)
        floor = self._conversations.reading_floor(caller_id, conversation_id)  # authorizes too
        now = self._clock()
        found, has_more = self._messages.changed_since(conversation_id, since, limit, created_since=floor,
                                                       seq_after=after, seq_before=before)
        keys, mine = {}, reactions_of(self._reactions, caller_id, found)
        views = [open_view(self._keyring, message, keys, mine.get(message["_id"], frozenset())) for message in found]
        # The next cursor: after the last change answered while there are more, else "now" less the margin
        # (what changes in that margin may come again; a client keeps the higher `version`).
        cursor = after_change(found[-1]) if has_more else change_cursor(now)
        return {"conversationId": conversation_id, "messages": views, "hasMore": has_more, "changeCursor": cursor}

    def _moderates(self, caller_id, conversation_id, sender_id):
        """True if the caller may delete `sender_id`'s messages in the group: its owner may
        delete anyone's, a moderator those of plain members (not the owner's, nor another
        moderator's, as for every moderator action). Never in a 1:1."""
        if is_direct_id(conversation_id):
            return False
        group = self._groups.get(conversation_id) or {}
        if group.get("ownerId") == caller_id:
            return True
        if not self._is_moderator(conversation_id, caller_id) or group.get("ownerId") == sender_id:
            return False
        return not self._is_moderator(conversation_id, sender_id)

    def _is_moderator(self, group_id, user_id):
        membership = self._memberships.get(group_id, user_id) or {}
        return membership.get("state") == MEMBER and membership.get("role") == MODERATOR_ROLE


def message_in(messages, conversation_id, message_id):
    """The stored message if it belongs to `conversation_id`; NotFound otherwise."""
    message = messages.get(message_id, conversation_id)
    if message is None or message["conversationId"] != conversation_id:
        raise NotFound("There is no such message in this conversation.", "message_not_found")
    return message


def publish_change(publisher, event_type, conversation_id, conversation, view, actor_id, **extra):
    """Tell the conversation's members who can read the message (in a "joined"-history group,
    not those who joined after it was sent: the audience reads `sent_at`); the change is already
    stored, so a failure is only logged."""
    event = {"type": event_type, "conversationId": conversation_id, "message": view, "actorId": actor_id, **extra}
    if is_direct_id(conversation_id):
        audience = {"user_ids": list((conversation or {}).get("participants", ()))}
    else:
        audience = {"conversation_id": conversation_id, "sent_at": parse_iso(view["createdAt"])}
    try:
        publisher.publish(event, **audience)
    except Exception as exc:  # noqa: BLE001 - stored; members catch up through changedSince
        log.warning("%s of message %s stored but not published: %s", event_type, view["id"], type(exc).__name__)


def _check_text(text, empty_allowed=False):
    if is_blank(text) and not empty_allowed:  # invisible characters only count as empty, as in a send
        raise InvalidInput("text must not be empty.", "empty_text")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"text is over {MAX_TEXT_CHARS} characters.", "text_too_large")


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
