"""The OpenAPI 3.1 document of the REST API, assembled from the very schemas the routes
validate requests with and the schemas of the views they answer with.

It is built on its first request (`document()`), never at import: every Lambda imports this
module, and only the ones asked for `/openapi.json` pay for building it. What every operation
shares comes from openapi_parts.py (servers, paging parameters, error bodies), errors_catalog.py
(every error code) and examples.py (an example from each schema): a row added to the table
below gets its operationId (from its view function), examples and error enums by itself.
`tests/edge/test_openapi.py` fails when a route is missing from it or it names a route that does
not exist; `tests/stack/test_api_fuzz.py` runs schemathesis with every check against it.
"""
import copy
import functools
import importlib
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
from chalicelib.edge.errors_catalog import STATUSES
from chalicelib.edge.examples import shown
from chalicelib.edge.openapi_parts import (
    SERVERS,
    catalog_schemas,
    error_responses,
    paging_parameters,
    shared_parameter,
)
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
    HISTORY_QUERY,
    MARK_READ_SCHEMA,
    SEND_SCHEMA,
    SEND_TO_CONVERSATION_SCHEMA,
    SEND_TO_GROUP_SCHEMA,
)
from chalicelib.messaging.views import (
    CONVERSATION_SCHEMA,
    DIRECT_HISTORY_RESPONSE_SCHEMA,
    DIRECT_SENT_SCHEMA,
    HISTORY_SCHEMA,
    MESSAGE_SCHEMA,
    READ_STATE_SCHEMA,
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
    "NextCursor": _NEXT_CURSOR,
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
    "SendToGroupRequest": SEND_TO_GROUP_SCHEMA,
    "SendToConversationRequest": SEND_TO_CONVERSATION_SCHEMA,
    "DirectSendRequest": DIRECT_SEND_SCHEMA,
    "DirectHistoryRequest": DIRECT_HISTORY_SCHEMA,
    "MarkReadRequest": MARK_READ_SCHEMA,
    "Attachment": ATTACHMENT_SCHEMA,
    "AttachmentUpload": UPLOAD_SCHEMA,
    "AttachmentDownload": DOWNLOAD_SCHEMA,
    "CreateAttachmentRequest": CREATE_ATTACHMENT_SCHEMA,
}
_TAGS = {
    "accounts": "Sign-up, login and the signed-in user.",
    "groups": "Open and private groups: joining, moderation, ownership.",
    "messages": "Sending and reading messages; conversations and read markers.",
    "attachments": "Files in conversations: presigned uploads to S3 and downloads.",
    "realtime": "The WebSocket API's REST helpers (its frames and events: GET /asyncapi.json).",
    "service": "Health and the API's own documents.",
}


def document(routes=None):
    """The OpenAPI document (a fresh copy; built once per process). `routes` is the Chalice
    app's route table (`app.routes`; by default the app's own, already imported wherever this
    runs): each operation's operationId is its view function's name in camelCase."""
    if routes is None:
        routes = importlib.import_module("app").app.routes
    views = tuple(sorted((path, method, entry.view_name) for path, methods in routes.items()
                         for method, entry in methods.items()))
    return copy.deepcopy(_built(views))


def operations():
    """{(path template, method in upper case)} of every documented operation."""
    return {(path, method.upper()) for path, method, _ in _operations()}


def operation_id(view_name):
    """The operationId of a view function: its name in camelCase (`send_message` -> `sendMessage`)."""
    first, *rest = view_name.split(".")[-1].split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


