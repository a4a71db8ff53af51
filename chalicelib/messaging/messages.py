"""Use cases for messages: send, read history, list my conversations, mark read, and the
operator's key rotation and crypto-shredding.

One conversation model serves groups and 1:1 chats. A group's conversation id is the
group's id, and only its current members may read or send. A 1:1 conversation's id is
derived from the pair of users, and only those two may. Access is checked on every call,
so a banned or departed member loses it at once. A user blocked by the other participant
may not start or send to their 1:1 chat (403 blocked). In a group whose historyVisibility
is "joined", a member reads only messages sent since their latest join: history, catch-up
(`after`) and the conversation list's lastMessage all take the same floor (`reading_floor`).

Sending is ordered so that a failure never leaves anything half-done. First the caller is
authorized, the input checked and the sender's rate limits taken. Then the key is fetched and the text sealed. Then the
message is inserted; that insert is the commit point. What follows it (noting the latest
message, the sender's read marker, the real-time event) is idempotent, and a retry with
the same clientMessageId does it again.
"""
import logging

from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Unavailable,
)
from chalicelib.core.ids import new_id
from chalicelib.core.limits import (
    DIRECT_CONVERSATIONS_STARTED_PER_USER,
    MESSAGES_SENT_PER_USER,
)
from chalicelib.core.metrics import metrics
from chalicelib.core.validation import DEFAULT_PAGE, normalise_email
from chalicelib.crypto.cipher import message_aad, seal
from chalicelib.crypto.keyring import UNREAD
from chalicelib.groups.access import GroupAccess
from chalicelib.media.sealing import message_fields
from chalicelib.messaging import batches, inputs
from chalicelib.messaging.changes import change_cursor
from chalicelib.messaging.reading import open_view, reactions_of
from chalicelib.messaging.references import checked_references
from chalicelib.messaging.schemas import DEFAULT_CONVERSATIONS
from chalicelib.messaging.views import message_view, person_view
from chalicelib.storage.conversations import GROUP, direct_conversation_id, is_direct_id
from chalicelib.storage.groups import JOINED_HISTORY
from chalicelib.storage.memberships import MEMBER, joined_at
from chalicelib.storage.messages import idempotent_message_id

log = logging.getLogger("messaging.messages")


