"""The OpenAPI 3.1 document of the REST API, assembled from the very schemas the routes
validate requests with and the schemas of the views they answer with.

It is built on its first request (`document()`), never at import: every Lambda imports this
module, and only the ones asked for `/openapi.json` pay for building it.
`tests/edge/test_openapi.py` fails when a route is missing from it or it names a route that does
not exist; `tests/stack/test_api_fuzz.py` checks the running stack's answers against it.
"""
import copy
import functools
import re

from chalicelib.accounts.schemas import (
    EMAIL_LOOKUP_SCHEMA,
    EMPLOYEE_SCHEMA,
    LOGIN_RESPONSE_SCHEMA,
    LOGIN_SCHEMA,
    REGISTER_SCHEMA,
    USER_SCHEMA,
)
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema
from chalicelib.edge.web import MAX_BODY_BYTES
from chalicelib.groups.schemas import (
    BAN_SCHEMA,
    CREATE_SCHEMA,
    DISCOVER_QUERY,
    PAGE_QUERY,
    UPDATE_SCHEMA,
)
from chalicelib.groups.views import (
    BAN_VIEW_SCHEMA,
    GROUP_PREVIEW_SCHEMA,
    GROUP_SCHEMA,
    MEMBER_SCHEMA,
    MEMBERSHIP_SCHEMA,
    MY_GROUP_SCHEMA,
    REQUEST_SCHEMA,
)
from chalicelib.media.schemas import CREATE_SCHEMA as CREATE_ATTACHMENT_SCHEMA
from chalicelib.media.views import ATTACHMENT_SCHEMA, DOWNLOAD_SCHEMA, UPLOAD_SCHEMA
from chalicelib.messaging.schemas import (
    CONVERSATIONS_QUERY,
    DIRECT_HISTORY_SCHEMA,
    DIRECT_SEND_SCHEMA,
    EDIT_SCHEMA,
    EMOJI_PATH_SCHEMA,
    HISTORY_QUERY,
    MARK_READ_SCHEMA,
    SEND_SCHEMA,
)
from chalicelib.messaging.views import (
    CONVERSATION_SCHEMA,
    DIRECT_HISTORY_RESPONSE_SCHEMA,
    DIRECT_SENT_SCHEMA,
    HISTORY_SCHEMA,
    MESSAGE_SCHEMA,
    REACTION_SCHEMA,
    READ_STATE_SCHEMA,
)
from chalicelib.realtime.schemas import (
    DEVICE_SCHEMA,
    MUTE_SCHEMA,
    MUTE_STATE_SCHEMA,
    REGISTER_DEVICE_SCHEMA,
)

API_VERSION = "1.0.0"
JSON = "application/json"

ERROR_SCHEMA = object_schema({
    "error": object_schema({
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case; branch on it."},
        "message": {"type": "string", "description": "A sentence for a person."},
    })
})
_NEXT_CURSOR = {"type": ["string", "null"], "description": "Pass it as `cursor` for the next page; null on the last."}

