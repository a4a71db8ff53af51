"""Use cases of the WebSocket API: connect, disconnect, and the client's frames.

A frame is a JSON object with an `action`. Replies to the sender (acks, pongs, errors) go
straight back to its connection; everything others should see goes through the publisher
(the fan-out queue), so REST and WebSocket sends take one path to every device. A bad frame
is answered with an error frame and never drops the connection.

Blocks (chalicelib.storage.blocks) cut typing and presence between two people, whichever of
them blocked: the filter is applied where the event is made, not in the fan-out. A typing
frame reads the typer's blocks once (one indexed query, usually empty) and names those users
in the job's `exceptUserIds`; the fan-out consumer stays a plain audience-minus-exceptions
delivery that never reads blocks for the (far more numerous) message events. A presence
answer shows such people as offline.

Order of the checks on a frame, cheapest refusal first: the per-connection frame limit
(before the frame is measured or parsed; its counter lives on the connection's record, so
counting it and reading the record are one update), the connection's token's expiry,
the per-user limits, then size, JSON (depth-limited, no duplicate keys) and schema. The
frame is read (in memory, no round trip) just before the per-user limits are counted, so
that a sendMessage frame's MESSAGES_SENT_PER_USER is counted with the user's frame limit in
one update (core.limits: `shared`); every frame counts, valid or not, and a limit refuses
before a bad frame's own error is answered. Past a frame limit one error frame answers; the
rest are dropped unanswered.
"""
import logging

from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import DomainError, InvalidInput, NotAuthenticated, RateLimited, TooLarge, as_domain_error
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.jsontext import parse_object
from chalicelib.core.limits import (
    MESSAGES_SENT_PER_USER,
    SOCKETS_PER_USER,
    WS_FRAMES_PER_CONNECTION,
    WS_FRAMES_PER_USER,
    WS_TYPING_PER_CONVERSATION,
)
from chalicelib.core.validation import CLIENT_MESSAGE_ID_SCHEMA, validate
from chalicelib.media.schemas import ATTACHMENT_IDS_SCHEMA
from chalicelib.realtime.pusher import Gone, Throttled
from chalicelib.realtime.pusher import TooLarge as FrameTooLarge

log = logging.getLogger("messaging.realtime")

MAX_FRAME_BYTES = 16 * 1024
TYPING_EXPIRES_SECONDS = 6
PRESENCE_MAX_MEMBERS = 200
PRESENCE_EXPIRES_SECONDS = 60  # a presence change older than this is not worth delivering
# At most this many blocked/blocking users are left out of one typing event (the job stays small).
MAX_BLOCKS_PER_EVENT = 1000

# The very fragments REST validates these fields with.
_CONVERSATION_ID = ID_SCHEMA
_MESSAGE_ID = ID_SCHEMA  # a message\'s or a user\'s id, as REST validates replyTo and mentions


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
        clientMessageId=CLIENT_MESSAGE_ID_SCHEMA,
        attachments=ATTACHMENT_IDS_SCHEMA,
        replyTo=_MESSAGE_ID,
        mentions={"type": "array", "maxItems": 50, "items": _MESSAGE_ID},
    ),
    "typing": _frame(["conversationId", "isTyping"], conversationId=_CONVERSATION_ID, isTyping={"type": "boolean"}),
    "markRead": _frame(["conversationId", "seq"], conversationId=_CONVERSATION_ID, seq={"type": "integer", "minimum": 0}),
    "presence": _frame(["conversationId"], conversationId=_CONVERSATION_ID),
    "ping": _frame([]),
})


