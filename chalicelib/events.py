"""Domain events: what happened, and who should hear of it in real time.

Use cases publish through a Publisher and never know how delivery works. An event is a
JSON-ready dict with a `type` (`message`, `member.joined`, `member.left`, `member.banned`,
`member.kicked`, `request.created`, `request.decided`, `owner.changed`, ...) and the ids it
concerns. The audience is either every member of a conversation (a group or a 1:1 chat),
or named users, or both (for example a group's owner and the requester), less any users
excepted. The production publisher is chalicelib.fanout_queue.FanoutQueue (SQS).
"""


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
