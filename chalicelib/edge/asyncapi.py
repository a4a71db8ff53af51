"""The AsyncAPI 3.0 document of the WebSocket API (GET /asyncapi.json).

Client frames are published with the very schemas `chalicelib/realtime/sockets.py` validates
them with (FRAME_SCHEMAS); server events with the schemas below, built from the view schemas
their payloads come from (MESSAGE_SCHEMA, GROUP_SCHEMA). Built on first request, never at
import. tests/edge/test_asyncapi.py parses it with the AsyncAPI parser (@asyncapi/parser) and
reads the code with `ast`: a frame or event type the code sends that is not in EVENTS (or the
other way round) fails it.
"""
import copy
import functools

from chalicelib.core.clock import OPTIONAL_TIME_SCHEMA, TIME_SCHEMA
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema
from chalicelib.edge.errors_catalog import CATALOG
from chalicelib.edge.examples import shown
from chalicelib.groups.views import GROUP_SCHEMA
from chalicelib.messaging.reports import REPORT_SCHEMA
from chalicelib.messaging.views import MESSAGE_SCHEMA
from chalicelib.realtime.sockets import FRAME_SCHEMAS, TYPING_EXPIRES_SECONDS

API_VERSION = "1.0.0"
CHANNEL = "socket"
_TYPE = "type"
_ECHOED = {
    "requestId": {"type": "string", "description": "The frame's `requestId`, echoed."},
    "clientMessageId": {"type": "string", "description": "The frame's `clientMessageId`, echoed."},
}


def _event(event_type, required, optional=None, echoes=False):
    """An event's payload: `type` and exactly these fields (a reply also echoes the frame's ids)."""
    return object_schema({_TYPE: {"const": event_type}, **required}, {**(optional or {}), **(_ECHOED if echoes else {})})


def _group_event(event_type, optional=None, **details):
    """A membership event (chalicelib/groups/announcements.py): `groupId`, `at` and its details."""
    return _event(event_type, {"groupId": ID_SCHEMA, "at": TIME_SCHEMA, **details}, optional)


def _change_event(event_type, **details):
    """A message lifecycle event (chalicelib/messaging/lifecycle.py): the message's new view,
    whose `version` orders it against other views of the message, and who made the change."""
    return _event(event_type, {"conversationId": ID_SCHEMA, "message": MESSAGE_SCHEMA, "actorId": ID_SCHEMA,
                               **details})


_USER = {"userId": ID_SCHEMA}
_ERROR = object_schema(
    {"code": {"type": "string", "enum": list(CATALOG), "description": "docs/errors.md"},
     "message": {"type": "string"}},
    {"retryAfter": {"type": "integer", "minimum": 1, "description": "Seconds, when rate limited."}},
)

# Every event the server sends: type -> (summary, payload schema, the frames it answers).
EVENTS = {
    "message": ("A new message in one of your conversations (sent over REST or the socket, by anyone).",
                _event("message", {"message": MESSAGE_SCHEMA}), ()),
    "typing": ("Someone else in the conversation is typing; it ends with their message or after expiresInSeconds.",
               _event("typing", {"conversationId": ID_SCHEMA, "userId": ID_SCHEMA, "isTyping": {"type": "boolean"},
                                 "expiresInSeconds": {"const": TYPING_EXPIRES_SECONDS}}), ()),
    "read": ("A member's read marker moved; also the reply to your own markRead.",
             _event("read", {"conversationId": ID_SCHEMA, "userId": ID_SCHEMA, "seq": {"type": "integer", "minimum": 0}},
                    echoes=True), ("markRead",)),
    "presence": ("Who of the conversation's members is online (the reply to presence).",
                 _event("presence", {"conversationId": ID_SCHEMA,
                                     "online": {"type": "object", "additionalProperties": {"type": "boolean"},
                                                "description": "userId -> online"}}, echoes=True), ("presence",)),
    "ack": ("Your sendMessage was stored: the message as everyone gets it.",
            _event("ack", {"message": MESSAGE_SCHEMA}, echoes=True), ("sendMessage",)),
    "pong": ("The reply to ping.", _event("pong", {"at": TIME_SCHEMA}, echoes=True), ("ping",)),
    "error": ("A frame was refused; the connection stays open.", _event("error", {"error": _ERROR}, echoes=True),
              tuple(FRAME_SCHEMAS)),
    "group.updated": ("The group was renamed or its settings changed.", _group_event("group.updated", group=GROUP_SCHEMA),
                      ()),
    "member.joined": ("Someone joined the group (`inviteId`: through that invite link).",
                      _group_event("member.joined", {"inviteId": ID_SCHEMA}, **_USER), ()),
    "member.left": ("Someone left the group.", _group_event("member.left", **_USER), ()),
    "member.kicked": ("The owner removed a member.", _group_event("member.kicked", **_USER, by=ID_SCHEMA), ()),
    "member.banned": ("The owner banned someone (`until` null: for good).",
                      _group_event("member.banned", **_USER, until=OPTIONAL_TIME_SCHEMA), ()),
    "member.unbanned": ("A ban was lifted.", _group_event("member.unbanned", **_USER), ()),
    "request.created": ("A join request (to the owner and the requester).", _group_event("request.created", **_USER), ()),
    "request.decided": ("The owner approved or rejected a request.",
                        _group_event("request.decided", **_USER, decision={"enum": ["approved", "rejected"]}), ()),
    "request.withdrawn": ("The requester withdrew their request.", _group_event("request.withdrawn", **_USER), ()),
    "owner.changed": ("Ownership moved to another member.",
                      _group_event("owner.changed", previousOwnerId=ID_SCHEMA, ownerId=ID_SCHEMA), ()),
    "member.role_changed": ("The owner made a member a moderator, or a moderator a member again.",
                            _group_event("member.role_changed", **_USER, role={"enum": ["moderator", "member"]},
                                         by=ID_SCHEMA), ()),
    "invite.used": ("Someone joined through an invite link (to the owner and moderators).",
                    _group_event("invite.used", **_USER, inviteId=ID_SCHEMA, uses={"type": "integer", "minimum": 1},
                                 maxUses={"type": ["integer", "null"], "minimum": 1}), ()),
    "report.created": ("A member reported a message (to the owner and moderators).",
                       _group_event("report.created", report=REPORT_SCHEMA), ()),
    "report.resolved": ("A report was resolved (to the owner and moderators).",
                        _group_event("report.resolved", report=REPORT_SCHEMA), ()),
    "message.edited": ("Its sender edited a message.", _change_event("message.edited"), ()),
    "message.deleted": ("A message was deleted: the view is its tombstone.", _change_event("message.deleted"), ()),
    "reaction.changed": ("Someone added or took back a reaction; the view has the new counts.",
                         _change_event("reaction.changed", reaction=object_schema(
                             {"emoji": {"type": "string"}, "userId": ID_SCHEMA, "reacted": {"type": "boolean"}})), ()),
}
_FRAME_SUMMARIES = {
    "sendMessage": "Send a message (answered with ack, or error).",
    "typing": "Tell the others you are typing (no answer unless refused).",
    "markRead": "Move your read marker up to `seq` (answered with read).",
    "presence": "Ask who of a conversation is online (answered with presence).",
    "ping": "Keep the connection alive (answered with pong).",
}