# Every schema published under components/schemas, by name. Wherever one of these very
# objects appears in an operation it becomes a $ref (see _with_refs).
_COMPONENTS = {
    "Error": ERROR_SCHEMA,
    "User": USER_SCHEMA,
    "Login": LOGIN_RESPONSE_SCHEMA,
    "Group": GROUP_SCHEMA,
    "MyGroup": MY_GROUP_SCHEMA,
    "GroupPreview": GROUP_PREVIEW_SCHEMA,
    "Membership": MEMBERSHIP_SCHEMA,
    "Member": MEMBER_SCHEMA,
    "JoinRequest": REQUEST_SCHEMA,
    "Ban": BAN_VIEW_SCHEMA,
    "Message": MESSAGE_SCHEMA,
    "Reaction": REACTION_SCHEMA,
    "History": HISTORY_SCHEMA,
    "DirectHistory": DIRECT_HISTORY_RESPONSE_SCHEMA,
    "DirectMessageSent": DIRECT_SENT_SCHEMA,
    "Conversation": CONVERSATION_SCHEMA,
    "ReadState": READ_STATE_SCHEMA,
    "RegisterRequest": REGISTER_SCHEMA,
    "EmployeeRequest": EMPLOYEE_SCHEMA,
    "LoginRequest": LOGIN_SCHEMA,
    "CreateGroupRequest": CREATE_SCHEMA,
    "UpdateGroupRequest": UPDATE_SCHEMA,
    "BanRequest": BAN_SCHEMA,
    "SendRequest": SEND_SCHEMA,
    "DirectSendRequest": DIRECT_SEND_SCHEMA,
    "DirectHistoryRequest": DIRECT_HISTORY_SCHEMA,
    "MarkReadRequest": MARK_READ_SCHEMA,
    "Device": DEVICE_SCHEMA,
    "MuteState": MUTE_STATE_SCHEMA,
    "RegisterDeviceRequest": REGISTER_DEVICE_SCHEMA,
    "MuteRequest": MUTE_SCHEMA,
    "Attachment": ATTACHMENT_SCHEMA,
    "AttachmentUpload": UPLOAD_SCHEMA,
    "AttachmentDownload": DOWNLOAD_SCHEMA,
    "CreateAttachmentRequest": CREATE_ATTACHMENT_SCHEMA,
    "EditRequest": EDIT_SCHEMA,
}

# The error statuses, each a components/responses entry holding the one error body.
_ERRORS = {
    400: ("BadRequest", "The body, query or a path id is not valid (the message names the field)."),
    401: ("Unauthorized", "No token, or one that is malformed, tampered with or expired (or wrong credentials)."),
    403: ("Forbidden", "Signed in, but not allowed to do this."),
    404: ("NotFound", "Unknown, or hidden from the caller (a private group, someone else's conversation)."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The current state does not allow it (see the code); nothing changed."),
    413: ("TooLarge", f"The body is over {MAX_BODY_BYTES} bytes, or a message text is too long."),
    415: ("UnsupportedMediaType", "A body that is not `application/json`."),
    429: ("TooManyRequests", "Rate limited or cooling down; retry after `Retry-After` seconds."),
    503: ("Unavailable", "A dependency (database, key service, queue) is not answering; nothing was written."),
}


def document():
    """The OpenAPI document (a fresh copy; building it once per process is cached)."""
    return copy.deepcopy(_built())


def operations():
    """{(path template, method in upper case)} of every documented operation."""
    return {(path, method.upper()) for path, method, _ in _operations()}


@functools.lru_cache(maxsize=1)
def _built():
    paths = {}
    for path, method, details in _operations():
        paths.setdefault(path, {})[method] = _operation(path, **details)
    names = {id(schema): name for name, schema in _COMPONENTS.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Secure messaging API",
            "version": API_VERSION,
            "description": (
                "JSON in and out. Every error is `{\"error\": {\"code\", \"message\"}}`; a path that "
                "exists but not with the method sent answers 405, an unknown path 404. "
                "Times are ISO 8601 UTC; ids match `" + ID_SCHEMA["pattern"] + "`."
            ),
        },
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in ("accounts", "groups", "messages", "attachments", "realtime", "push",
                                             "service")],
        "paths": _with_refs(paths, names),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {name: _with_refs(schema, names, top=True) for name, schema in _COMPONENTS.items()},
            "responses": _error_responses(),
        },
    }