class Messaging:
    def __init__(self, *, conversations, messages, read_markers, keyring, memberships, groups, users, publisher,
                 limiter, attachments=None, reactions=None, mutes=None, blocks=None):
        self._conversations = conversations
        self._messages = messages
        self._markers = read_markers
        self._keyring = keyring
        self._memberships = memberships
        self._groups = groups
        self._users = users
        self._publisher = publisher
        self._limiter = limiter
        self._blocks = blocks  # chalicelib.storage.blocks.BlockStore (None: no blocks are checked)
        self._attachments = attachments  # chalicelib.media.attachments.Attachments: claim, release, delete
        self._reactions = reactions  # for the viewer's own reactions (`me`); None: never marked
        self._mutes = mutes  # storage.mutes.MuteStore: GET /conversations shows mutedUntil
        self._group_access = GroupAccess(groups, memberships)

    # Sending ------------------------------------------------------------------------------

    def send(self, caller_id, conversation_id, text, client_message_id=None, attachments=(), *, reply_to=None,
             mentions=None, limit_taken=False):
        """Send `text` (and `attachments`, ids from POST /attachments) to a group or 1:1
        conversation the caller belongs to; the stored message. `limit_taken`: the caller took
        MESSAGES_SENT_PER_USER for it already (a socket frame takes it with the frame limit)."""
        inputs.check_text(text, attachments)
        conversation, sender, latest_key = self._sending(caller_id, conversation_id)
        if conversation is not None and conversation["kind"] != GROUP:
            self._refuse_if_blocked(caller_id, [p for p in conversation["participants"] if p != caller_id])
        if not limit_taken:
            self._limiter.take(MESSAGES_SENT_PER_USER, caller_id)
        if conversation is None:  # a group's first message
            return self._send(conversation_id, lambda: self._conversations.ensure_group(conversation_id),
                              sender, text, client_message_id, attachment_ids=attachments, reply_to=reply_to,
                              mentions=mentions, latest_key=latest_key)
        return self._send(conversation_id, lambda: conversation, sender, text, client_message_id,
                          attachment_ids=attachments, reply_to=reply_to, mentions=mentions, latest_key=latest_key)

    def send_direct(self, caller_id, participants, sender_email, text, client_timestamp=None, client_message_id=None,
                    attachments=(), *, reply_to=None, mentions=None):
        """The 1:1 seed's send: participants and sender by email; the caller must be the sender."""
        inputs.check_text(text, attachments)
        claimed_at = inputs.client_timestamp(client_timestamp)
        people = batches.people(users=self._users, caller_id=caller_id, emails=participants)  # one round trip
        caller = people["caller"]
        if caller is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        emails = inputs.pair(participants)
        if caller["email"] not in emails:
            raise Forbidden("You can only send in conversations you take part in.", "not_a_participant")
        if normalise_email(sender_email) != caller["email"]:
            raise Forbidden("You can only send messages as yourself.", "not_the_sender")
        other = self._other_participant(emails, caller, people["byEmail"])
        conversation_id = direct_conversation_id(caller_id, other["_id"])
        found = batches.for_direct_sending(conversations=self._conversations, keyring=self._keyring,
                                           blocks=self._blocks, caller_id=caller_id, other_id=other["_id"])
        if found.get("blocked"):
            raise Forbidden("This person has blocked you; you cannot message them.", "blocked")
        self._limiter.take(MESSAGES_SENT_PER_USER, caller_id)
        conversation = found["conversation"]
        if conversation is None:
            self._limiter.take(DIRECT_CONVERSATIONS_STARTED_PER_USER, caller_id)
        message = self._send(conversation_id, (lambda: conversation) if conversation else
                             (lambda: self._conversations.ensure_direct(caller_id, other["_id"])),
                             caller, text, client_message_id, claimed_at, attachment_ids=attachments,
                             reply_to=reply_to, mentions=mentions, latest_key=found["key"])
        return {"conversationId": conversation_id, "message": message}

    def _send(self, conversation_id, conversation, sender, text, client_message_id, client_timestamp=None,
              attachment_ids=(), reply_to=None, mentions=None, latest_key=UNREAD):
        references = checked_references(self._messages, self._memberships, conversation_id, sender["_id"],
                                        reply_to, mentions)
        version, key = self._keyring.current(conversation_id, latest=latest_key)
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
            # The name as sent: a sender who left or was banned is no longer in the members
            # list, and readers still need to know who wrote it.
            "senderName": sender.get("name"),
            "createdAt": utcnow(),
            "keyVersion": version,
            "nonce": nonce,
            "ciphertext": ciphertext,
            **references,
        }
        if client_message_id is not None:
            document["clientMessageId"] = client_message_id
        if client_timestamp is not None:
            document["clientTimestamp"] = client_timestamp
        claim = self._claim_attachments(sender["_id"], conversation_id, message_id, attachment_ids)
        try:
            if claim is not None:
                document.update(message_fields(key, version, conversation_id, message_id, claim.attachments))
            stored_conversation = conversation()
            stored, created = self._messages.append(document, stored_conversation["lastSeq"] + 1)
        except Exception:
            self._release_attachments(claim)
            raise
        if not created:
            self._release_attachments(claim)  # a retry: the message keeps what its first send carried
        view = message_view(stored, text, claim.attachments if claim else None) if created else self._view(stored)
        if created:
            _record_sent(stored_conversation, stored)
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
        """A page of a conversation's messages, oldest first, for a member or participant: the
        access check, the floor, the page and its keys in one round trip (messaging.batches)."""
        found = batches.for_history(conversations=self._conversations, memberships=self._memberships,
                                    groups=self._groups, messages=self._messages, keyring=self._keyring,
                                    caller_id=caller_id, conversation_id=conversation_id, limit=limit,
                                    before=before, after=after)
        if found["member"]:
            keys = {(conversation_id, v): self._keyring.opened(doc) for v, doc in found["keys"].items()}
            page = self._page_of(caller_id, *found["page"], after, keys)
        else:  # refused as `authorize` refuses, or a member who joined meanwhile
            page = self._page(caller_id, conversation_id, limit, before, after,
                              self.reading_floor(caller_id, conversation_id))
        return {"conversationId": conversation_id, **page}

    def direct_history(self, caller_id, participants, limit=DEFAULT_PAGE, before=None, after=None):
        """The 1:1 seed's read: the conversation of two people by email, for either of them."""
        caller = self._caller(caller_id)
        emails = inputs.pair(participants)
        if caller["email"] not in emails:
            # 404, not 403: whether two other people talk is not the caller's business.
            raise NotFound("There is no such conversation.", "conversation_not_found")
        other = self._other_participant(emails, caller)
        conversation_id = direct_conversation_id(caller_id, other["_id"])
        page = self._page(caller_id, conversation_id, limit, before, after)
        return {"conversationId": conversation_id, "participants": emails, **page}

    def conversations_of(self, caller_id, limit=DEFAULT_CONVERSATIONS):
        """The caller's conversations that have messages, most recent first, with unread counts."""
        joined = {doc["groupId"]: doc for doc in self._memberships.groups_of(caller_id, limit=1000)}
        found = self._conversations.recent_of(caller_id, list(joined), limit)
        ids = [conversation["_id"] for conversation in found]
        last_messages = self._messages.by_ids([c["lastMessageId"] for c in found if c.get("lastMessageId")])
        mine = reactions_of(self._reactions, caller_id, last_messages.values())
        read_seqs = self._markers.read_seqs(caller_id, ids)
        others = self._users.by_ids({p for c in found for p in c.get("participants", ()) if p != caller_id})
        muted = self._mutes.muted_until(caller_id, ids, utcnow()) if self._mutes is not None else {}
        views = []
        for conversation in found:
            read_seq = min(read_seqs.get(conversation["_id"], 0), conversation["lastSeq"])
            last = last_messages.get(conversation.get("lastMessageId"))
            view = {
                "id": conversation["_id"],
                "kind": conversation["kind"],
                "lastMessage": self._view(last, None, mine.get(last["_id"], frozenset())) if last else None,
                "lastSeq": conversation["lastSeq"],
                "readSeq": read_seq,
                "unreadCount": conversation["lastSeq"] - read_seq,
                "muted": conversation["_id"] in muted,
                "mutedUntil": iso(muted.get(conversation["_id"])),
            }
            if conversation["kind"] == GROUP:
                group = self._groups.get(conversation["_id"]) or {}
                view["name"] = group.get("name")
                self._hide_before_join(view, conversation, group, joined.get(conversation["_id"]), last)
            else:
                view["participants"] = [person_view(others.get(p)) for p in conversation["participants"] if p != caller_id]
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

    def _sending(self, caller_id, conversation_id):
        """(conversation document or None, sender, current key's document or None: UNREAD) if the
        caller may send, read in one round trip; `authorize`'s refusals, or NotAuthenticated."""
        found = batches.for_sending(conversations=self._conversations, users=self._users, keyring=self._keyring,
                                    memberships=self._memberships, caller_id=caller_id, conversation_id=conversation_id)
        conversation, key = found["conversation"], found["key"]
        if not found["member"]:
            conversation, key = self.authorize(caller_id, conversation_id), UNREAD  # refused, or a member meanwhile
        if found["sender"] is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        return conversation, found["sender"], key

    def reading_floor(self, caller_id, conversation_id):
        """Authorize reading (as `authorize`); the caller's latest join in a "joined"-history group, else None."""
        if is_direct_id(conversation_id):
            self.authorize(caller_id, conversation_id, need_conversation=False)
            return None
        doc = self._memberships.get(conversation_id, caller_id)
        if doc is None or doc["state"] != MEMBER:
            self.authorize(caller_id, conversation_id, need_conversation=False)  # the group routes' refusal
            doc = self._memberships.get(conversation_id, caller_id)  # a member meanwhile
        group = self._groups.get(conversation_id) or {}
        return _floor(group, doc)

    def view(self, message):
        """`message` (a stored document) as a member sees it, decrypted."""
        return self._view(message)

    # Operators ----------------------------------------------------------------------------

    def rotate_key(self, conversation_id):
        """New messages of the conversation use a new key version; the new version."""
        return self._keyring.rotate(conversation_id)

    def delete_conversation(self, conversation_id):
        """Crypto-shred a conversation: its keys first (from then on nothing is readable), then the rest."""
        keys = self._keyring.destroy(conversation_id)
        if self._attachments is not None:
            objects = self._attachments.delete_conversation(conversation_id)
            log.info("conversation %s shredded: %d attachment object(s)", conversation_id, objects)
        deleted = self._messages.delete_conversation(conversation_id)
        if self._reactions is not None:
            self._reactions.delete_conversation(conversation_id)
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

    def _other_participant(self, emails, caller, by_email=None):
        other_email = emails[1] if emails[0] == caller["email"] else emails[0]
        other = by_email.get(other_email) if by_email is not None else self._users.by_email(other_email)
        if other is None:
            raise NotFound("No user has that email.", "user_not_found")
        return other

    def _refuse_if_blocked(self, caller_id, others):
        if self._blocks is not None and any(self._blocks.has_blocked(other, caller_id) for other in others):
            raise Forbidden("This person has blocked you; you cannot message them.", "blocked")

    def _hide_before_join(self, view, conversation, group, membership, last):
        """A "joined" group's entry shows nothing from before the caller's join, nor counts it unread."""
        floor = _floor(group, membership)
        if floor is None or last is None or last["createdAt"] >= floor:
            if floor is not None and view["unreadCount"]:
                view["unreadCount"] = self._messages.count_since(conversation["_id"], floor, view["readSeq"])
            return
        view["lastMessage"] = None
        view["unreadCount"] = 0

    def _page(self, caller_id, conversation_id, limit, before, after, since=None):
        found, has_more = self._messages.page(conversation_id, limit=limit, before=before, after=after, since=since)
        return self._page_of(caller_id, found, has_more, after)

    def _page_of(self, caller_id, found, has_more, after, keys=None):
        """The page answer for the messages `found`; `keys` holds key versions already opened."""
        keys, mine = dict(keys or {}), reactions_of(self._reactions, caller_id, found)
        views = [self._view(message, keys, mine.get(message["_id"], frozenset())) for message in found]
        page = {"messages": views, "hasMore": has_more, "changeCursor": change_cursor(utcnow())}
        if has_more:
            if after is not None:
                page["nextAfter"] = views[-1]["seq"]
            else:
                page["nextBefore"] = views[0]["seq"]
        return page

    def _view(self, message, keys=None, mine=frozenset()):
        """The message as a member sees it (see chalicelib.messaging.reading.open_view)."""
        return open_view(self._keyring, message, keys, mine)

    def _claim_attachments(self, sender_id, conversation_id, message_id, attachment_ids):
        """The send's attachments, checked and taken for this message (None without any)."""
        if not attachment_ids:
            return None
        if self._attachments is None:
            raise InvalidInput("Attachments are not available here.", "attachments_unavailable")
        return self._attachments.claim(sender_id, conversation_id, message_id, attachment_ids)

    def _release_attachments(self, claim):
        if claim is not None:
            self._attachments.release(claim)


def _record_sent(conversation, stored):
    """MessagesSent by Kind, and a log line naming the message (never its text) for the
    saved query that follows one message through its fan-out (infra/stack.yaml)."""
    kind = conversation["kind"]
    metrics.count("MessagesSent", Kind=kind)
    log.info("message stored", extra={"fields": {"messageId": stored["_id"], "conversationId": stored["conversationId"],
                                                 "seq": stored["seq"], "kind": kind}})


def _floor(group, membership):
    """The caller's latest join if `group` shows members only what was sent since; else None."""
    if membership is None or group.get("historyVisibility") != JOINED_HISTORY:
        return None
    return joined_at(membership)
