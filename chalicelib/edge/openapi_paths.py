"""Every route of the REST API as a row of the OpenAPI document, and the schemas it publishes
under components/schemas (COMPONENTS). A row gives each route its tag, summary, what it
takes (body, query) and answers, and the error statuses beyond those that follow from what it
takes (openapi_parts.build_operation). openapi.py assembles the document from these rows;
`tests/edge/test_openapi.py` fails when a route is missing here or a row names no route.
"""
from chalicelib.accounts.blocking import BLOCK_SCHEMA
from chalicelib.accounts.schemas import (
    CHANGE_PASSWORD_SCHEMA,
    DELETE_ACCOUNT_SCHEMA,
    EMAIL_LOOKUP_SCHEMA,
    EMPLOYEE_SCHEMA,
    FORGOT_PASSWORD_SCHEMA,
    LOGIN_RESPONSE_SCHEMA,
    LOGIN_SCHEMA,
    PEOPLE_QUERY,
    REFRESH_RESPONSE_SCHEMA,
    REFRESH_SCHEMA,
    REGISTER_SCHEMA,
    RESET_PASSWORD_SCHEMA,
    SESSION_SCHEMA,
    UPDATE_PROFILE_SCHEMA,
    USER_SCHEMA,
)
from chalicelib.core.validation import object_schema
from chalicelib.edge.openapi_parts import (
    ERROR_SCHEMA,
    NEXT_CURSOR,
    envelope,
    op,
    page,
)
from chalicelib.groups.invites import INVITE_VIEW_SCHEMA
from chalicelib.groups.schemas import (
    BAN_SCHEMA,
    CREATE_SCHEMA,
    DISCOVER_QUERY,
    INVITE_SCHEMA,
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
from chalicelib.messaging.receipts import READ_POSITION_SCHEMA
from chalicelib.messaging.reports import (
    REPORT_REQUEST_SCHEMA,
    REPORT_SCHEMA,
    REPORTS_QUERY,
    RESOLVE_REQUEST_SCHEMA,
)
from chalicelib.messaging.schemas import (
    CONVERSATIONS_QUERY,
    DIRECT_HISTORY_SCHEMA,
    DIRECT_SEND_SCHEMA,
    EDIT_SCHEMA,
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
    REACTION_SCHEMA,
    READ_STATE_SCHEMA,
)
from chalicelib.realtime.schemas import DEVICE_SCHEMA, MUTE_SCHEMA, MUTE_STATE_SCHEMA, REGISTER_DEVICE_SCHEMA

# Every schema published under components/schemas, by name. Wherever one of these very
# objects appears in an operation it becomes a $ref (see openapi_parts.with_refs).
COMPONENTS = {
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
    "ReadPosition": READ_POSITION_SCHEMA,
}


def operation_rows():
    """(path, method, operation) for every route, in the order the document lists them."""
    user = envelope(user=USER_SCHEMA)
    group = envelope(group=GROUP_SCHEMA)
    membership = envelope(membership=MEMBERSHIP_SCHEMA)
    request = envelope(request=REQUEST_SCHEMA)
    no_body = None
    return [
        # Accounts
        ("/register", "post", op("accounts", "Sign up.", public=True, body=REGISTER_SCHEMA,
                                  answers={201: user}, errors=(409,))),
        ("/employees", "post", op("accounts", "Sign up (the 1:1 chat seed's form).", public=True,
                                   body=EMPLOYEE_SCHEMA, answers={201: user}, errors=(409,))),
        ("/login", "post", op("accounts", "Log in: a bearer token and the user.", public=True, body=LOGIN_SCHEMA,
                               answers={200: LOGIN_RESPONSE_SCHEMA}, errors=(401,))),
        ("/token/refresh", "post", op(
            "accounts", "A new token pair for a refresh token, which is used up. A used one presented again ends "
            "the session (401 `refresh_token_reused`); a wrong or expired one is 401 `invalid_refresh_token`.",
            public=True, body=REFRESH_SCHEMA, answers={200: REFRESH_RESPONSE_SCHEMA}, errors=(401,))),
        ("/logout", "post", op("accounts", "End the caller's session: its tokens stop working, its sockets close.",
                                answers={204: no_body})),
        ("/logout/all", "post", op("accounts", "End every session of the caller (this one too).",
                                    answers={204: no_body})),
        ("/sessions", "get", op("accounts", "The caller's sessions (devices), most recently seen first.",
                                 answers={200: envelope(sessions={"type": "array", "items": SESSION_SCHEMA})})),
        ("/sessions/{sessionId}", "delete", op("accounts", "Sign one of your sessions out (404 for any other).",
                                                answers={204: no_body}, errors=(404,))),
        ("/me", "get", op("accounts", "The signed-in user.", answers={200: user})),
        ("/me", "patch", op("accounts", "Edit your profile (the rules of sign-up); `pushPreviews` defaults to false.",
                             body=UPDATE_PROFILE_SCHEMA, answers={200: user})),
        ("/me", "delete", op(
            "accounts", "Delete your account (password required; 409 `owns_groups` while you own a group). "
            "Your messages stay in others' history as a deleted user's.",
            body=DELETE_ACCOUNT_SCHEMA, answers={204: no_body}, errors=(403, 409))),
        ("/me/password", "post", op("accounts", "Change your password (403 `wrong_password`); other sessions end.",
                                     body=CHANGE_PASSWORD_SCHEMA, answers={204: no_body}, errors=(403,))),
        ("/password/forgot", "post", op(
            "accounts", "Email a one-time reset code (valid 15 minutes) if an account has this email; "
            "the same 202 either way.", public=True, body=FORGOT_PASSWORD_SCHEMA,
            answers={202: object_schema({"status": {"const": "accepted"}})})),
        ("/password/reset", "post", op(
            "accounts", "Set a new password with the emailed code (400 `invalid_code` if wrong, used or expired); "
            "every session ends.", public=True, body=RESET_PASSWORD_SCHEMA, answers={204: no_body})),
        ("/users/search", "get", op(
            "accounts", "People who share a group with you whose name, a word of it, or email starts with `q`.",
            query=PEOPLE_QUERY, answers={200: page("people", USER_SCHEMA)})),
        ("/users/by-email", "get", op("accounts", "Find a person by exact email (to start a 1:1 chat).",
                                       query=EMAIL_LOOKUP_SCHEMA, answers={200: user}, errors=(404,))),
        # Groups
        ("/groups/create", "post", op("groups", "Create a group; the caller becomes its owner and first member.",
                                       body=CREATE_SCHEMA, answers={201: group})),
        ("/groups", "get", op("groups", "The caller's groups, a page at a time.", query=PAGE_QUERY,
                               answers={200: page("groups", MY_GROUP_SCHEMA)})),
        ("/groups/discover", "get", op("groups", "Open groups whose name starts with `q`.", query=DISCOVER_QUERY,
                                        answers={200: page("groups", GROUP_SCHEMA)})),
        ("/groups/{groupId}", "get", op(
            "groups", "A group: in full for members (and anyone, if open); a preview for a pending requester.",
            answers={200: object_schema({"group": {"anyOf": [GROUP_SCHEMA, GROUP_PREVIEW_SCHEMA]}},
                                        {"request": REQUEST_SCHEMA})},
            errors=(403, 404))),
        ("/groups/{groupId}", "patch", op("groups", "Rename the group or change its rejoin cooldown (owner).",
                                           body=UPDATE_SCHEMA, answers={200: group}, errors=(403, 404))),
        ("/groups/{groupId}/members", "get", op("groups", "A page of members (members only).", query=PAGE_QUERY,
                                                 answers={200: page("members", MEMBER_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/requests", "get", op("groups", "A page of pending join requests (owner).",
                                                  query=PAGE_QUERY, answers={200: page("requests", REQUEST_SCHEMA)},
                                                  errors=(403, 404))),
        ("/groups/{groupId}/bans", "get", op("groups", "A page of the bans in force (owner).", query=PAGE_QUERY,
                                              answers={200: page("bans", BAN_VIEW_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/request/{userId}", "post", op(
            "groups", "Ask to join, for yourself: an open group at once (200), a private one by request (202).",
            answers={200: membership, 202: request}, errors=(403, 404, 409))),
        ("/groups/{groupId}/approve/{userId}", "post", op("groups", "Approve a pending request (owner).",
                                                           answers={200: membership}, errors=(403, 404, 409))),
        ("/groups/{groupId}/reject/{userId}", "post", op("groups", "Reject a pending request (owner).",
                                                          answers={204: no_body}, errors=(403, 404))),
        ("/groups/{groupId}/withdraw/{userId}", "post", op("groups", "Withdraw your own pending request.",
                                                            answers={204: no_body}, errors=(403, 404))),
        ("/groups/{groupId}/leave/{userId}", "post", op("groups", "Leave, for yourself (not the owner).",
                                                         answers={204: no_body}, errors=(403, 404, 409))),
        ("/groups/{groupId}/kick/{userId}", "post", op("groups", "Remove a member without banning them (owner).",
                                                        answers={204: no_body}, errors=(403, 404, 409))),
        ("/groups/{groupId}/ban/{userId}", "post", op(
            "groups", "Ban a user, for good or for `durationSeconds` (owner). The body is optional.",
            body=BAN_SCHEMA, body_required=False, answers={200: envelope(ban=BAN_VIEW_SCHEMA)},
            errors=(403, 404, 409))),
        ("/groups/{groupId}/unban/{userId}", "post", op("groups", "Lift a ban (owner).", answers={204: no_body},
                                                         errors=(403, 404))),
        ("/groups/{groupId}/transfer-owner/{ownerId}/{newOwnerId}", "post", op(
            "groups", "Hand ownership to a current member (`ownerId` is the caller and the owner).",
            answers={200: group}, errors=(403, 404, 409))),
        # Moderation and safety
        ("/groups/{groupId}/moderators/{userId}", "put", op(
            "moderation", "Make a member a moderator (owner); again is harmless.",
            answers={200: envelope(member=MEMBER_SCHEMA)}, errors=(403, 404, 409))),
        ("/groups/{groupId}/moderators/{userId}", "delete", op(
            "moderation", "Make a moderator a plain member again (owner).", answers={204: no_body},
            errors=(403, 404, 409))),
        ("/groups/{groupId}/invites", "post", op(
            "moderation", "Make an invite link (owner, moderators); the code is shown this once. The body is optional.",
            body=INVITE_SCHEMA, body_required=False, answers={201: envelope(invite=INVITE_VIEW_SCHEMA)},
            errors=(403, 404))),
        ("/groups/{groupId}/invites", "get", op(
            "moderation", "A page of the group's unexpired invites, without codes (owner, moderators).",
            query=PAGE_QUERY, answers={200: page("invites", INVITE_VIEW_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/invites/{inviteId}", "delete", op(
            "moderation", "Revoke an invite, named by its id or its code (owner, moderators).",
            answers={204: no_body}, errors=(403, 404))),
        ("/invites/{code}/accept", "post", op(
            "moderation", "Join the invite's group at once, private groups too. Banned: 403; cooling down: 429; "
            "unknown, expired or used up: 404.", answers={200: group}, errors=(403, 404))),
        ("/messages/{conversationId}/{messageId}/report", "post", op(
            "moderation", "Report a group message to the group's owner and moderators (members; once per message).",
            body=REPORT_REQUEST_SCHEMA, answers={202: envelope(report=REPORT_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/reports", "get", op(
            "moderation", "A page of reports, each with its message decrypted (owner, moderators).",
            query=REPORTS_QUERY, answers={200: page("reports", REPORT_SCHEMA)}, errors=(403, 404))),
        ("/groups/{groupId}/reports/{reportId}/resolve", "post", op(
            "moderation", "Resolve a report, with an optional note (owner, moderators). The body is optional.",
            body=RESOLVE_REQUEST_SCHEMA, body_required=False, answers={200: envelope(report=REPORT_SCHEMA)},
            errors=(403, 404))),
        ("/users/{userId}/block", "put", op(
            "moderation", "Block a person: they cannot start or send to a 1:1 chat with you (403 blocked), and "
            "typing and presence stop between you.", answers={200: envelope(block=BLOCK_SCHEMA)}, errors=(404,))),
        ("/users/{userId}/block", "delete", op("moderation", "Unblock a person (not blocked: nothing happens).",
                                                answers={204: no_body})),
        ("/users/blocked", "get", op("moderation", "A page of the people you blocked.", query=PAGE_QUERY,
                                      answers={200: page("blocked", BLOCK_SCHEMA)})),
        # Messages
        ("/messages/send", "post", op(
            "messages", "Send to a group (`groupId`) or any conversation (`conversationId`). The same "
            "`clientMessageId` again returns the first message. Text: 1 to 4,000 characters (over: 413).",
            body=SEND_SCHEMA, answers={201: envelope(message=MESSAGE_SCHEMA)}, errors=(403, 404))),
        ("/messages/{conversationId}", "get", op(
            "messages", "A page of a conversation's messages, oldest first; `before`/`after` page by `seq`. "
            "With `changedSince` (a `changeCursor` from an earlier answer): the messages edited, deleted or "
            "reacted to since, in change order, and the next `changeCursor`.",
            query=HISTORY_QUERY, answers={200: HISTORY_SCHEMA}, errors=(403, 404))),
        ("/messages/{conversationId}/{messageId}", "patch", op(
            "messages", "Edit your own message (within 24 hours of sending; not once deleted: 409). The "
            "members get `message.edited`.", body=EDIT_SCHEMA, answers={200: envelope(message=MESSAGE_SCHEMA)},
            errors=(403, 404, 409))),
        ("/messages/{conversationId}/{messageId}", "delete", op(
            "messages", "Delete a message for everyone (the sender; in a group also its owner or a moderator): "
            "a tombstone stays in its seq slot, its text and attachments are gone. Again: 204.",
            answers={204: None}, errors=(403, 404))),
        ("/messages/{conversationId}/{messageId}/reactions/{emoji}", "put", op(
            "messages", "React with one emoji (percent-encoded in the path); again changes nothing. At most 20 "
            "different emoji per message (409 too_many_reactions).",
            answers={200: envelope(message=MESSAGE_SCHEMA)}, errors=(403, 404, 409))),
        ("/messages/{conversationId}/{messageId}/reactions/{emoji}", "delete", op(
            "messages", "Take your reaction back; without one, nothing changes.", answers={204: None},
            errors=(403, 404, 409))),
        ("/messages", "put", op("messages", "Send 1:1 (the 1:1 seed); the caller must be `sender`.",
                                 body=DIRECT_SEND_SCHEMA, answers={201: DIRECT_SENT_SCHEMA}, errors=(403, 404))),
        ("/messages", "post", op("messages", "Read a 1:1 conversation by its two participants' emails.",
                                  body=DIRECT_HISTORY_SCHEMA, answers={200: DIRECT_HISTORY_RESPONSE_SCHEMA},
                                  errors=(404,))),
        ("/conversations", "get", op("messages", "The caller's conversations, most recent first, with unread counts.",
                                      query=CONVERSATIONS_QUERY,
                                      answers={200: envelope(conversations={"type": "array",
                                                                             "items": CONVERSATION_SCHEMA})})),
        ("/conversations/{conversationId}/read", "post", op(
            "messages", "Move the caller's read marker up to `seq` (never back, never past the last message).",
            body=MARK_READ_SCHEMA, answers={200: READ_STATE_SCHEMA}, errors=(403, 404))),
        ("/conversations/{conversationId}/reads", "get", op(
            "messages", "Read receipts: a page of the members' read markers (`readSeq`: read up to that message), "
            "in user id order, the caller's own included; a group lists current members only, so a page may "
            "hold fewer than `limit`. Live changes come as `read` events.", query=PAGE_QUERY,
            answers={200: page("reads", READ_POSITION_SCHEMA)}, errors=(403, 404))),
        # Attachments
        ("/attachments", "post", op(
            "attachments", "Ask to upload a file to a conversation (members): a presigned S3 POST that admits "
            "exactly `size` bytes of `contentType`; POST its `fields`, then the `file` part, to `url`. Then send "
            "a message with `attachments: [id]`.",
            body=CREATE_ATTACHMENT_SCHEMA, answers={201: UPLOAD_SCHEMA}, errors=(403, 404))),
        ("/attachments/{attachmentId}", "get", op(
            "attachments", "A presigned GET of a sent file, valid `expiresIn` seconds, for members of its "
            "conversation (404 for anyone else).",
            answers={200: DOWNLOAD_SCHEMA}, errors=(404,))),
        # Real time
        ("/realtime/ticket", "post", op(
            "realtime", "A single-use ticket for `wss://…/?ticket=`, valid for `expiresIn` seconds.",
            answers={201: object_schema({"ticket": {"type": "string"},
                                         "expiresIn": {"type": "integer", "minimum": 1}})})),
        # Mobile push
        ("/devices", "post", op(
            "push", "Register this phone's APNs or FCM token for pushes: 201 new, 200 the same token again. "
            "A token signed in to another account moves there. The token is never shown back.",
            body=REGISTER_DEVICE_SCHEMA, answers={200: envelope(device=DEVICE_SCHEMA),
                                                  201: envelope(device=DEVICE_SCHEMA)})),
        ("/devices", "get", op("push", "The caller's devices.",
                                answers={200: envelope(devices={"type": "array", "items": DEVICE_SCHEMA})})),
        ("/devices/{deviceId}", "delete", op("push", "Stop pushing to one of the caller's devices.",
                                              answers={204: no_body}, errors=(404,))),
        ("/conversations/{conversationId}/mute", "put", op(
            "push", "Mute a conversation's pushes (members), until `until` or until unmuted; mentions still push. "
            "The body is optional.", body=MUTE_SCHEMA, body_required=False, answers={200: MUTE_STATE_SCHEMA},
            errors=(403, 404))),
        ("/conversations/{conversationId}/mute", "delete", op("push", "Unmute (members).", answers={204: no_body},
                                                               errors=(403, 404))),
        # Service
        ("/health", "get", op("service", "200 once the database, queue and key service answer.", public=True,
                               answers={200: object_schema({"status": {"const": "ok"}})})),
        ("/openapi.json", "get", op("service", "This document.", public=True,
                                     answers={200: {"type": "object", "required": ["openapi", "info", "paths"]}},
                                     examples={200: {"openapi": "3.1.0", "info": {}, "paths": {}}})),
        ("/asyncapi.json", "get", op("service", "The WebSocket API's AsyncAPI 3.0 document.", public=True,
                                      answers={200: {"type": "object", "required": ["asyncapi", "info", "channels"]}},
                                      examples={200: {"asyncapi": "3.0.0", "info": {}, "channels": {}}})),
    ]
