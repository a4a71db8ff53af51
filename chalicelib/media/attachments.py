"""Use cases for attachments: ask to upload a file, fetch one, and what sending and deleting
messages and conversations need of them.

The bytes never pass through the API. `create` answers a presigned POST that S3 accepts
only for exactly the declared size and type, at a key the server chose
(conversations/<conversationId>/<attachmentId>). Sending a message claims its attachments:
each must have been uploaded by the sender to that conversation, match what was declared,
and not be in another message. `download` answers a presigned GET to current members only;
membership is checked on every call, so leaving or a ban ends access to new URLs at once.
See docs/attachments.md.
"""
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Forbidden, InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.limits import ATTACHMENTS_UPLOADED_PER_USER
from chalicelib.crypto.cipher import Unreadable
from chalicelib.crypto.keyring import KeyMissing
from chalicelib.media.schemas import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_MESSAGE,
    MAX_NAME_CHARS,
)
from chalicelib.media.sealing import open_name, seal_name
from chalicelib.media.views import attachment_view
from chalicelib.storage.attachments import PENDING_DAYS

log = logging.getLogger("messaging.media")

# An upload older than this is not sent: the bucket's lifecycle rule may be removing it.
SENDABLE_FOR = timedelta(days=PENDING_DAYS) - timedelta(hours=1)


def object_key(conversation_id, attachment_id):
    """Where an attachment's bytes live: by conversation, so shredding one deletes one prefix."""
    return f"{conversation_id_prefix(conversation_id)}{attachment_id}"


def conversation_id_prefix(conversation_id):
    return f"conversations/{conversation_id}/"


@dataclass
class Claim:
    """Attachments taken by one send: their views for the message, and the token to undo it."""

    token: str = ""
    attachments: list = field(default_factory=list)
    object_keys: list = field(default_factory=list)


