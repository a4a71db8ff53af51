"""Use cases for messages: send, read history, list my conversations, mark read, and the
operator's key rotation and crypto-shredding.

One conversation model serves groups and 1:1 chats. A group's conversation id is the
group's id, and only its current members may read or send. A 1:1 conversation's id is
derived from the pair of users, and only those two may. Access is checked on every call,
so a banned or departed member loses it at once.

Sending is ordered so that a failure never leaves anything half-done. First the caller is
authorized, the input checked and the sender's rate limits taken. Then the key is fetched and the text sealed. Then the
message is inserted; that insert is the commit point. What follows it (noting the latest
message, the sender's read marker, the real-time event) is idempotent, and a retry with
the same clientMessageId does it again.
"""
import logging
from datetime import datetime, timezone

from chalicelib.accounts.accounts import normalise_email
from chalicelib.core.clock import TIME_SCHEMA, iso, utcnow
from chalicelib.core.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooLarge,
    Unavailable,
)
from chalicelib.core.ids import ID_SCHEMA, new_id
from chalicelib.core.limits import (
    DIRECT_CONVERSATIONS_STARTED_PER_USER,
    MESSAGES_SENT_PER_USER,
)
from chalicelib.core.validation import object_schema
from chalicelib.crypto.cipher import Unreadable, message_aad, open_sealed, seal
from chalicelib.crypto.keyring import KeyMissing
from chalicelib.groups.access import GroupAccess
from chalicelib.storage.conversations import GROUP, direct_conversation_id, is_direct_id
from chalicelib.storage.messages import idempotent_message_id

MAX_TEXT_CHARS = 4000
DEFAULT_PAGE = 50
MAX_PAGE = 100
DEFAULT_CONVERSATIONS = 20
MAX_CONVERSATIONS = 100
# The highest `seq` a client may name: MongoDB compares 64-bit integers only (a larger one
# cannot be encoded in a query), and JSON clients count exactly only up to 2**53 - 1.
MAX_SEQ = 2**53 - 1

log = logging.getLogger("messaging.messages")

_CLIENT_MESSAGE_ID = {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,100}$"}
# No maxLength on text: over MAX_TEXT_CHARS is a 413 (too large), not a 400.
_TEXT = {
    "type": "string",
    "description": f"Not only whitespace (400 empty_text); at most {MAX_TEXT_CHARS} characters (413 text_too_large).",
}
_EMAIL = {"type": "string", "format": "email", "maxLength": 254}
_PARTICIPANTS = {
    "type": "array", "minItems": 2, "maxItems": 2, "items": _EMAIL,
    "description": "Two different people (400 self_conversation).",
}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "description": f"Page size (default {DEFAULT_PAGE})."}
_BEFORE = {
    "type": "integer", "minimum": 1, "maximum": MAX_SEQ,
    "description": "Messages with a lower seq (not with `after`: 400 conflicting_cursors).",
}
_AFTER = {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "description": "Messages with a higher seq."}

SEND_SCHEMA = {
    "type": "object",
    "description": "Exactly one of groupId and conversationId (400 missing_conversation).",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "groupId": ID_SCHEMA,
        "conversationId": ID_SCHEMA,
        "text": _TEXT,
        "clientMessageId": _CLIENT_MESSAGE_ID,
    },
}
HISTORY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"limit": _LIMIT, "before": _BEFORE, "after": _AFTER},
}
DIRECT_SEND_SCHEMA = {
    "type": "object",
    "required": ["participants", "message"],
    "additionalProperties": False,
    "properties": {
        "participants": _PARTICIPANTS,
        "message": {
            "type": "object",
            "required": ["sender", "text"],
            "additionalProperties": False,
            "properties": {
                "sender": _EMAIL,
                "text": _TEXT,
                "timestamp": {"type": "string", "maxLength": 64, "description": "ISO 8601 (400 invalid_timestamp)."},
                "clientMessageId": _CLIENT_MESSAGE_ID,
            },
        },
    },
}
DIRECT_HISTORY_SCHEMA = {
    "type": "object",
    "required": ["participants"],
    "additionalProperties": False,
    "properties": {"participants": _PARTICIPANTS, "limit": _LIMIT, "before": _BEFORE, "after": _AFTER},
}
CONVERSATIONS_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": MAX_CONVERSATIONS,
                             "description": f"How many (default {DEFAULT_CONVERSATIONS})."}},
}
MARK_READ_SCHEMA = {
    "type": "object",
    "required": ["seq"],
    "additionalProperties": False,
    "properties": {"seq": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ}},
}

