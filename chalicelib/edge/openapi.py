"""The OpenAPI 3.1 document of the REST API, assembled from the very schemas the routes
validate requests with and the schemas of the views they answer with.

It is built on its first request (`document()`), never at import: every Lambda imports this
module, and only the ones asked for `/openapi.json` pay for building it. What every operation
shares comes from openapi_parts.py (servers, paging parameters, error bodies), errors_catalog.py
(every error code) and examples.py (an example from each schema); the rows, one per route, from
openapi_paths.py: a row added there gets its operationId (from its view function), examples and
error enums by itself.
`tests/edge/test_openapi.py` fails when a route is missing from it or it names a route that does
not exist; `tests/stack/test_api_fuzz.py` runs schemathesis with every check against it.
"""
import copy
import functools
import importlib

from chalicelib.accounts.blocking import BLOCK_SCHEMA
from chalicelib.accounts.schemas import (
    CHANGE_PASSWORD_SCHEMA,
    DELETE_ACCOUNT_SCHEMA,
    EMPLOYEE_SCHEMA,
    FORGOT_PASSWORD_SCHEMA,
    LOGIN_RESPONSE_SCHEMA,
    LOGIN_SCHEMA,
    REFRESH_RESPONSE_SCHEMA,
    REFRESH_SCHEMA,
    REGISTER_SCHEMA,
    RESET_PASSWORD_SCHEMA,
    SESSION_SCHEMA,
    UPDATE_PROFILE_SCHEMA,
    USER_SCHEMA,
)
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.edge.openapi_parts import (
    ERROR_SCHEMA,
    NEXT_CURSOR,
    SERVERS,
    build_operation,
    catalog_schemas,
    error_responses,
    paging_parameters,
    with_refs,
)
from chalicelib.edge.openapi_paths import operation_rows
from chalicelib.groups.invites import INVITE_VIEW_SCHEMA
from chalicelib.groups.schemas import (
    BAN_SCHEMA,
    CREATE_SCHEMA,
    INVITE_SCHEMA,
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
from chalicelib.messaging.reports import (
    REPORT_REQUEST_SCHEMA,
    REPORT_SCHEMA,
    RESOLVE_REQUEST_SCHEMA,
)
from chalicelib.messaging.schemas import (
    DIRECT_HISTORY_SCHEMA,
    DIRECT_SEND_SCHEMA,
    EDIT_SCHEMA,
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

# Every schema published under components/schemas, by name. Wherever one of these very
# objects appears in an operation it becomes a $ref (see _with_refs).
_COMPONENTS = {
    "Error": ERROR_SCHEMA,
    "NextCursor": NEXT_CURSOR,
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
    "TokenPair": REFRESH_RESPONSE_SCHEMA,
    "Session": SESSION_SCHEMA,
    "RefreshRequest": REFRESH_SCHEMA,
    "ChangePasswordRequest": CHANGE_PASSWORD_SCHEMA,
    "ForgotPasswordRequest": FORGOT_PASSWORD_SCHEMA,
    "ResetPasswordRequest": RESET_PASSWORD_SCHEMA,
    "UpdateProfileRequest": UPDATE_PROFILE_SCHEMA,
    "DeleteAccountRequest": DELETE_ACCOUNT_SCHEMA,
    "Reaction": REACTION_SCHEMA,
    "EditRequest": EDIT_SCHEMA,
    "Device": DEVICE_SCHEMA,
    "MuteState": MUTE_STATE_SCHEMA,
    "RegisterDeviceRequest": REGISTER_DEVICE_SCHEMA,
    "MuteRequest": MUTE_SCHEMA,
    "Invite": INVITE_VIEW_SCHEMA,
    "InviteRequest": INVITE_SCHEMA,
    "Report": REPORT_SCHEMA,
    "ReportRequest": REPORT_REQUEST_SCHEMA,
    "ResolveReportRequest": RESOLVE_REQUEST_SCHEMA,
    "Block": BLOCK_SCHEMA,
}
_TAGS = {
    "accounts": "Sign-up, login, sessions and refresh tokens, passwords, the signed-in user, people search.",
    "groups": "Open and private groups: joining, bans, ownership.",
    "moderation": "Moderators, invite links, reports and blocks.",
    "messages": "Sending, reading, editing, deleting and reacting to messages; conversations and read markers.",
    "attachments": "Files in conversations: presigned uploads to S3 and downloads.",
    "push": "Mobile push: devices (APNs, FCM through SNS) and muted conversations.",
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
    return {(path, method.upper()) for path, method, _ in operation_rows()}


def operation_id(view_name):
    """The operationId of a view function: its name in camelCase (`send_message` -> `sendMessage`)."""
    first, *rest = view_name.split(".")[-1].split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


@functools.lru_cache(maxsize=2)
def _built(views):
    view_of = {(path, method.lower()): view for path, method, view in views}
    paths = {}
    for path, method, details in operation_rows():
        operation = build_operation(path, **details)
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
        "paths": with_refs(paths, names),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`token` from POST /login, as `Authorization: Bearer <token>`.",
            }},
            "schemas": {**{name: with_refs(schema, names, top=True) for name, schema in _COMPONENTS.items()},
                        **catalog_schemas()},
            "parameters": paging_parameters(),
            "responses": error_responses(),
        },
    }