def document():
    """The AsyncAPI document (a fresh copy; built once per process)."""
    return copy.deepcopy(_built())


def frame_key(action):
    return f"frame.{action}"


def event_key(event_type):
    return f"event.{event_type}"


@functools.lru_cache(maxsize=1)
def _built():
    messages = {frame_key(action): _message(action, _FRAME_SUMMARIES.get(action, action), schema)
                for action, schema in FRAME_SCHEMAS.items()}
    messages.update({event_key(kind): _message(kind, summary, schema) for kind, (summary, schema, _) in EVENTS.items()})
    refs = {key: {"$ref": f"#/components/messages/{key}"} for key in messages}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Secure messaging WebSocket API",
            "version": API_VERSION,
            "description": (
                "One socket per device. Connect with `?ticket=` (single use, from POST /realtime/ticket: keeps the "
                "long-lived token out of URLs and logs) or `?token=`; a missing or bad one refuses the upgrade "
                "with 401. Frames are JSON objects with an `action`; events JSON objects with a `type`. "
                "Delivery is at least once: de-duplicate by `message.id`, order by `seq`, and after a reconnect "
                "catch up with GET /messages/{conversationId}?after=<last seq> (docs/realtime.md)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:8001", "protocol": "ws", "description": "`make run` (`WS_PORT` moves it).",
                      "security": _security()},
            "deployed": {
                "host": "{apiId}.execute-api.{region}.amazonaws.com", "pathname": "/{stage}", "protocol": "wss",
                "description": "A deployed stage's WebSocket API (docs/deploy.md).",
                "variables": {"apiId": {"default": "abcdef1234"}, "region": {"default": "us-east-1"},
                              "stage": {"default": "api"}},
                "security": _security(),
            },
        },
        "channels": {CHANNEL: {
            "address": "/",
            "title": "The socket",
            "description": "Everything goes over this one connection.",
            "messages": refs,
            "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0", "query": {
                "type": "object",
                "properties": {
                    "ticket": {"type": "string", "description": "From POST /realtime/ticket (valid once, 30 s)."},
                    "token": {"type": "string", "description": "The bearer token from POST /login."},
                },
            }}},
        }},
        "operations": _operations(),
        "components": {
            "messages": messages,
            "securitySchemes": {
                "ticket": {"type": "httpApiKey", "name": "ticket", "in": "query",
                           "description": "A single-use ticket from POST /realtime/ticket."},
                "token": {"type": "httpApiKey", "name": "token", "in": "query",
                          "description": "The bearer token from POST /login (prefer a ticket)."},
            },
        },
    }


def _security():
    return [{"$ref": "#/components/securitySchemes/ticket"}, {"$ref": "#/components/securitySchemes/token"}]


def _message(name, summary, schema):
    return {"name": name, "title": name, "summary": summary, "contentType": "application/json",
            "payload": schema, "examples": [{"name": name, **shown(schema, "payload")}]}


def _operations():
    """One send operation per frame (with its replies), one receive operation per event."""
    channel = {"$ref": f"#/channels/{CHANNEL}"}
    operations = {}
    for action in FRAME_SCHEMAS:
        replies = [kind for kind, (_, _, answers) in EVENTS.items() if action in answers]
        operation = {"action": "send", "channel": channel, "summary": _FRAME_SUMMARIES.get(action, action),
                     "messages": [_channel_message(frame_key(action))]}
        if replies:
            operation["reply"] = {"channel": channel, "messages": [_channel_message(event_key(kind)) for kind in replies]}
        operations[f"send_{action}"] = operation
    for kind, (summary, _, _) in EVENTS.items():
        operations[f"receive_{kind.replace('.', '_')}"] = {
            "action": "receive", "channel": channel, "summary": summary, "messages": [_channel_message(event_key(kind))]}
    return operations


def _channel_message(key):
    return {"$ref": f"#/channels/{CHANNEL}/messages/{key}"}
