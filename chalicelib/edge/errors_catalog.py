"""Every error code a client can be answered with, once: its HTTP status and what it means.

The OpenAPI document gives each error status's `error.code` the `enum` of this catalog's codes
for that status; the AsyncAPI document's `error` event takes the whole list. docs/errors.md is
rendered from it (`python -m docs.render_errors`). tests/edge/test_errors_catalog.py reads every
`raise SomeError(..., "code")` and `x-error-codes` in chalicelib with `ast`, so a new code fails
the test until it is described here, and docs/errors.md is held to the rendering.
"""

# code -> (status, or a tuple of the statuses it comes with; meaning). Grouped by status.
CATALOG = {
    # 400: the request itself is wrong; nothing changed.
    "invalid_input": (400, "A field is missing, of the wrong type, out of range or unknown (the message names it)."),
    "invalid_json": (400, "The body (or socket frame) is not a JSON object."),
    "invalid_id": (400, "A group or user id in the path is not a well-formed id."),
    "invalid_cursor": (400, "`cursor` is not a cursor: pass back a page's `nextCursor`."),
    "invalid_name": (400, "A name without a visible character, or with control or invisible characters."),
    "invalid_email": (400, "An email address that is not one (also with invisible or control characters)."),
    "empty_text": (400, "Message text that is empty or only whitespace."),
    "missing_conversation": (400, "`/messages/send` needs exactly one of `groupId` and `conversationId`."),
    "self_conversation": (400, "A 1:1 conversation needs two different people."),
    "invalid_timestamp": (400, "`message.timestamp` is not an RFC 3339 date-time."),
    "nothing_to_change": (400, "A PATCH with no field to change."),
    "unknown_action": (400, "A socket frame whose `action` is not one of the documented frames."),
    "unsupported_type": (400, "An attachment's content type is not one of the allowed ones."),
    "invalid_size": (400, "An attachment's size is zero or over the limit."),
    "too_many_attachments": (400, "A message names more attachments than allowed."),
    "duplicate_attachment": (400, "A message names the same attachment twice."),
    "unknown_attachment": (400, "A message names an attachment that does not exist."),
    "attachment_mismatch": (400, "The attachment belongs to another sender or conversation."),
    "attachment_not_uploaded": (400, "The attachment's upload has not finished."),
    "attachment_expired": (400, "The attachment's upload window passed."),
    "attachment_already_sent": (400, "The attachment is already on another message."),
    "attachments_unavailable": (400, "Attachments are not available here."),
    "invalid_reply_to": (400, "`replyTo` names no message of this conversation, or one that was deleted."),
    "invalid_mentions": (400, "`mentions` names someone who is not a member of the conversation."),
    "too_many_mentions": (400, "A message mentions more people than allowed."),
    "invalid_emoji": (400, "A reaction that is not a single emoji."),
    "invalid_until": (400, "A mute's `until` that is not an RFC 3339 date-time."),
    "empty_reason": (400, "A report's reason that is empty after trimming."),
    "not_a_group": (400, "Reports go to a group's moderators; a 1:1 chat has none (block the person instead)."),
    "self_block": (400, "You cannot block yourself."),
    "invalid_query": (400, "A people search `q` without a letter or digit."),
    "invalid_code": (400, "A password-reset code that is wrong, used or expired: ask for a new one."),
    "platform_not_configured": (400, "Push to this platform (APNs or FCM) is not set up on this server."),
    "request_rejected": ((400, 403), "API Gateway refused the request before the app saw it (deployed stages)."),
    # 401: who is calling is unknown.
    "not_authenticated": (401, "Not signed in."),
    "missing_token": (401, "No bearer token (REST), or no `token`/`ticket` (socket connect)."),
    "invalid_token": (401, "The token is malformed, tampered with, for another audience, or its account is gone."),
    "token_expired": (401, "The access token has expired: get a new pair from POST /token/refresh (or log in again)."),
    "invalid_credentials": (401, "Wrong email or password (the same answer for both)."),
    "invalid_ticket": (401, "The socket ticket is unknown, used or expired."),
    "unknown_connection": (401, "A frame on a socket connection the server no longer knows: reconnect."),
    "invalid_refresh_token": (401, "The refresh token is unknown or expired: log in again."),
    "refresh_token_reused": (401, "A used refresh token again: the session has ended in case it was stolen."),
    "session_ended": (401, "The token's session has ended (logout, password change, deletion): log in again."),
    # 403: known, but not allowed.
    "forbidden": (403, "Not allowed."),
    "not_owner": (403, "Only the group's owner may do this."),
    "not_a_member": ((403, 404), "Only members of the group may do this (404: leaving a group you are not in)."),
    "not_a_participant": (403, "Only participants of the conversation may do this."),
    "not_the_sender": (403, "A 1:1 message's `sender` must be the caller."),
    "user_mismatch": (403, "A path `userId` (or `ownerId`) that must be the caller is someone else."),
    "banned": ((403, 409), "Banned from the group (403 to the banned user; 409 when approving a banned user)."),
    "not_allowed": (403, "Only the sender, or the group's owner or a moderator, may delete this message."),
    "target_is_moderator": (403, "Moderators cannot act on the owner or another moderator."),
    "blocked": (403, "The other person blocked you: you cannot start or send to a 1:1 with them."),
    "wrong_password": (403, "The password given to confirm is wrong."),
    # 404: unknown, or hidden from the caller.
    "not_found": (404, "No such route, or no such thing."),
    "group_not_found": (404, "No such group, or a private group the caller is not in."),
    "conversation_not_found": (404, "No such conversation, or one the caller is not in."),
    "user_not_found": (404, "No user with that email or id."),
    "member_not_found": (404, "The new owner must already be a member."),
    "request_not_found": (404, "No pending join request from that user."),
    "attachment_not_found": (404, "No such attachment, or one in a conversation the caller is not in."),
    "ban_not_found": (404, "That user is not banned from the group."),
    "message_not_found": (404, "No such message in the conversation, or one the caller cannot read."),
    "session_not_found": (404, "The caller has no session with that id."),
    "device_not_found": (404, "The caller has no device with that id."),
    "invite_not_found": (404, "The invite link is unknown, revoked, expired or used up (one answer for all)."),
    "report_not_found": (404, "No such report in the group."),
    # 405, 415: the framework's own refusals.
    "method_not_allowed": (405, "The path exists, but not with this method."),
    "unsupported_media_type": (415, "A body whose Content-Type is not `application/json`."),
    # 409: the current state does not allow it.
    "conflict": (409, "The current state does not allow it."),
    "email_taken": (409, "An account with that email exists."),
    "already_owner": (409, "The new owner already owns the group."),
    "owner_cannot_leave": (409, "The owner must transfer ownership before leaving."),
    "target_is_owner": (409, "The owner cannot be kicked or banned."),
    "ownership_changed": (409, "Ownership changed meanwhile; read the group again."),
    "ownership_changing": (409, "An ownership transfer is under way; try again shortly."),
    "concurrent_change": (409, "The membership changed while this request ran; try again."),
    "edit_window_closed": (409, "Messages can be edited only within 24 hours of sending."),
    "message_deleted": (409, "The message was deleted: it takes no edits or reactions."),
    "too_many_reactions": (409, "The message has as many different reactions as it may take."),
    "owns_groups": (409, "Delete your account once you own no group (transfer ownership first)."),
    # 413: too large.
    "too_large": (413, "The request is too large (the gateway's limit)."),
    "body_too_large": (413, "The body is over 64 KiB."),
    "text_too_large": (413, "Message text over 4,000 characters."),
    "frame_too_large": (413, "A socket frame over 16 KiB."),
    # 429: slow down; `Retry-After` says for how long.
    "rate_limited": (429, "Too many requests of this kind; retry after `Retry-After` seconds."),
    "rejoin_cooldown": (429, "Rejoining the group is cooling down; retry after `Retry-After` seconds."),
    # 503: a dependency did not answer; nothing was written (retry).
    "service_unavailable": (503, "A dependency (database, queue, key service) is not answering."),
    "service_misconfigured": (503, "The deployed stage is missing a setting (operators: see the logs)."),
    "dependency_down": (503, "`GET /health`: the database, queue or key service does not answer."),
    "key_service_unavailable": (503, "The key service (KMS) is not answering."),
    "conversation_busy": (503, "The conversation is too busy right now; retry."),
    "delivery_unavailable": (503, "The message was stored but not delivered live; send it again with the same "
                                  "`clientMessageId`."),
    "storage_unavailable": (503, "File storage (S3) is not answering."),
    "transfer_timed_out": (503, "An ownership transfer took too long and was undone; retry."),
    "device_busy": (503, "The device could not be registered just now; retry."),
    # 500 is a bug, never an answer to anything a client sends; only the socket names it.
    "internal_error": (500, "A bug on our side (never the client's input); retry."),
}

