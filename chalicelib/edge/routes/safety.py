"""Moderation and safety: moderators, invite links, reports and blocks (docs/groups.md,
docs/security.md). Each handler authenticates (401), checks its path ids (400; an unknown
message or invite code is 404), its body or query (400), and calls one use case."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import is_id
from chalicelib.core.validation import DEFAULT_PAGE
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import created, endpoint, json_body, no_content, ok, query_params
from chalicelib.groups.schemas import INVITE_SCHEMA, PAGE_QUERY, require_id
from chalicelib.messaging.reports import REPORT_REQUEST_SCHEMA, REPORTS_QUERY, RESOLVE_REQUEST_SCHEMA

routes = Blueprint(__name__)


# Moderators -------------------------------------------------------------------------------

@routes.route("/groups/{groupId}/moderators/{userId}", methods=["PUT"])
@endpoint
def add_moderator(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    return ok({"member": services.group_roles().promote(groupId, userId, caller)})


@routes.route("/groups/{groupId}/moderators/{userId}", methods=["DELETE"])
@endpoint
def remove_moderator(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_roles().demote(groupId, userId, caller)
    return no_content()


# Invite links -----------------------------------------------------------------------------

@routes.route("/groups/{groupId}/invites", methods=["POST"])
@endpoint
def create_invite(groupId):
    caller = _authorised(groupId=groupId)
    request = routes.current_request
    body = json_body(request, INVITE_SCHEMA) if (request.raw_body or b"").strip() else {}
    invite = services.group_invites().create(groupId, caller, body.get("expiresInSeconds"), body.get("maxUses"))
    return created({"invite": invite})


@routes.route("/groups/{groupId}/invites", methods=["GET"])
@endpoint
def list_invites(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.group_invites().list(groupId, caller, **_page(PAGE_QUERY)))


@routes.route("/groups/{groupId}/invites/{inviteId}", methods=["DELETE"])
@endpoint
def revoke_invite(groupId, inviteId):
    caller = _authorised(groupId=groupId)
    services.group_invites().revoke(groupId, caller, inviteId)
    return no_content()


@routes.route("/invites/{code}/accept", methods=["POST"])
@endpoint
def accept_invite(code):
    caller = caller_id(routes.current_request)
    return ok(services.group_invites().accept(code, caller))


# Reports ----------------------------------------------------------------------------------

@routes.route("/messages/{conversationId}/{messageId}/report", methods=["POST"])
@endpoint
def report_message(conversationId, messageId):
    request = routes.current_request
    caller = caller_id(request)
    if not (is_id(conversationId) and is_id(messageId)):
        raise NotFound("There is no such message.", "message_not_found")
    body = json_body(request, REPORT_REQUEST_SCHEMA)
    return ok(services.reports().report(caller, conversationId, messageId, body["reason"]), status=202)


@routes.route("/groups/{groupId}/reports", methods=["GET"])
@endpoint
def list_reports(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.reports().list(groupId, caller, **_page(REPORTS_QUERY)))


@routes.route("/groups/{groupId}/reports/{reportId}/resolve", methods=["POST"])
@endpoint
def resolve_report(groupId, reportId):
    caller = _authorised(groupId=groupId, reportId=reportId)
    request = routes.current_request
    body = json_body(request, RESOLVE_REQUEST_SCHEMA) if (request.raw_body or b"").strip() else {}
    return ok(services.reports().resolve(groupId, reportId, caller, body.get("resolution")))


# Blocks -----------------------------------------------------------------------------------

@routes.route("/users/{userId}/block", methods=["PUT"])
@endpoint
def block_user(userId):
    caller = _authorised(userId=userId)
    return ok({"block": services.blocking().block(caller, userId)})


@routes.route("/users/{userId}/block", methods=["DELETE"])
@endpoint
def unblock_user(userId):
    caller = _authorised(userId=userId)
    services.blocking().unblock(caller, userId)
    return no_content()


@routes.route("/users/blocked", methods=["GET"])
@endpoint
def list_blocked_users():
    caller = _authorised()
    return ok(services.blocking().blocked(caller, **_page(PAGE_QUERY)))


def _authorised(**path_ids):
    """The caller's user id (401 without a valid token), once every path id is well formed."""
    caller = caller_id(routes.current_request)
    for name, value in path_ids.items():
        require_id(value, name)
    return caller


def _page(schema):
    params = query_params(routes.current_request, schema)
    params.setdefault("limit", DEFAULT_PAGE)
    return params