class Sockets:
    def __init__(self, *, sessions, tickets, connections, pusher, publisher, conversations, audience, limiter,
                 blocks=None):
        self._sessions = sessions  # chalicelib.accounts.sessions.Sessions: connect, require_live
        self._tickets = tickets
        self._connections = connections
        self._pusher = pusher
        self._publisher = publisher
        self._conversations = conversations  # chalicelib.messaging.messages.Messaging: send, authorize, mark_read
        self._audience = audience  # member_ids(conversation_id, after, limit)
        self._limiter = limiter
        self._blocks = blocks  # chalicelib.storage.blocks.BlockStore: either_way(user_id, limit)

    def connect(self, connection_id, endpoint, *, token=None, ticket=None):
        """Record an authenticated connection of a live session; NotAuthenticated refuses the upgrade.

        The connection keeps its session id, so ending the session closes it (Sessions.end).
        A user holds at most SOCKETS_PER_USER connections: a new one closes the oldest beyond
        that (a phone that lost its network leaves a record until the two-hour limit, which
        must not lock its owner out)."""
        if ticket:
            user_id, session_id, token_expires_at = self._tickets.claim(ticket)
            if user_id is None:
                raise NotAuthenticated("The ticket is unknown, used or expired.", "invalid_ticket")
            if session_id is not None:
                self._sessions.require_live(user_id, session_id)
        elif token:
            access = self._sessions.connect(token)
            user_id, session_id = access.user_id, access.session_id
            token_expires_at = self._sessions.token_expires_at(token)
        else:
            raise NotAuthenticated("Connect with ?token=<token> or ?ticket=<ticket>.", "missing_token")
        mine = self._connections.of_user(user_id)  # oldest first
        for oldest in mine[: max(0, len(mine) - (SOCKETS_PER_USER - 1))]:
            self._close(oldest["endpoint"], oldest["_id"])
        self._connections.add(connection_id, user_id, endpoint, session_id=session_id,
                              token_expires_at=token_expires_at)
        if not mine:
            self._announce(user_id, online=True)  # the first device: the user came online
        return user_id

    def disconnect(self, connection_id):
        user_id = self._connections.remove(connection_id)
        if user_id is not None and not self._connections.online([user_id]):
            self._announce(user_id, online=False)  # the last device: the user went offline

    def receive(self, connection_id, endpoint, raw):
        """Handle one frame from a connection; every answer goes back as a frame (and is
        returned: None when there is none, as for typing or a frame dropped past a limit)."""
        frame = {}
        try:
            connection = self._counted_frame(connection_id)
            if _token_expired(connection):
                self._close(endpoint, connection_id)
                raise NotAuthenticated("The token of this connection has expired; log in again.", "token_expired")
            frame, invalid = _parsed(raw)
            # The user's limits, counted for every frame, valid or not, in one update: the frame
            # limit, and a send's (so the send takes no other; an invalid frame is no send).
            limits = [WS_FRAMES_PER_USER]
            if invalid is None and frame["action"] == "sendMessage":
                limits.append(MESSAGES_SENT_PER_USER)
            self._limiter.take_together(limits, connection["userId"])
            if invalid is not None:
                raise invalid
            handlers = {"ping": self._ping, "sendMessage": self._send_message, "typing": self._typing,
                        "markRead": self._mark_read,
                        "presence": lambda user_id, frame: self._presence(user_id, frame, connection_id)}
            reply = handlers[frame["action"]](connection["userId"], frame)
        except RateLimited as refused:
            # Past a frame limit: one error frame says so, the rest are not answered at all.
            reply = _error_frame(refused) if getattr(refused, "over_by", 1) <= 1 else None
        except DomainError as refused:
            reply = _error_frame(refused)
        except Exception as exc:  # noqa: BLE001 - a bad frame must never drop the connection
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

    def _counted_frame(self, connection_id):
        """The connection's record, with this frame counted against WS_FRAMES_PER_CONNECTION in
        the same update (its counter lives on the record); RateLimited past the limit. A frame
        of an unknown connection is counted in the limiter instead, then refused."""
        limit = WS_FRAMES_PER_CONNECTION
        connection, seconds_left = self._connections.count_frame(connection_id, limit.window_seconds)
        if connection is None:
            self._limiter.take(limit, connection_id)
            raise NotAuthenticated("This connection is not registered; reconnect.", "unknown_connection")
        self._limiter.judge(limit, connection["frames"], seconds_left)
        return connection

    def _ping(self, user_id, frame):
        return {"type": "pong", "at": iso(utcnow())}

    def _send_message(self, user_id, frame):
        message = self._conversations.send(user_id, frame["conversationId"], frame["text"], frame.get("clientMessageId"),
                                           attachments=frame.get("attachments", ()), reply_to=frame.get("replyTo"),
                                           mentions=frame.get("mentions"), limit_taken=True)
        return {"type": "ack", "message": message}

    def _typing(self, user_id, frame):
        """Coalesced: one "typing" per user and conversation per window of
        WS_TYPING_PER_CONVERSATION; repeats inside it are dropped, since the one sent still
        shows on the receivers for TYPING_EXPIRES_SECONDS.

        A "stopped" is not fanned out (as Slack's and Discord's typing events have no stop):
        the indicator ends with the typist's message, which every client already takes as its
        end, or by itself after TYPING_EXPIRES_SECONDS, a couple of seconds after a client that
        stops without sending would have said so. Each "stopped" would cost as many posts as a
        "typing". It still reopens "typing": typing again right after stopping (or after
        sending) is news, not a repeat."""
        conversation_id = frame["conversationId"]
        key = f"{user_id}:{conversation_id}:typing"
        if not frame["isTyping"]:
            self._limiter.reset(WS_TYPING_PER_CONVERSATION, key)
            return None
        try:
            self._limiter.take(WS_TYPING_PER_CONVERSATION, key)
        except RateLimited:
            return None  # an indicator is worth nothing late or repeated: dropped, not answered
        # A member's group needs no conversation document: one read fewer (a 1:1 still reads its own).
        self._conversations.authorize(user_id, conversation_id, need_conversation=False)
        event = {"type": "typing", "conversationId": conversation_id, "userId": user_id,
                 "isTyping": frame["isTyping"], "expiresInSeconds": TYPING_EXPIRES_SECONDS}
        except_user_ids = [user_id, *sorted(self._blocked_either_way(user_id))]
        self._publisher.publish(event, conversation_id=conversation_id, except_user_ids=except_user_ids)
        return None

    def _mark_read(self, user_id, frame):
        conversation_id = frame["conversationId"]
        marker = self._conversations.mark_read(user_id, conversation_id, frame["seq"])
        event = {"type": "read", "conversationId": conversation_id, "userId": user_id, "seq": marker["readSeq"]}
        self._publisher.publish(event, conversation_id=conversation_id, except_user_ids=[user_id])
        return {"type": "read", **{key: event[key] for key in ("conversationId", "userId", "seq")}}

    def _presence(self, user_id, frame, connection_id):
        """Who of the conversation is online now; from then on this connection is told of
        each change (`_announce`) in that conversation, the one it asked about last."""
        conversation_id = frame["conversationId"]
        self._conversations.authorize(user_id, conversation_id, need_conversation=False)
        members = self._audience.member_ids(conversation_id, after=None, limit=PRESENCE_MAX_MEMBERS)
        online = self._connections.online(members)
        if online:
            online = set(online) - self._blocked_either_way(user_id)
        self._connections.watch(connection_id, conversation_id)
        return {"type": "presence", "conversationId": conversation_id,
                "online": {member: member in online for member in members}}

    def _announce(self, user_id, online):
        """Tell the connections following presence in the user's conversations (fan-out), except
        those of users blocked either way; a change that cannot be queued is lost, never the
        connect or disconnect itself."""
        event = {"type": "presence", "userId": user_id, "online": online, "expiresInSeconds": PRESENCE_EXPIRES_SECONDS}
        try:
            self._publisher.publish(event, except_user_ids=sorted(self._blocked_either_way(user_id)))
        except Exception as exc:  # noqa: BLE001 - presence is ephemeral; the socket is what matters
            log.warning("presence change not queued: %s", type(exc).__name__)

    def _blocked_either_way(self, user_id):
        if self._blocks is None:
            return set()
        return self._blocks.either_way(user_id, limit=MAX_BLOCKS_PER_EVENT)

    def _reply(self, endpoint, connection_id, frame):
        """Post a reply; whatever @connections answers, the handler does not fail over it."""
        try:
            self._pusher.send(endpoint, connection_id, frame)
        except Gone:
            self._connections.remove(connection_id)
        except (FrameTooLarge, Throttled) as refused:
            log.warning("reply not delivered: %s", type(refused).__name__)
        except Exception as exc:  # noqa: BLE001 - the frame was handled; only its answer is lost
            log.warning("reply not delivered: %s", type(exc).__name__)

    def _close(self, endpoint, connection_id):
        """Close a connection from our side and forget it (its token expired)."""
        try:
            self._pusher.disconnect(endpoint, connection_id)
        except Exception as exc:  # noqa: BLE001 - it is forgotten below either way
            log.warning("could not close a connection: %s", type(exc).__name__)
        self._connections.remove(connection_id)