# What the API answers (published in the OpenAPI document; see _message_view and Messaging).
MESSAGE_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA,
        "conversationId": ID_SCHEMA,
        "senderId": ID_SCHEMA,
        "sender": {"type": "string", "description": "The sender's email."},
        "text": {"type": ["string", "null"], "description": "null only when the message is undecryptable."},
        "createdAt": TIME_SCHEMA,
        "seq": {"type": "integer", "minimum": 1},
    },
    {
        "clientMessageId": {"type": "string"},
        "clientTimestamp": {**TIME_SCHEMA, "description": "The sender's claimed time (1:1 seed), normalised."},
        "undecryptable": {"const": True},
    },
)
_PAGE_FIELDS = (
    {"messages": {"type": "array", "items": MESSAGE_SCHEMA}, "hasMore": {"type": "boolean"}},
    {"nextBefore": {"type": "integer", "minimum": 1}, "nextAfter": {"type": "integer", "minimum": 0}},
)
HISTORY_SCHEMA = object_schema({"conversationId": ID_SCHEMA, **_PAGE_FIELDS[0]}, _PAGE_FIELDS[1])
DIRECT_HISTORY_RESPONSE_SCHEMA = object_schema(
    {"conversationId": ID_SCHEMA, "participants": {"type": "array", "items": {"type": "string"}}, **_PAGE_FIELDS[0]},
    _PAGE_FIELDS[1],
)
DIRECT_SENT_SCHEMA = object_schema({"conversationId": ID_SCHEMA, "message": MESSAGE_SCHEMA})
_PERSON = {
    "anyOf": [
        object_schema({"id": ID_SCHEMA, "email": {"type": "string"}, "name": {"type": "string"}}),
        {"type": "null", "description": "The account no longer exists."},
    ]
}
_COUNTS = {
    "lastSeq": {"type": "integer", "minimum": 0},
    "readSeq": {"type": "integer", "minimum": 0},
    "unreadCount": {"type": "integer", "minimum": 0},
}
CONVERSATION_SCHEMA = object_schema(
    {
        "id": ID_SCHEMA,
        "kind": {"type": "string", "enum": ["group", "direct"]},
        "lastMessage": {"anyOf": [MESSAGE_SCHEMA, {"type": "null"}]},
        **_COUNTS,
    },
    {
        "name": {"type": ["string", "null"], "description": "A group's name."},
        "participants": {"type": "array", "items": _PERSON, "description": "A 1:1 chat's other person."},
    },
)
READ_STATE_SCHEMA = object_schema({"conversationId": ID_SCHEMA, **_COUNTS})


def conversation_id_of(body):
    """The conversation a /messages/send body names: `groupId` (the seed's name) or `conversationId`."""
    named = {body[name] for name in ("groupId", "conversationId") if name in body}
    if len(named) != 1:
        raise InvalidInput("Name the conversation with groupId (or conversationId), once.", "missing_conversation")
    return named.pop()