def _operations():
    """(path, method, operation) for every route, in the order the document lists them."""
    user = _envelope(user=USER_SCHEMA)
    group = _envelope(group=GROUP_SCHEMA)
    membership = _envelope(membership=MEMBERSHIP_SCHEMA)
    request = _envelope(request=REQUEST_SCHEMA)
    no_body = None
    return [
        # Accounts
        ("/register", "post", _op("accounts", "Sign up.", public=True, body=REGISTER_SCHEMA,
                                  answers={201: user}, errors=(409,))),
        ("/employees", "post", _op("accounts", "Sign up (the 1:1 chat seed's form).", public=True,
                                   body=EMPLOYEE_SCHEMA, answers={201: user}, errors=(409,))),
        ("/login", "post", _op("accounts", "Log in: a bearer token and the user.", public=True, body=LOGIN_SCHEMA,
                               answers={200: LOGIN_RESPONSE_SCHEMA}, errors=(401,))),
        ("/me", "get", _op("accounts", "The signed-in user.", answers={200: user})),
        ("/users/by-email", "get", _op("accounts", "Find a person by exact email (to start a 1:1 chat).",
                                       query=EMAIL_LOOKUP_SCHEMA, answers={200: user}, errors=(404,))),
        # Groups
        ("/groups/create", "post", _op("groups", "Create a group; the caller becomes its owner and first member.",
                                       body=CREATE_SCHEMA, answers={201: group})),
        ("/groups", "get", _op("groups", "The caller's groups, a page at a time.", query=PAGE_QUERY,
                               answers={200: _page("groups", MY_GROUP_SCHEMA)})),
        ("/groups/discover", "get", _op("groups", "Open groups whose name starts with `q`.", query=DISCOVER_QUERY,
                                        answers={200: _page("groups", GROUP_SCHEMA)})),
        ("/groups/{groupId}", "get", _op(
            "groups", "A group: in full for members (and anyone, if open); a preview for a pending requester.",
            answers={200: object_schema({"group": {"anyOf": [GROUP_SCHEMA, GROUP_PREVIEW_SCHEMA]}},
                                        {"request": REQUEST_SCHEMA})},
            errors=(403, 404))),
        ("/groups/{groupId}", "patch", _op("groups", "Rename the group or change its rejoin cooldown (owner).",
                                           body=UPDATE_SCHEMA, answers={200: group}, errors=(403, 404))),
        ("/groups/{groupId}/members", "get", _op("groups", "A page of members (members only).", query=PAGE_QUERY,
                                                 answers={200: _page("members", MEMBER_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/requests", "get", _op("groups", "A page of pending join requests (owner).",
                                                  query=PAGE_QUERY, answers={200: _page("requests", REQUEST_SCHEMA)},
                                                  errors=(403, 404))),
        ("/groups/{groupId}/bans", "get", _op("groups", "A page of the bans in force (owner).", query=PAGE_QUERY,
                                              answers={200: _page("bans", BAN_VIEW_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/request/{userId}", "post", _op(
            "groups", "Ask to join, for yourself: an open group at once (200), a private one by request (202).",
            answers={200: membership, 202: request}, errors=(403, 404, 409))),
        ("/groups/{groupId}/approve/{userId}", "post", _op("groups", "Approve a pending request (owner).",
                                                           answers={200: membership}, errors=(403, 404, 409))),
        ("/groups/{groupId}/reject/{userId}", "post", _op("groups", "Reject a pending request (owner).",
                                                          answers={204: no_body}, errors=(403, 404))),
        ("/groups/{groupId}/withdraw/{userId}", "post", _op("groups", "Withdraw your own pending request.",
                                                            answers={204: no_body}, errors=(403, 404))),
        ("/groups/{groupId}/leave/{userId}", "post", _op("groups", "Leave, for yourself (not the owner).",
                                                         answers={204: no_body}, errors=(403, 404, 409))),
        ("/groups/{groupId}/kick/{userId}", "post", _op("groups", "Remove a member without banning them (owner).",
                                                        answers={204: no_body}, errors=(403, 404, 409))),
        ("/groups/{groupId}/ban/{userId}", "post", _op(
            "groups", "Ban a user, for good or for `durationSeconds` (owner). The body is optional.",
            body=BAN_SCHEMA, body_required=False, answers={200: _envelope(ban=BAN_VIEW_SCHEMA)},
            errors=(403, 404, 409))),
        ("/groups/{groupId}/unban/{userId}", "post", _op("groups", "Lift a ban (owner).", answers={204: no_body},
                                                         errors=(403, 404))),
        ("/groups/{groupId}/transfer-owner/{ownerId}/{newOwnerId}", "post", _op(
            "groups", "Hand ownership to a current member (`ownerId` is the caller and the owner).",
            answers={200: group}, errors=(403, 404, 409))),
        # Messages
        ("/messages/send", "post", _op(
            "messages", "Send to a group (`groupId`) or any conversation (`conversationId`). The same "
            "`clientMessageId` again returns the first message. Text: 1 to 4,000 characters (over: 413).",
            body=SEND_SCHEMA, answers={201: _envelope(message=MESSAGE_SCHEMA)}, errors=(403, 404))),
        ("/messages/{groupId}", "get", _op(
            "messages", "A page of a conversation's messages, oldest first; `before`/`after` page by `seq`. "
            "With `changedSince` (a `changeCursor` from an earlier answer): the messages edited, deleted or "
            "reacted to since, in change order, and the next `changeCursor`.",
            query=HISTORY_QUERY, answers={200: HISTORY_SCHEMA}, errors=(403, 404))),
        ("/messages/{conversationId}/{messageId}", "patch", _op(
            "messages", "Edit your own message (within 24 hours of sending; not once deleted: 409). The "
            "members get `message.edited`.", body=EDIT_SCHEMA, answers={200: _envelope(message=MESSAGE_SCHEMA)},
            errors=(403, 404, 409))),
        ("/messages/{conversationId}/{messageId}", "delete", _op(
            "messages", "Delete a message for everyone (the sender; in a group also its owner or a moderator): "
            "a tombstone stays in its seq slot, its text and attachments are gone. Again: 204.",
            answers={204: None}, errors=(403, 404))),
        ("/messages/{conversationId}/{messageId}/reactions/{emoji}", "put", _op(
            "messages", "React with one emoji (percent-encoded in the path); again changes nothing. At most 20 "
            "different emoji per message (409 too_many_reactions).",
            answers={200: _envelope(message=MESSAGE_SCHEMA)}, errors=(403, 404, 409))),
        ("/messages/{conversationId}/{messageId}/reactions/{emoji}", "delete", _op(
            "messages", "Take your reaction back; without one, nothing changes.", answers={204: None},
            errors=(403, 404, 409))),
        ("/messages", "put", _op("messages", "Send 1:1 (the 1:1 seed); the caller must be `sender`.",
                                 body=DIRECT_SEND_SCHEMA, answers={201: DIRECT_SENT_SCHEMA}, errors=(403, 404))),
        ("/messages", "post", _op("messages", "Read a 1:1 conversation by its two participants' emails.",
                                  body=DIRECT_HISTORY_SCHEMA, answers={200: DIRECT_HISTORY_RESPONSE_SCHEMA},
                                  errors=(404,))),
        ("/conversations", "get", _op("messages", "The caller's conversations, most recent first, with unread counts.",
                                      query=CONVERSATIONS_QUERY,
                                      answers={200: _envelope(conversations={"type": "array",
                                                                             "items": CONVERSATION_SCHEMA})})),
        ("/conversations/{conversationId}/read", "post", _op(
            "messages", "Move the caller's read marker up to `seq` (never back, never past the last message).",
            body=MARK_READ_SCHEMA, answers={200: READ_STATE_SCHEMA}, errors=(403, 404))),
        # Attachments
        ("/attachments", "post", _op(
            "attachments", "Ask to upload a file to a conversation (members): a presigned S3 POST that admits "
            "exactly `size` bytes of `contentType`; POST its `fields`, then the `file` part, to `url`. Then send "
            "a message with `attachments: [id]`.",
            body=CREATE_ATTACHMENT_SCHEMA, answers={201: UPLOAD_SCHEMA}, errors=(403, 404))),
        ("/attachments/{attachmentId}", "get", _op(
            "attachments", "A presigned GET of a sent file, valid `expiresIn` seconds, for members of its "
            "conversation (404 for anyone else).",
            answers={200: DOWNLOAD_SCHEMA}, errors=(404,))),
        # Real time
        ("/realtime/ticket", "post", _op(
            "realtime", "A single-use ticket for `wss://…/?ticket=`, valid for `expiresIn` seconds.",
            answers={201: object_schema({"ticket": {"type": "string"},
                                         "expiresIn": {"type": "integer", "minimum": 1}})})),
        # Mobile push
        ("/devices", "post", _op(
            "push", "Register this phone's APNs or FCM token for pushes: 201 new, 200 the same token again. "
            "A token signed in to another account moves there. The token is never shown back.",
            body=REGISTER_DEVICE_SCHEMA, answers={200: _envelope(device=DEVICE_SCHEMA),
                                                  201: _envelope(device=DEVICE_SCHEMA)})),
        ("/devices", "get", _op("push", "The caller's devices.",
                                answers={200: _envelope(devices={"type": "array", "items": DEVICE_SCHEMA})})),
        ("/devices/{deviceId}", "delete", _op("push", "Stop pushing to one of the caller's devices.",
                                              answers={204: no_body}, errors=(404,))),
        ("/conversations/{conversationId}/mute", "put", _op(
            "push", "Mute a conversation's pushes (members), until `until` or until unmuted; mentions still push. "
            "The body is optional.", body=MUTE_SCHEMA, body_required=False, answers={200: MUTE_STATE_SCHEMA},
            errors=(403, 404))),
        ("/conversations/{conversationId}/mute", "delete", _op("push", "Unmute (members).", answers={204: no_body},
                                                               errors=(403, 404))),
        # Service
        ("/health", "get", _op("service", "200 once the database, queue and key service answer.", public=True,
                               answers={200: object_schema({"status": {"const": "ok"}})})),
        ("/openapi.json", "get", _op("service", "This document.", public=True,
                                     answers={200: {"type": "object", "required": ["openapi", "info", "paths"]}})),
    ]


def _op(tag, summary, **details):
    """The description of one operation, turned into OpenAPI by _operation."""
    return {"tag": tag, "summary": summary, **details}


def _operation(path, *, tag, summary, answers, public=False, body=None, body_required=True, query=None, errors=()):
    """One operation. Its error responses follow from what it takes: every operation may answer
    415 (a body that is not JSON), 429 (rate limits, and the gateway's throttling) and 503; an
    authenticated one 401; one with a body, query or path ids 400; one with a body 413."""
    operation = {"tags": [tag], "summary": summary}
    if public:
        operation["security"] = []
    parameters = [_path_parameter(name) for name in re.findall(r"{(\w+)}", path)]
    required_query = (query or {}).get("required", ())
    parameters += [_query_parameter(name, spec, name in required_query)
                   for name, spec in (query or {}).get("properties", {}).items()]
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": {JSON: {"schema": body}}}
    statuses = {415, 429, 503, *errors}
    if not public:
        statuses.add(401)
    if parameters or body is not None:
        statuses.add(400)
    if body is not None:
        statuses.add(413)
    responses = {str(status): _answer(status, schema) for status, schema in answers.items()}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    operation["responses"] = responses
    return operation


def _path_parameter(name):
    return {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS.get(name, ID_SCHEMA)}


_PATH_SCHEMAS = {"emoji": EMOJI_PATH_SCHEMA}


def _answer(status, schema):
    if schema is None:
        return {"description": "Done; no body."}
    return {"description": _REASONS.get(status, "OK"), "content": {JSON: {"schema": schema}}}


_REASONS = {200: "OK", 201: "Created", 202: "Accepted: waiting for the owner"}


def _query_parameter(name, spec, required):
    return {"name": name, "in": "query", "required": required, "schema": spec}


def _envelope(**fields):
    return object_schema(fields)


def _page(name, item_schema):
    return object_schema({name: {"type": "array", "items": item_schema}, "nextCursor": _NEXT_CURSOR})


def _error_responses():
    responses = {}
    for status, (name, description) in _ERRORS.items():
        response = {"description": description, "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if status == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }}
        responses[name] = response
    return responses


def _with_refs(value, names, top=False):
    """A JSON-ready copy of `value` where each component schema (found by identity) is a $ref."""
    if isinstance(value, dict):
        if not top and id(value) in names:
            return {"$ref": f"#/components/schemas/{names[id(value)]}"}
        return {key: _with_refs(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_refs(item, names) for item in value]
    return value