def _parsed(raw):
    """(the frame, None) for a valid frame; (as much of it as was read, the DomainError) otherwise.
    Size first, then JSON (depth-limited, no duplicate keys), the action and its schema."""
    frame = {}
    try:
        if len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
            raise TooLarge(f"Frames are limited to {MAX_FRAME_BYTES} bytes.", "frame_too_large")
        frame = parse_object(raw, "A frame")
        action = frame.get("action")
        if not isinstance(action, str) or action not in FRAME_SCHEMAS:  # {"$ne": null} is no action
            raise InvalidInput(f"Unknown action {action!r}; use one of {', '.join(FRAME_SCHEMAS)}.", "unknown_action")
        return validate(FRAME_SCHEMAS[action], frame, where="frame"), None
    except DomainError as invalid:
        return frame, invalid


def _token_expired(connection):
    expires = connection.get("tokenExpiresAt")
    if expires is None:
        return False
    if expires.tzinfo is None:  # a store that hands back naive UTC datetimes
        from datetime import timezone

        expires = expires.replace(tzinfo=timezone.utc)
    return expires <= utcnow()


def _error_frame(refused):
    frame = {"type": "error", "error": {"code": refused.code, "message": refused.message}}
    retry_after = getattr(refused, "retry_after", None)
    if retry_after is not None:
        frame["error"]["retryAfter"] = retry_after
    return frame