# Each error status: its components/responses name and what it means.
STATUSES = {
    400: ("BadRequest", "The body, query or a path id is not valid (the message names the field)."),
    401: ("Unauthorized", "No token, or one that is malformed, tampered with or expired (`token_expired`: refresh), "
                          "or whose session has ended (`session_ended`); or wrong credentials."),
    403: ("Forbidden", "Signed in, but not allowed to do this."),
    404: ("NotFound", "Unknown, or hidden from the caller (a private group, someone else's conversation)."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The current state does not allow it (see the code); nothing changed."),
    413: ("TooLarge", "The body is over 64 KiB, or a message text is too long."),
    415: ("UnsupportedMediaType", "A body that is not `application/json`."),
    429: ("TooManyRequests", "Rate limited or cooling down; retry after `Retry-After` seconds."),
    503: ("Unavailable", "A dependency (database, key service, queue) is not answering; nothing was written."),
}


def statuses_of(code):
    """The statuses `code` comes with."""
    status = CATALOG[code][0]
    return status if isinstance(status, tuple) else (status,)


def codes_for(status):
    """The codes an error of `status` may carry, in catalog order."""
    return [code for code in CATALOG if status in statuses_of(code)]


def render_markdown():
    """docs/errors.md: the catalog as a page."""
    lines = [
        "# Error codes",
        "",
        "Every error is `{\"error\": {\"code\": \"<code>\", \"message\": \"<sentence>\"}}` (a socket's",
        "`error` event carries the same object). Branch on `code`; show `message` to a person.",
        "The OpenAPI document (`GET /openapi.json`) lists each status's codes as an `enum`, the",
        "AsyncAPI document (`GET /asyncapi.json`) the `error` event's.",
        "",
        "Generated from `chalicelib/edge/errors_catalog.py` by `python -m docs.render_errors`; a test",
        "fails when this page is not current.",
        "",
        "| Code | Status | Meaning |",
        "| --- | --- | --- |",
    ]
    for code, (_, meaning) in sorted(CATALOG.items(), key=lambda item: (statuses_of(item[0]), item[0])):
        status = ", ".join(str(one) for one in statuses_of(code))
        lines.append(f"| `{code}` | {status} | {meaning} |")
    return "\n".join(lines) + "\n"