class Attachments:
    def __init__(self, *, store, bucket, keyring, authorize, limiter, clock=utcnow):
        self._store = store
        self._bucket = bucket
        self._keyring = keyring
        # authorize(caller_id, conversation_id): NotFound/Forbidden unless the caller may read
        # and send there (production: Messaging.authorize, the rule messages follow).
        self._authorize = authorize
        self._limiter = limiter
        self._clock = clock

    def create(self, caller_id, conversation_id, name, content_type, size):
        """Record an upload to come and answer its presigned POST: {attachment, upload}."""
        _check_declared(name, content_type, size)
        self._authorize(caller_id, conversation_id)
        self._limiter.take(ATTACHMENTS_UPLOADED_PER_USER, caller_id)
        attachment_id = new_id()
        version, key = self._keyring.current(conversation_id)
        record = {
            "_id": attachment_id,
            "conversationId": conversation_id,
            "uploaderId": caller_id,
            "objectKey": object_key(conversation_id, attachment_id),
            "contentType": content_type,
            "size": size,
            "createdAt": self._clock(),
            **seal_name(key, version, conversation_id, attachment_id, name),
        }
        upload = self._bucket.upload_form(record["objectKey"], content_type, size)  # signed here: no I/O
        self._store.add(record)
        return {"attachment": attachment_view(record, name), "upload": upload}

    def download(self, caller_id, attachment_id):
        """{attachment, url, expiresIn} for a member of its conversation; NotFound for anyone
        else (and for an unsent upload of someone else's)."""
        record = self._store.get(attachment_id)
        if record is None:
            raise _not_found()
        try:
            self._authorize(caller_id, record["conversationId"])
        except (NotFound, Forbidden):
            raise _not_found() from None
        if "messageId" not in record and record["uploaderId"] != caller_id:
            raise _not_found()
        return {"attachment": attachment_view(record, self._name(record)),
                "url": self._bucket.download_url(record["objectKey"]),
                "expiresIn": self._bucket.url_seconds}

    # What sending and deleting messages need ------------------------------------------------

    def claim(self, sender_id, conversation_id, message_id, attachment_ids):
        """Take `attachment_ids` for message `message_id` (a Claim); InvalidInput, with nothing
        taken, unless each was uploaded by the sender to this conversation as declared and is
        in no other message. A retried send of the same message gets the same ones back."""
        attachment_ids = list(attachment_ids or ())
        if not attachment_ids:
            return Claim()
        if len(attachment_ids) > MAX_ATTACHMENTS_PER_MESSAGE:
            raise InvalidInput(f"A message carries at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments.",
                               "too_many_attachments")
        if len(set(attachment_ids)) != len(attachment_ids):
            raise InvalidInput("Name each attachment once.", "duplicate_attachment")
        found = self._store.by_ids(attachment_ids)
        to_take = []
        for attachment_id in attachment_ids:
            record = found.get(attachment_id)
            if record is None or record["uploaderId"] != sender_id or record["conversationId"] != conversation_id:
                raise InvalidInput(f"Attachment {attachment_id} is not one you uploaded to this conversation.",
                                   "unknown_attachment")
            if record.get("messageId") == message_id:
                continue  # a retry of the send that already took it
            if "messageId" in record:
                raise InvalidInput(f"Attachment {attachment_id} is already in another message.",
                                   "attachment_already_sent")
            if self._clock() - record["createdAt"] > SENDABLE_FOR:
                raise InvalidInput(f"Attachment {attachment_id} was uploaded too long ago; upload it again.",
                                   "attachment_expired")
            self._check_uploaded(record)
            to_take.append(record)
        claim = Claim(token=uuid.uuid4().hex,
                      attachments=[self._message_entry(found[i]) for i in attachment_ids],
                      object_keys=[record["objectKey"] for record in to_take])
        if to_take:
            taken = self._store.claim([r["_id"] for r in to_take], uploader_id=sender_id,
                                      conversation_id=conversation_id, message_id=message_id, token=claim.token)
            if taken != len(to_take):
                self._store.release(claim.token, self._pending_until())
                raise InvalidInput("An attachment was just sent in another message.", "attachment_already_sent")
            try:
                for key in claim.object_keys:
                    self._bucket.mark_attached(key)
            except Exception:
                self.release(claim)
                raise
        return claim

    def release(self, claim):
        """Undo a claim whose message was not stored: its attachments can be sent again."""
        if not claim.object_keys:
            return
        self._store.release(claim.token, self._pending_until())
        for key in claim.object_keys:
            try:
                self._bucket.mark_pending(key)
            except Exception as exc:  # noqa: BLE001 - it only keeps an object longer than needed
                log.warning("attachment object not re-tagged pending: %s", type(exc).__name__)

    def delete_objects(self, conversation_id, attachment_ids):
        """Delete these attachments of `conversation_id` (bytes and records), e.g. when their
        message is deleted; how many objects were deleted."""
        attachment_ids = list(attachment_ids or ())
        if not attachment_ids:
            return 0
        keys = self._store.object_keys(conversation_id, attachment_ids)
        deleted = self._bucket.delete(keys)
        self._store.delete(conversation_id, attachment_ids)
        return deleted

    def delete_conversation(self, conversation_id):
        """Delete every attachment of a conversation (its crypto-shredding); objects deleted."""
        deleted = self._bucket.delete_prefix(conversation_id_prefix(conversation_id))
        self._store.delete_conversation(conversation_id)
        return deleted

    # Helpers --------------------------------------------------------------------------------

    def _check_uploaded(self, record):
        described = self._bucket.described(record["objectKey"])
        if described is None:
            raise InvalidInput(f"Attachment {record['_id']} was never uploaded.", "attachment_not_uploaded")
        size, content_type = described
        if size != record["size"] or content_type != record["contentType"]:
            raise InvalidInput(f"Attachment {record['_id']} is not the file that was declared.",
                               "attachment_mismatch")

    def _message_entry(self, record):
        return {"id": record["_id"], "name": self._name(record), "contentType": record["contentType"],
                "size": record["size"]}

    def _name(self, record):
        try:
            return open_name(self._keyring.key(record["conversationId"], record["keyVersion"]), record)
        except (Unreadable, KeyMissing) as exc:
            log.error("attachment %s name does not decrypt: %s", record["_id"], type(exc).__name__)
            return None

    def _pending_until(self):
        return self._clock() + timedelta(days=PENDING_DAYS)


def _check_declared(name, content_type, size):
    """The contract's rules, whatever route or frame the declaration came by."""
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(f"contentType must be one of {', '.join(ALLOWED_TYPES)}.", "unsupported_type")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_ATTACHMENT_BYTES:
        raise InvalidInput(f"size must be between 1 and {MAX_ATTACHMENT_BYTES} bytes (25 MiB).", "invalid_size")
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"name must be 1 to {MAX_NAME_CHARS} characters.", "invalid_name")


def _not_found():
    return NotFound("There is no such attachment.", "attachment_not_found")