class Messaging:
    def __init__(self, *, conversations, messages, read_markers, keyring, memberships, groups, users, publisher,
                 limiter):
        self._conversations = conversations
        self._messages = messages
        self._markers = read_markers
        self._keyring = keyring
        self._memberships = memberships
        self._groups = groups
        self._users = users
        self._publisher = publisher
        self._limiter = limiter
        self._group_access = GroupAccess(groups, memberships)

    # Sending ------------------------------------------------------------------------------

    def send(self, caller_id, conversation_id, text, client_message_id=None):
        """Send `text` to a group or 1:1 conversation the caller belongs to; the stored message."""
        _check_text(text)
        conversation = self.authorize(caller_id, conversation_id)
        sender = self._caller(caller_id)
        self._limiter.take(MESSAGES_SENT_PER_USER, caller_id)
        if conversation is None:  # a group's first message
            return self._send(conversation_id, lambda: self._conversations.ensure_group(conversation_id),
                              sender, text, client_message_id)
        return self._send(conversation_id, lambda: conversation, sender, text, client_message_id)

    def send_direct(self, caller_id, participants, sender_email, text, client_timestamp=None, client_message_id=None):
        """The 1:1 seed's send: participants and sender by email; the caller must be the sender."""
        _check_text(text)
        claimed_at = _client_timestamp(client_timestamp)
        caller = self._caller(caller_id)
        emails = _pair(participants)
        if caller["email"] not in emails:
            raise Forbidden("You can only send in conversations you take part in.", "not_a_participant")
        if normalise_email(sender_email) != caller["email"]:
            raise Forbidden("You can only send messages as yourself.", "not_the_sender")
        other = self._other_participant(emails, caller)
        conversation_id = direct_conversation_id(caller_id, other["_id"])
        self._limiter.take(MESSAGES_SENT_PER_USER, caller_id)
        if self._conversations.get(conversation_id) is None:
            self._limiter.take(DIRECT_CONVERSATIONS_STARTED_PER_USER, caller_id)
        message = self._send(conversation_id, lambda: self._conversations.ensure_direct(caller_id, other["_id"]),
                             caller, text, client_message_id, claimed_at)
        return {"conversationId": conversation_id, "message": message}

    def _send(self, conversation_id, conversation, sender, text, client_message_id, client_timestamp=None):
        version, key = self._keyring.current(conversation_id)
        if client_message_id is not None:
            message_id = idempotent_message_id(conversation_id, sender["_id"], client_message_id)
        else:
            message_id = new_id()
        aad = message_aad(conversation_id=conversation_id, message_id=message_id,
                          sender_id=sender["_id"], key_version=version)
        nonce, ciphertext = seal(key, text, aad)
        document = {
            "_id": message_id,
            "conversationId": conversation_id,
            "senderId": sender["_id"],
            "senderEmail": sender["email"],
            "createdAt": utcnow(),
            "keyVersion": version,
            "nonce": nonce,
            "ciphertext": ciphertext,
        }
        if client_message_id is not None:
            document["clientMessageId"] = client_message_id
        if client_timestamp is not None:
            document["clientTimestamp"] = client_timestamp
        stored_conversation = conversation()
        stored, created = self._messages.append(document, stored_conversation["lastSeq"] + 1)
        view = _message_view(stored, text) if created else self._view(stored)
        # After the commit point: each step below is idempotent and redone by a retry.
        self._conversations.record_message(conversation_id, stored["seq"], stored["_id"], stored["createdAt"])
        self._markers.mark(conversation_id, sender["_id"], stored["seq"])
        self._publish(stored_conversation, view)
        return view

    def _publish(self, conversation, view):
        event = {"type": "message", "message": view}
        if conversation["kind"] == GROUP:
            audience = {"conversation_id": conversation["_id"]}
        else:
            audience = {"user_ids": list(conversation["participants"])}
        try:
            self._publisher.publish(event, **audience)
        except Exception as exc:  # noqa: BLE001 - whatever delivery raised, the message is stored
            log.warning("message %s stored but not published: %s", view["id"], type(exc).__name__)
            raise Unavailable(
                "The message was saved but could not be delivered in real time; send it again "
                "with the same clientMessageId to deliver it.",
                "delivery_unavailable",
            ) from None

    # Reading ------------------------------------------------------------------------------

    def history(self, caller_id, conversation_id, limit=DEFAULT_PAGE, before=None, after=None):
        """A page of a conversation's messages, oldest first, for a member or participant."""
        _check_cursor(before, after)
        self.authorize(caller_id, conversation_id, need_conversation=False)
        return {"conversationId": conversation_id, **self._page(conversation_id, limit, before, after)}

    def direct_history(self, caller_id, participants, limit=DEFAULT_PAGE, before=None, after=None):
        """The 1:1 seed's read: the conversation of two people by email, for either of them."""
        _check_cursor(before, after)
        caller = self._caller(caller_id)
        emails = _pair(participants)
        if caller["email"] not in emails:
            # 404, not 403: whether two other people talk is not the caller's business.
            raise NotFound("There is no such conversation.", "conversation_not_found")
        other = self._other_participant(emails, caller)
        conversation_id = direct_conversation_id(caller_id, other["_id"])
        page = self._page(conversation_id, limit, before, after)
        return {"conversationId": conversation_id, "participants": emails, **page}

    def conversations_of(self, caller_id, limit=DEFAULT_CONVERSATIONS):
        """The caller's conversations that have messages, most recent first, with unread counts."""
        group_ids = self._memberships.group_ids_of(caller_id)
        found = self._conversations.recent_of(caller_id, group_ids, limit)
        ids = [conversation["_id"] for conversation in found]
        last_messages = self._messages.by_ids([c["lastMessageId"] for c in found if c.get("lastMessageId")])
        read_seqs = self._markers.read_seqs(caller_id, ids)
        others = self._users.by_ids({p for c in found for p in c.get("participants", ()) if p != caller_id})
        views = []
        for conversation in found:
            read_seq = min(read_seqs.get(conversation["_id"], 0), conversation["lastSeq"])
            last = last_messages.get(conversation.get("lastMessageId"))
            view = {
                "id": conversation["_id"],
                "kind": conversation["kind"],
                "lastMessage": self._view(last) if last else None,
                "lastSeq": conversation["lastSeq"],
                "readSeq": read_seq,
                "unreadCount": conversation["lastSeq"] - read_seq,
            }
            if conversation["kind"] == GROUP:
                group = self._groups.get(conversation["_id"]) or {}
                view["name"] = group.get("name")
            else:
                view["participants"] = [_person(others.get(p)) for p in conversation["participants"] if p != caller_id]
            views.append(view)
        return {"conversations": views}

    def mark_read(self, caller_id, conversation_id, seq):
        """Mark the caller's reading up to `seq` (never backwards, never past the last message)."""
        conversation = self.authorize(caller_id, conversation_id)
        last_seq = conversation["lastSeq"] if conversation else 0
        read_seq = self._markers.mark(conversation_id, caller_id, min(seq, last_seq))
        read_seq = min(read_seq, last_seq)
        return {"conversationId": conversation_id, "readSeq": read_seq, "lastSeq": last_seq,
                "unreadCount": last_seq - read_seq}

    def authorize(self, caller_id, conversation_id, need_conversation=True):
        """The conversation document (None for a group without messages yet) if the caller may
        read and send in it; NotFound or Forbidden otherwise. (Real time uses it for typing.)

        With need_conversation=False a group's document is not read (None is returned): a
        member's history needs only the membership check, one round trip fewer.
        """
        if is_direct_id(conversation_id):
            conversation = self._conversations.get(conversation_id)
            if conversation is None or caller_id not in conversation["participants"]:
                raise NotFound("There is no such conversation.", "conversation_not_found")
            return conversation
        if self._memberships.is_member(conversation_id, caller_id):
            return self._conversations.get(conversation_id) if need_conversation else None
        # Refused with the group routes' answers: a private group is hidden (404) from anyone
        # with no membership record in it, as if it did not exist; a banned user is told so.
        self._group_access.member_of(conversation_id, caller_id, utcnow())
        return self._conversations.get(conversation_id) if need_conversation else None  # a member meanwhile

    # Operators ----------------------------------------------------------------------------

    def rotate_key(self, conversation_id):
        """New messages of the conversation use a new key version; the new version."""
        return self._keyring.rotate(conversation_id)

    def delete_conversation(self, conversation_id):
        """Crypto-shred a conversation: its keys first (from then on nothing is readable), then the rest."""
        keys = self._keyring.destroy(conversation_id)
        deleted = self._messages.delete_conversation(conversation_id)
        self._markers.delete_conversation(conversation_id)
        self._conversations.delete(conversation_id)
        log.info("conversation %s shredded: %d key(s), %d message(s)", conversation_id, keys, deleted)
        return {"keysDestroyed": keys, "messagesDeleted": deleted}

    # Helpers ------------------------------------------------------------------------------

    def _caller(self, caller_id):
        user = self._users.by_id(caller_id)
        if user is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        return user

    def _other_participant(self, emails, caller):
        other_email = emails[1] if emails[0] == caller["email"] else emails[0]
        other = self._users.by_email(other_email)
        if other is None:
            raise NotFound("No user has that email.", "user_not_found")
        return other

    def _page(self, conversation_id, limit, before, after):
        found, has_more = self._messages.page(conversation_id, limit=limit, before=before, after=after)
        keys = {}
        views = [self._view(message, keys) for message in found]
        page = {"messages": views, "hasMore": has_more}
        if has_more:
            if after is not None:
                page["nextAfter"] = views[-1]["seq"]
            else:
                page["nextBefore"] = views[0]["seq"]
        return page

    def _view(self, message, keys=None):
        """The message as a member sees it; its text None (and `undecryptable`) if it fails to open.

        `keys` memoises key lookups across the messages of one request.
        """
        keys = {} if keys is None else keys
        key_ref = (message["conversationId"], message["keyVersion"])
        try:
            if key_ref not in keys:
                keys[key_ref] = self._keyring.key(*key_ref)
            key = keys[key_ref]
            aad = message_aad(conversation_id=message["conversationId"], message_id=message["_id"],
                              sender_id=message["senderId"], key_version=message["keyVersion"])
            text = open_sealed(key, message["nonce"], message["ciphertext"], aad)
        except (Unreadable, KeyMissing) as exc:
            log.error("message %s does not decrypt: %s", message["_id"], type(exc).__name__)
            return {**_message_view(message, None), "undecryptable": True}
        return _message_view(message, text)