@functools.lru_cache(maxsize=2)
def _built(views):
    view_of = {(path, method.lower()): view for path, method, view in views}
    paths = {}
    for path, method, details in _operations():
        operation = _operation(path, **details)
        if (path, method) in view_of:
            operation = {"operationId": operation_id(view_of[path, method]), **operation}
        paths.setdefault(path, {})[method] = operation
    names = {id(schema): name for name, schema in _COMPONENTS.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Secure messaging API",
            "version": API_VERSION,
            "description": (
                "JSON in and out. Every error is `{\"error\": {\"code\", \"message\"}}`, its `code` one of the "
                "catalog's (docs/errors.md; each status's codes are an `enum` here); a path that exists but not "
                "with the method sent answers 405, an unknown path 404. Times are ISO 8601 UTC; ids match `"
                + ID_SCHEMA["pattern"] + "`. Lists come a page at a time: `limit` (the `Limit` parameter) and "
                "`cursor` (`Cursor`: pass back the page's `nextCursor`, null on the last page); message history "
                "pages by `seq` instead (`before`, `after`). The WebSocket API is described by GET /asyncapi.json."
            ),
        },
        "servers": SERVERS,
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name, "description": text} for name, text in _TAGS.items()],
        "paths": _with_refs(paths, names),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`token` from POST /login, as `Authorization: Bearer <token>`.",
            }},
            "schemas": {**{name: _with_refs(schema, names, top=True) for name, schema in _COMPONENTS.items()},
                        **catalog_schemas()},
            "parameters": paging_parameters(),
            "responses": error_responses(),
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
            "messages", "A page of a conversation's messages, oldest first; `before`/`after` page by `seq`.",
            query=HISTORY_QUERY, answers={200: HISTORY_SCHEMA}, errors=(403, 404))),
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
        # Service
        ("/health", "get", _op("service", "200 once the database, queue and key service answer.", public=True,
                               answers={200: object_schema({"status": {"const": "ok"}})})),
        ("/openapi.json", "get", _op("service", "This document.", public=True,
                                     answers={200: {"type": "object", "required": ["openapi", "info", "paths"]}},
                                     examples={200: {"openapi": "3.1.0", "info": {}, "paths": {}}})),
        ("/asyncapi.json", "get", _op("service", "The WebSocket API's AsyncAPI 3.0 document.", public=True,
                                      answers={200: {"type": "object", "required": ["asyncapi", "info", "channels"]}},
                                      examples={200: {"asyncapi": "3.0.0", "info": {}, "channels": {}}})),
    ]


def _op(tag, summary, **details):
    """The description of one operation, turned into OpenAPI by _operation."""
    return {"tag": tag, "summary": summary, **details}


def _operation(path, *, tag, summary, answers, public=False, body=None, body_required=True, query=None, errors=(),
               examples=None):
    """One operation. Its error responses follow from what it takes: every operation may answer
    415 (a body that is not JSON), 429 (rate limits, and the gateway's throttling) and 503; an
    authenticated one 401; one with a body, query or path ids 400; one with a body 413.
    Examples are generated from the schemas; `examples` ({"body" or a status: value}) overrides."""
    examples = examples or {}
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
        operation["requestBody"] = {"required": body_required, "content": {JSON: {
            "schema": body, **({"example": examples["body"]} if "body" in examples else shown(body))}}}
    statuses = {415, 429, 503, *errors}
    if not public:
        statuses.add(401)
    if parameters or body is not None:
        statuses.add(400)
    if body is not None:
        statuses.add(413)
    responses = {str(status): _answer(status, schema, examples) for status, schema in answers.items()}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{STATUSES[status][0]}"}
    operation["responses"] = responses
    return operation


def _path_parameter(name):
    return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA, **shown(ID_SCHEMA)}


def _answer(status, schema, examples):
    if schema is None:
        return {"description": "Done; no body."}
    given = {"example": examples[status]} if status in examples else shown(schema)
    return {"description": _REASONS.get(status, "OK"), "content": {JSON: {"schema": schema, **given}}}


_REASONS = {200: "OK", 201: "Created", 202: "Accepted: waiting for the owner"}


def _query_parameter(name, spec, required):
    shared = shared_parameter(name, spec)
    if shared:
        return shared
    return {"name": name, "in": "query", "required": required, "schema": spec, **shown(spec)}


def _envelope(**fields):
    return object_schema(fields)


def _page(name, item_schema):
    return object_schema({name: {"type": "array", "items": item_schema}, "nextCursor": _NEXT_CURSOR})


def _with_refs(value, names, top=False):
    """A JSON-ready copy of `value` where each component schema (found by identity) is a $ref.
    A boolean `const` is spelled `{"type": "boolean", "enum": [...]}` (the same schema): client
    generators (openapi-python-client) mishandle boolean consts."""
    if isinstance(value, dict):
        if not top and id(value) in names:
            return {"$ref": f"#/components/schemas/{names[id(value)]}"}
        if isinstance(value.get("const"), bool):
            value = {"type": "boolean", **{k: v for k, v in value.items() if k != "const"}, "enum": [value["const"]]}
        return {key: _with_refs(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_refs(item, names) for item in value]
    return value
