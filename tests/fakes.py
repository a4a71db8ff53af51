"""Small hand-written fakes for unit tests of use cases."""
from chalicelib.realtime.pusher import Gone, Throttled, TooLarge


class RecordingPusher:
    """A Pusher (production: ConnectionPusher) that records frames per connection; some connections can be gone, refuse the frame as too
    large, throttle a few times (or, with a count of -1, always), or fail."""

    def __init__(self, gone=(), throttle_times=None, broken=(), too_large=(), delay=0.0):
        import threading

        self.sent = []
        self.closed = []
        self.calls = 0
        self._gone = set(gone)
        self._throttles_left = dict(throttle_times or {})
        self._broken = set(broken)
        self._too_large = set(too_large)
        self._delay = delay
        self._lock = threading.Lock()

    def send(self, endpoint, connection_id, frame):
        import time

        with self._lock:
            self.calls += 1
        if self._delay:
            time.sleep(self._delay)
        if connection_id in self._gone:
            raise Gone(connection_id)
        if connection_id in self._too_large:
            raise TooLarge(connection_id)
        if self._throttles_left.get(connection_id, 0) < 0:
            raise Throttled(connection_id)
        if self._throttles_left.get(connection_id, 0) > 0:
            self._throttles_left[connection_id] -= 1
            raise Throttled(connection_id)
        if connection_id in self._broken:
            raise RuntimeError("network down")
        self.sent.append((endpoint, connection_id, frame))

    def disconnect(self, endpoint, connection_id):
        self.closed.append(connection_id)

    def frames_to(self, connection_id):
        return [frame for _, target, frame in self.sent if target == connection_id]


class NoLimits:
    """A Limiter that never refuses, for tests that measure something else at volume."""

    def check(self, limit, key):
        pass

    def hit(self, limit, key):
        pass

    def take(self, limit, key):
        pass

    def take_together(self, limits, key):
        pass

    def judge(self, limit, count, seconds_left):
        pass

    def attempt(self, limit, key):
        pass

    def forgive(self, limit, key):
        pass

    def reset(self, limit, key):
        pass

    def settle(self, resets=(), forgives=()):
        pass


class RecordingQueue:
    """A JobQueue that keeps the jobs (production: FanoutQueue.enqueue)."""

    def __init__(self):
        self.jobs = []

    def enqueue(self, job):
        self.jobs.append(job)


class StaticAudience:
    """An Audience from a table: conversation id -> member ids (production: ConversationAudience).
    `joined` ({conversation id: {member id: when they joined}}) names the "joined"-history
    groups; a member without a time there joined at the beginning of time."""

    def __init__(self, members, joined=None):
        self._members = {conversation: sorted(ids) for conversation, ids in members.items()}
        self._joined = joined or {}

    def member_ids(self, conversation_id, after=None, limit=500, sent_at=None):
        members = self._members.get(conversation_id, [])
        if sent_at is not None and conversation_id in self._joined:
            times = self._joined[conversation_id]
            members = [member for member in members if member not in times or times[member] <= sent_at]
        return [member for member in members if after is None or member > after][:limit]

    def conversations_of(self, user_id, limit=1000):
        return sorted(conversation for conversation, ids in self._members.items() if user_id in ids)[:limit]


class FakeConversations:
    """The messaging facade the WebSocket use cases call (production: Messaging); the same
    cases run against both in tests/core/test_ports.py."""

    def __init__(self, members):
        self._members = members  # conversation id -> set of user ids
        self.sent = []
        self.read = {}

    def authorize(self, caller_id, conversation_id, need_conversation=True):
        from chalicelib.core.errors import NotFound
        from chalicelib.storage.conversations import is_direct_id

        if caller_id not in self._members.get(conversation_id, set()):
            if is_direct_id(conversation_id):
                raise NotFound("There is no such conversation.", "conversation_not_found")
            raise NotFound("There is no such group.", "group_not_found")

    def send(self, caller_id, conversation_id, text, client_message_id=None, attachments=(), *, reply_to=None,
             mentions=None, limit_taken=False):
        from chalicelib.core.errors import InvalidInput

        if not text.strip():  # checked before membership, as Messaging does
            raise InvalidInput("text must not be empty.", "empty_text")
        self.authorize(caller_id, conversation_id)
        seq = self._last_seq(conversation_id) + 1
        message = {"id": f"m{len(self.sent) + 1}", "conversationId": conversation_id, "senderId": caller_id,
                   "text": text, "seq": seq, "clientMessageId": client_message_id}
        self.sent.append(message)
        self.read[(caller_id, conversation_id)] = seq  # a sender has read what they sent
        return message

    def mark_read(self, caller_id, conversation_id, seq):
        """Never backwards, never past the conversation's last message."""
        self.authorize(caller_id, conversation_id)
        last_seq = self._last_seq(conversation_id)
        read_seq = min(max(self.read.get((caller_id, conversation_id), 0), seq), last_seq)
        self.read[(caller_id, conversation_id)] = read_seq
        return {"conversationId": conversation_id, "readSeq": read_seq, "lastSeq": last_seq,
                "unreadCount": last_seq - read_seq}

    def _last_seq(self, conversation_id):
        return max((message["seq"] for message in self.sent if message["conversationId"] == conversation_id),
                   default=0)