def _message_view(message, text):
    view = {
        "id": message["_id"],
        "conversationId": message["conversationId"],
        "senderId": message["senderId"],
        "sender": message["senderEmail"],
        "text": text,
        "createdAt": iso(message["createdAt"]),
        "seq": message["seq"],
    }
    for optional in ("clientMessageId", "clientTimestamp"):
        if message.get(optional) is not None:
            view[optional] = message[optional]
    return view


def _person(user):
    if user is None:
        return None
    return {"id": user["_id"], "email": user["email"], "name": user["name"]}


def _check_text(text):
    if not text.strip():
        raise InvalidInput("text must not be empty.", "empty_text")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"text is over {MAX_TEXT_CHARS} characters.", "text_too_large")


def _check_cursor(before, after):
    if before is not None and after is not None:
        raise InvalidInput("Use before or after, not both.", "conflicting_cursors")


def _pair(participants):
    emails = [normalise_email(email) for email in participants]
    if emails[0] == emails[1]:
        raise InvalidInput("A conversation needs two different people.", "self_conversation")
    return emails


def _client_timestamp(claimed):
    """The client's claimed send time as ISO 8601 UTC (kept as a claim; the server's time rules)."""
    if claimed is None:
        return None
    try:
        moment = datetime.fromisoformat(claimed)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return iso(moment)
    except (ValueError, OverflowError):
        raise InvalidInput("message.timestamp must be an ISO 8601 time.", "invalid_timestamp") from None
