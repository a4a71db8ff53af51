"""Sessions and passwords: /token/refresh, /logout, /logout/all, /sessions, /me/password,
/password/forgot, /password/reset (docs/accounts.md)."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.accounts.schemas import (
    CHANGE_PASSWORD_SCHEMA,
    FORGOT_PASSWORD_SCHEMA,
    REFRESH_SCHEMA,
    RESET_PASSWORD_SCHEMA,
)
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import is_id
from chalicelib.edge.caller import caller
from chalicelib.edge.web import endpoint, json_body, no_content, ok, source_address

routes = Blueprint(__name__)


@routes.route("/token/refresh", methods=["POST"])
@endpoint
def refresh_token():
    """No bearer token: the refresh token in the body is the credential."""
    request = routes.current_request
    body = json_body(request, REFRESH_SCHEMA)
    return ok(services.sessions().refresh(body["refreshToken"], source_address(request)))


@routes.route("/logout", methods=["POST"])
@endpoint
def log_out():
    access = caller(routes.current_request)
    services.sessions().end(access.user_id, access.session_id)
    return no_content()


@routes.route("/logout/all", methods=["POST"])
@endpoint
def log_out_everywhere():
    services.sessions().end_all(caller(routes.current_request).user_id)
    return no_content()


@routes.route("/sessions", methods=["GET"])
@endpoint
def list_sessions():
    access = caller(routes.current_request)
    return ok({"sessions": services.sessions().list(access.user_id, access.session_id)})


@routes.route("/sessions/{sessionId}", methods=["DELETE"])
@endpoint
def end_session(sessionId):  # noqa: N803 - Chalice passes the path parameter by its name
    access = caller(routes.current_request)
    if not is_id(sessionId):
        raise InvalidInput("sessionId is not a valid id.", "invalid_id")
    services.sessions().end(access.user_id, sessionId)
    return no_content()


@routes.route("/me/password", methods=["POST"])
@endpoint
def change_password():
    request = routes.current_request
    access = caller(request)
    body = json_body(request, CHANGE_PASSWORD_SCHEMA)
    services.recovery().change(access.user_id, access.session_id, body["currentPassword"], body["newPassword"])
    return no_content()


@routes.route("/password/forgot", methods=["POST"])
@endpoint
def request_password_reset():
    request = routes.current_request
    body = json_body(request, FORGOT_PASSWORD_SCHEMA)
    services.recovery().forgot(body["email"], source_address(request))
    return ok({"status": "accepted"}, status=202)


@routes.route("/password/reset", methods=["POST"])
@endpoint
def reset_password():
    request = routes.current_request
    body = json_body(request, RESET_PASSWORD_SCHEMA)
    services.recovery().reset(body["email"], body["code"], body["newPassword"], source_address(request))
    return no_content()
