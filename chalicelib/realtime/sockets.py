"""Use cases of the WebSocket API: connect, disconnect, and the client's frames.

A frame is a JSON object with an `action`. Replies to the sender (acks, pongs, errors) go
straight back to its connection; everything others should see goes through the publisher
(the fan-out queue), so REST and WebSocket sends take one path to every device. A bad frame
is answered with an error frame and never drops the connection.
"""
import json
import logging

from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import DomainError, InvalidInput, NotAuthenticated, TooLarge
from chalicelib.core.limits import WS_FRAMES_PER_CONNECTION
from chalicelib.core.validation import validate
from chalicelib.media.schemas import ATTACHMENT_IDS_SCHEMA
from chalicelib.realtime.pusher import Gone

log = logging.getLogger("messaging.realtime")

MAX_FRAME_BYTES = 16 * 1024
TYPING_EXPIRES_SECONDS = 6
PRESENCE_MAX_MEMBERS = 200

_CONVERSATION_ID = {"type": "string", "minLength": 1, "maxLength": 128}


def _frame(required, **fields):
    """A frame's schema: `action`, an optional `requestId` echoed in the reply, and `fields`."""
    properties = {"action": {"type": "string"}, "requestId": {"type": "string", "maxLength": 128}, **fields}
    return {"type": "object", "required": ["action", *required], "additionalProperties": False,
            "properties": properties}


def _with_actions(schemas):
    """Each frame's schema with `action` held to its own name (GET /asyncapi.json publishes them)."""
    for action, schema in schemas.items():
        schema["properties"]["action"] = {"const": action}
    return schemas


FRAME_SCHEMAS = _with_actions({
    "sendMessage": _frame(
        ["conversationId", "text"],
        conversationId=_CONVERSATION_ID,
        text={"type": "string"},
        clientMessageId={"type": "string", "minLength": 1, "maxLength": 128},
        attachments=ATTACHMENT_IDS_SCHEMA,
    ),
    "typing": _frame(["conversationId", "isTyping"], conversationId=_CONVERSATION_ID, isTyping={"type": "boolean"}),
    "markRead": _frame(["conversationId", "seq"], conversationId=_CONVERSATION_ID, seq={"type": "integer", "minimum": 0}),
    "presence": _frame(["conversationId"], conversationId=_CONVERSATION_ID),
    "ping": _frame([]),
})


class Sockets:
    def __init__(self, *, tokens, tickets, connections, pusher, publisher, conversations, audience, limiter):
        self._tokens = tokens
        self._tickets = tickets
        self._connections = connections
        self._pusher = pusher
        self._publisher = publisher
        self._conversations = conversations  # chalicelib.messaging.messages.Messaging: send, authorize, mark_read
        self._audience = audience  # member_ids(conversation_id, after, limit)
        self._limiter = limiter

    def connect(self, connection_id, endpoint, *, token=None, ticket=None):
        """Record an authenticated connection; NotAuthenticated refuses the upgrade."""
        if ticket:
            user_id = self._tickets.take(ticket)
            if user_id is None:
                raise NotAuthenticated("The ticket is unknown, used or expired.", "invalid_ticket")
        elif token:
            user_id = self._tokens.verify(token)
        else:
            raise NotAuthenticated("Connect with ?token=<token> or ?ticket=<ticket>.", "missing_token")
        self._connections.add(connection_id, user_id, endpoint)
        return user_id

    def disconnect(self, connection_id):
        self._connections.remove(connection_id)

    def receive(self, connection_id, endpoint, raw):
        """Handle one frame from a connection; every answer goes back as a frame (and is
        returned: None when there is none, as for typing)."""
        frame = {}
        try:
            if len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
                raise TooLarge(f"Frames are limited to {MAX_FRAME_BYTES} bytes.", "frame_too_large")
            frame = _parse(raw)
            self._limiter.take(WS_FRAMES_PER_CONNECTION, connection_id)
            connection = self._connections.get(connection_id)
            if connection is None:
                raise NotAuthenticated("This connection is not registered; reconnect.", "unknown_connection")
            action = frame.get("action")
            if not isinstance(action, str) or action not in FRAME_SCHEMAS:  # {"$ne": null} is no action
                raise InvalidInput(f"Unknown action {action!r}; use one of {', '.join(FRAME_SCHEMAS)}.", "unknown_action")
            frame = validate(FRAME_SCHEMAS[action], frame, where="frame")
            handlers = {"ping": self._ping, "sendMessage": self._send_message, "typing": self._typing,
                        "markRead": self._mark_read, "presence": self._presence}
            reply = handlers[action](connection["userId"], frame)
        except DomainError as refused:
            reply = _error_frame(refused)
        except Exception as exc:  # noqa: BLE001 - a bad frame must never drop the connection
            from chalicelib.edge.web import as_domain_error

            known = as_domain_error(exc)
            if known is None:
                log.exception("frame handling failed")
                reply = {"type": "error", "error": {"code": "internal_error", "message": "Something went wrong; try again."}}
            else:
                reply = _error_frame(known)
        if reply is not None:
            for echoed in ("requestId", "clientMessageId"):
                if isinstance(frame, dict) and isinstance(frame.get(echoed), str):
                    reply.setdefault(echoed, frame[echoed])
            self._reply(endpoint, connection_id, reply)
        return reply

    def _ping(self, user_id, frame):
        return {"type": "pong", "at": iso(utcnow())}

    def _send_message(self, user_id, frame):
        message = self._conversations.send(user_id, frame["conversationId"], frame["text"], frame.get("clientMessageId"),
                                           attachments=frame.get("attachments", ()))
        return {"type": "ack", "message": message}

    def _typing(self, user_id, frame):
        conversation_id = frame["conversationId"]
        self._conversations.authorize(user_id, conversation_id)
        event = {"type": "typing", "conversationId": conversation_id, "userId": user_id,
                 "isTyping": frame["isTyping"], "expiresInSeconds": TYPING_EXPIRES_SECONDS}
        self._publisher.publish(event, conversation_id=conversation_id, except_user_ids=[user_id])
        return None

    def _mark_read(self, user_id, frame):
        conversation_id = frame["conversationId"]
        marker = self._conversations.mark_read(user_id, conversation_id, frame["seq"])
        event = {"type": "read", "conversationId": conversation_id, "userId": user_id, "seq": marker["readSeq"]}
        self._publisher.publish(event, conversation_id=conversation_id, except_user_ids=[user_id])
        return {"type": "read", **{key: event[key] for key in ("conversationId", "userId", "seq")}}

    def _presence(self, user_id, frame):
        conversation_id = frame["conversationId"]
        self._conversations.authorize(user_id, conversation_id)
        members = self._audience.member_ids(conversation_id, after=None, limit=PRESENCE_MAX_MEMBERS)
        online = self._connections.online(members)
        return {"type": "presence", "conversationId": conversation_id,
                "online": {member: member in online for member in members}}

    def _reply(self, endpoint, connection_id, frame):
        try:
            self._pusher.send(endpoint, connection_id, frame)
        except Gone:
            self._connections.remove(connection_id)


def _parse(raw):
    try:
        frame = json.loads(raw)
    except ValueError:
        raise InvalidInput("Frames must be JSON objects.", "invalid_json") from None
    if not isinstance(frame, dict):
        raise InvalidInput("Frames must be JSON objects.", "invalid_json")
    return frame


def _error_frame(refused):
    frame = {"type": "error", "error": {"code": refused.code, "message": refused.message}}
    retry_after = getattr(refused, "retry_after", None)
    if retry_after is not None:
        frame["error"]["retryAfter"] = retry_after
    return frame
