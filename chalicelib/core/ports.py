"""Ports: what the use cases need from the outside world, as `typing.Protocol`s.

Production adapters (SQS, @connections, MongoDB stores) and the tests' fakes both implement
these, and tests/core/test_ports.py runs the same cases against each pair so they cannot
drift apart.
"""
from datetime import datetime
from typing import Iterable, Protocol


class Publisher(Protocol):
    """Hands a domain event to real-time delivery (production: the SQS fan-out queue).

    An event is a JSON-ready dict with a `type` (`message`, `member.joined`, `typing`, ...).
    Its audience is every member of `conversation_id`, and/or `user_ids`, less `except_user_ids`.
    An event about a message sent at `sent_at` reaches only the members who may read it (see
    Audience).
    """

    def publish(self, event: dict, *, conversation_id: str | None = None, user_ids: Iterable[str] = (),
                except_user_ids: Iterable[str] = (), sent_at: datetime | None = None) -> None: ...


class JobQueue(Protocol):
    """Takes a fan-out job as it is (the consumer enqueues a large group's continuation)."""

    def enqueue(self, job: dict) -> None: ...


class Pusher(Protocol):
    """Posts frames to WebSocket connections (production: API Gateway's @connections API).

    `send` raises chalicelib.realtime.pusher.Gone when the connection no longer exists (410,
    403), TooLarge when the frame is refused for good (413) and Throttled when API Gateway
    asks us to slow down (429).
    """

    def send(self, endpoint: str, connection_id: str, frame: dict) -> None: ...

    def disconnect(self, endpoint: str, connection_id: str) -> None: ...


class Mailer(Protocol):
    """Sends one plain-text email (production: Amazon SES, chalicelib.accounts.mailer)."""

    def send(self, to: str, subject: str, text: str) -> None: ...


class Audience(Protocol):
    """Who hears a conversation's events: member ids in id order, a page at a time. With
    `sent_at` (an event about a message sent then), a "joined"-history group's members who
    joined after it are left out: they cannot read that message."""

    def member_ids(self, conversation_id: str, after: str | None = None, limit: int = 500,
                   sent_at: datetime | None = None) -> list[str]: ...

    def conversations_of(self, user_id: str, limit: int = 1000) -> list[str]: ...


class Limiter(Protocol):
    """Fixed-window rate limits; `take` counts first and raises RateLimited when over."""

    def check(self, limit, key: str) -> None: ...

    def hit(self, limit, key: str) -> None: ...

    def take(self, limit, key: str) -> None: ...

    def take_together(self, limits, key: str) -> None: ...

    def judge(self, limit, count: int, seconds_left: float) -> None: ...

    def attempt(self, limit, key: str) -> None: ...

    def forgive(self, limit, key: str) -> None: ...

    def reset(self, limit, key: str) -> None: ...

    def settle(self, resets=(), forgives=()) -> None: ...


class Conversations(Protocol):
    """What the socket use cases need of messaging (production: messaging.messages.Messaging)."""

    def authorize(self, caller_id: str, conversation_id: str, need_conversation: bool = True): ...

    def send(self, caller_id: str, conversation_id: str, text: str, client_message_id: str | None = None,
             attachments: Iterable[str] = (), *, reply_to: str | None = None,
             mentions: list[str] | None = None, limit_taken: bool = False) -> dict: ...

    def mark_read(self, caller_id: str, conversation_id: str, seq: int) -> dict: ...


class MobilePush(Protocol):
    """Mobile push endpoints and notifications (production: chalicelib.realtime.sns.MobilePush).

    `publish` raises chalicelib.realtime.sns.EndpointDisabled when the endpoint is dead (the
    app was uninstalled) and PushThrottled when SNS asks us to slow down. A notification is
    {title, body, badge, data, collapseKey}.
    """

    def create_endpoint(self, platform: str, token: str, user_data: str = "") -> str: ...

    def ensure_enabled(self, endpoint_arn: str, token: str) -> bool: ...

    def set_user_data(self, endpoint_arn: str, user_data: str) -> None: ...

    def delete_endpoint(self, endpoint_arn: str) -> None: ...

    def publish(self, platform: str, endpoint_arn: str, notification: dict) -> str: ...


class Notifier(Protocol):
    """Pushes a `message` event to the phones of users no open connection reached."""

    def notify(self, event: dict, user_ids: Iterable[str], deadline: float | None = None) -> int: ...


class AttachmentObjects(Protocol):
    """Where attachments' bytes live (production: chalicelib.media.bucket.AttachmentBucket on S3).

    `upload_form` signs a POST that admits exactly `size` bytes of `content_type` at `key`;
    `described` is (size, content type), or None when nothing was uploaded at `key`.
    """

    url_seconds: int

    def upload_form(self, key: str, content_type: str, size: int) -> dict: ...

    def download_url(self, key: str) -> str: ...

    def described(self, key: str) -> tuple[int, str] | None: ...

    def mark_attached(self, key: str) -> None: ...

    def mark_pending(self, key: str) -> None: ...

    def delete(self, keys: Iterable[str]) -> int: ...

    def delete_prefix(self, prefix: str) -> int: ...


class MessageAttachments(Protocol):
    """Deletes a deleted message's attachments, objects and records (production:
    chalicelib.media.attachments.Attachments). Idempotent: ids already gone are fine."""

    def delete_objects(self, conversation_id: str, attachment_ids: list[str]) -> int: ...
