"""Small hand-written fakes for unit tests of use cases."""
from chalicelib.realtime.pusher import Gone, Throttled


class RecordingPusher:
    """Records frames per connection; some connections can be gone or throttle a few times."""

    def __init__(self, gone=(), throttle_times=None, broken=()):
        self.sent = []
        self.closed = []
        self._gone = set(gone)
        self._throttles_left = dict(throttle_times or {})
        self._broken = set(broken)

    def send(self, endpoint, connection_id, frame):
        if connection_id in self._gone:
            raise Gone(connection_id)
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
    """A limiter that never refuses, for tests that measure something else at volume."""

    def check(self, limit, key):
        pass

    def hit(self, limit, key):
        pass

    def take(self, limit, key):
        pass

    def reset(self, limit, key):
        pass


class RecordingQueue:
    def __init__(self):
        self.jobs = []

    def enqueue(self, job):
        self.jobs.append(job)


class StaticAudience:
    """Conversation id -> member ids."""

    def __init__(self, members):
        self._members = {conversation: sorted(ids) for conversation, ids in members.items()}

    def member_ids(self, conversation_id, after=None, limit=500):
        members = self._members.get(conversation_id, [])
        return [member for member in members if after is None or member > after][:limit]


class FakeConversations:
    """The messaging facade the WebSocket use cases call."""

    def __init__(self, members):
        self._members = members  # conversation id -> set of user ids
        self.sent = []
        self.read = {}

    def authorize(self, user_id, conversation_id):
        from chalicelib.core.errors import NotFound

        if user_id not in self._members.get(conversation_id, set()):
            raise NotFound("No such conversation.", "conversation_not_found")

    def send(self, user_id, conversation_id, text, client_message_id=None, attachments=()):
        from chalicelib.core.errors import InvalidInput

        self.authorize(user_id, conversation_id)
        if not text.strip():
            raise InvalidInput("text must not be empty.")
        message = {"id": f"m{len(self.sent) + 1}", "conversationId": conversation_id, "senderId": user_id,
                   "text": text, "seq": len(self.sent) + 1, "clientMessageId": client_message_id}
        self.sent.append(message)
        return message

    def mark_read(self, user_id, conversation_id, seq):
        self.authorize(user_id, conversation_id)
        self.read[(user_id, conversation_id)] = seq
        return {"conversationId": conversation_id, "readSeq": seq, "lastSeq": seq, "unreadCount": 0}


class RecordingPublisher:
    """Keeps what was published (for tests of use cases, and as a null publisher)."""

    def __init__(self):
        self.published = []

    def publish(self, event, *, conversation_id=None, user_ids=(), except_user_ids=()):
        """Deliver `event` to the members of `conversation_id` and to `user_ids`, except
        `except_user_ids` (typing goes to the other members only)."""
        self.published.append({
            "event": event,
            "conversationId": conversation_id,
            "userIds": list(user_ids),
            "exceptUserIds": list(except_user_ids),
        })

    def of_type(self, event_type):
        return [entry for entry in self.published if entry["event"]["type"] == event_type]


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
