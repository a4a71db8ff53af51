"""Groups: create and read them, join and leave, moderation, ownership (docs/groups.md).

Every handler authenticates first (401), then checks the ids in its path (400), then its
body or query (400), and hands over to one use case, which authorizes against the group.
"""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.validation import DEFAULT_PAGE
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import (
    created,
    endpoint,
    json_body,
    no_content,
    ok,
    query_params,
)
from chalicelib.groups.joining import JOINED
from chalicelib.groups.schemas import (
    BAN_SCHEMA,
    CREATE_SCHEMA,
    DISCOVER_QUERY,
    PAGE_QUERY,
    UPDATE_SCHEMA,
    require_id,
)

routes = Blueprint(__name__)


@routes.route("/groups/create", methods=["POST"])
@endpoint
def create_group():
    caller = _authorised()
    body = json_body(routes.current_request, CREATE_SCHEMA)
    group = services.groups().create(
        caller, name=body["name"], group_type=body["type"],
        rejoin_cooldown_seconds=body.get("rejoinCooldownSeconds", 0),
        history_visibility=body.get("historyVisibility", "shared"),
    )
    return created({"group": group})


@routes.route("/groups", methods=["GET"])
@endpoint
def list_my_groups():
    caller = _authorised()
    return ok(services.groups().mine(caller, **_page(PAGE_QUERY)))


@routes.route("/groups/discover", methods=["GET"])
@endpoint
def discover_groups():
    _authorised()
    params = _page(DISCOVER_QUERY)
    return ok(services.groups().discover(params.pop("q", ""), **params))


@routes.route("/groups/{groupId}", methods=["GET"])
@endpoint
def get_group(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.groups().details(groupId, caller))


@routes.route("/groups/{groupId}", methods=["PATCH"])
@endpoint
def update_group(groupId):
    caller = _authorised(groupId=groupId)
    body = json_body(routes.current_request, UPDATE_SCHEMA)
    group = services.groups().update(
        groupId, caller, name=body.get("name"), rejoin_cooldown_seconds=body.get("rejoinCooldownSeconds"),
        history_visibility=body.get("historyVisibility"),
    )
    return ok({"group": group})


@routes.route("/groups/{groupId}/members", methods=["GET"])
@endpoint
def list_group_members(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.group_roster().members(groupId, caller, **_page(PAGE_QUERY)))


@routes.route("/groups/{groupId}/requests", methods=["GET"])
@endpoint
def list_join_requests(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.group_roster().requests(groupId, caller, **_page(PAGE_QUERY)))


@routes.route("/groups/{groupId}/bans", methods=["GET"])
@endpoint
def list_group_bans(groupId):
    caller = _authorised(groupId=groupId)
    return ok(services.group_roster().bans(groupId, caller, **_page(PAGE_QUERY)))


@routes.route("/groups/{groupId}/request/{userId}", methods=["POST"])
@endpoint
def request_to_join(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    kind, view = services.group_joining().request(groupId, userId, caller)
    return ok({kind: view}, status=200 if kind == JOINED else 202)


@routes.route("/groups/{groupId}/approve/{userId}", methods=["POST"])
@endpoint
def approve_request(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    return ok({"membership": services.group_joining().approve(groupId, userId, caller)})


@routes.route("/groups/{groupId}/reject/{userId}", methods=["POST"])
@endpoint
def reject_request(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_joining().reject(groupId, userId, caller)
    return no_content()


@routes.route("/groups/{groupId}/withdraw/{userId}", methods=["POST"])
@endpoint
def withdraw_request(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_joining().withdraw(groupId, userId, caller)
    return no_content()


@routes.route("/groups/{groupId}/leave/{userId}", methods=["POST"])
@endpoint
def leave_group(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_joining().leave(groupId, userId, caller)
    return no_content()


@routes.route("/groups/{groupId}/kick/{userId}", methods=["POST"])
@endpoint
def kick_member(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_moderation().kick(groupId, userId, caller)
    return no_content()


@routes.route("/groups/{groupId}/ban/{userId}", methods=["POST"])
@endpoint
def ban_user(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    request = routes.current_request
    # The body is optional: no body (or `{}`) bans until the owner lifts the ban.
    body = json_body(request, BAN_SCHEMA) if (request.raw_body or b"").strip() else {}
    ban = services.group_moderation().ban(groupId, userId, caller, body.get("durationSeconds"))
    return ok({"ban": ban})


@routes.route("/groups/{groupId}/unban/{userId}", methods=["POST"])
@endpoint
def unban_user(groupId, userId):
    caller = _authorised(groupId=groupId, userId=userId)
    services.group_moderation().unban(groupId, userId, caller)
    return no_content()


@routes.route("/groups/{groupId}/transfer-owner/{ownerId}/{newOwnerId}", methods=["POST"])
@endpoint
def transfer_owner(groupId, ownerId, newOwnerId):
    caller = _authorised(groupId=groupId, ownerId=ownerId, newOwnerId=newOwnerId)
    group = services.group_ownership().transfer(groupId, ownerId, newOwnerId, caller)
    return ok({"group": group})


def _authorised(**path_ids):
    """The caller's user id (401 without a valid token), once every path id is well formed."""
    caller = caller_id(routes.current_request)
    for name, value in path_ids.items():
        require_id(value, name)
    return caller


def _page(schema):
    """The validated query string, with the page size defaulted."""
    params = query_params(routes.current_request, schema)
    params.setdefault("limit", DEFAULT_PAGE)
    return params