class RecordingPublisher:
    """A Publisher that keeps what was published (production: FanoutQueue), for tests of use
    cases, and as a null publisher."""

    def __init__(self):
        self.published = []

    def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=(), sent_at=None):
        """Deliver `event` to the members of `conversation_id` and to `user_ids`, except
        `except_user_ids` (typing goes to the other members only)."""
        self.published.append({
            "event": event,
            "conversationId": conversation_id,
            "userIds": list(user_ids),
            "exceptUserIds": list(except_user_ids),
            **({"sentAt": sent_at} if sent_at is not None else {}),
        })

    def of_type(self, event_type):
        return [entry for entry in self.published if entry["event"]["type"] == event_type]


class RecordingMailer:
    """Keeps the emails it was asked to send: [(to, subject, text)]; `broken` makes every send fail."""

    def __init__(self, broken=False):
        self.sent = []
        self._broken = broken

    def send(self, to, subject, text):
        if self._broken:
            raise RuntimeError("mail service down")
        self.sent.append((to, subject, text))

    def code_for(self, to):
        """The reset code in the last email to `to`."""
        import re

        (text,) = [text for address, _, text in self.sent if address == to][-1:]
        return re.search(r"code is (\d+)", text).group(1)


class FakeBucket:
    """AttachmentObjects in memory: `put(key, data, content_type)` stands in for the browser's
    upload; `broken` makes tagging fail (S3 not answering)."""

    url_seconds = 300

    def __init__(self):
        self.objects = {}  # key -> (bytes, content type)
        self.tags = {}
        self.broken = False

    def put(self, key, data, content_type):
        self.objects[key] = (data, content_type)
        self.tags[key] = "pending"

    def upload_form(self, key, content_type, size):
        return {"url": "https://bucket.test/", "fields": {"key": key, "Content-Type": content_type},
                "expiresIn": self.url_seconds}

    def download_url(self, key):
        return f"https://bucket.test/{key}?signed"

    def described(self, key):
        found = self.objects.get(key)
        return (len(found[0]), found[1]) if found else None

    def mark_attached(self, key):
        if self.broken:
            raise ConnectionError("S3 is not answering")
        self.tags[key] = "attached"

    def mark_pending(self, key):
        self.tags[key] = "pending"

    def delete(self, keys):
        keys = list(keys)
        for key in keys:
            self.objects.pop(key, None)
        return len(keys)

    def delete_prefix(self, prefix):
        return self.delete([key for key in self.objects if key.startswith(prefix)])


class RecordingMobilePush:
    """A MobilePush (chalicelib.core.ports) that keeps endpoints and notifications in memory;
    some endpoints can be disabled, throttle a few times, or fail."""

    def __init__(self, throttle_times=None):
        self.endpoints = {}  # arn -> {"platform", "token", "userData", "enabled"}
        self.published = []  # (platform, arn, notification)
        self.deleted = []
        self.broken = set()
        self._throttles_left = dict(throttle_times or {})

    def create_endpoint(self, platform, token, user_data=""):
        for arn, endpoint in self.endpoints.items():
            if endpoint["token"] == token:
                endpoint.update(userData=user_data, enabled=True)
                return arn
        arn = f"arn:aws:sns:us-east-1:123456789012:endpoint/{platform}/app/{len(self.endpoints) + 1}"
        self.endpoints[arn] = {"platform": platform, "token": token, "userData": user_data, "enabled": True}
        return arn

    def ensure_enabled(self, endpoint_arn, token):
        endpoint = self.endpoints.get(endpoint_arn)
        if endpoint is None:
            return False
        endpoint.update(token=token, enabled=True)
        return True

    def set_user_data(self, endpoint_arn, user_data):
        self.endpoints[endpoint_arn]["userData"] = user_data

    def delete_endpoint(self, endpoint_arn):
        self.deleted.append(endpoint_arn)
        self.endpoints.pop(endpoint_arn, None)

    def publish(self, platform, endpoint_arn, notification):
        from chalicelib.realtime.sns import EndpointDisabled, PushThrottled

        endpoint = self.endpoints.get(endpoint_arn)
        if endpoint is None or not endpoint["enabled"]:
            raise EndpointDisabled(endpoint_arn)
        if self._throttles_left.get(endpoint_arn, 0) > 0:
            self._throttles_left[endpoint_arn] -= 1
            raise PushThrottled(endpoint_arn)
        if endpoint_arn in self.broken:
            raise RuntimeError("SNS unreachable")
        self.published.append((platform, endpoint_arn, notification))
        return f"msg-{len(self.published)}"

    def disable(self, endpoint_arn):
        self.endpoints[endpoint_arn]["enabled"] = False

    def to_token(self, token):
        """The notifications sent to the endpoint of `token`."""
        return [notification for _, arn, notification in self.published
                if self.endpoints.get(arn, {}).get("token") == token]
