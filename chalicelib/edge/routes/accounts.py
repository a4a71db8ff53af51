"""Accounts: /register, /employees, /login, /me, /users/by-email, /health."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.accounts.schemas import (
    EMAIL_LOOKUP_SCHEMA,
    EMPLOYEE_SCHEMA,
    LOGIN_SCHEMA,
    REGISTER_SCHEMA,
)
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import (
    created,
    endpoint,
    json_body,
    ok,
    query_params,
    source_address,
)

routes = Blueprint(__name__)


@routes.route("/register", methods=["POST"])
@endpoint
def register_user():
    body = json_body(routes.current_request, REGISTER_SCHEMA)
    return created({"user": services.accounts().register(**body)})


@routes.route("/employees", methods=["POST"])
@endpoint
def sign_up_employee():
    body = json_body(routes.current_request, EMPLOYEE_SCHEMA)
    return created({"user": services.accounts().register(**body)})


@routes.route("/login", methods=["POST"])
@endpoint
def log_in():
    request = routes.current_request
    body = json_body(request, LOGIN_SCHEMA)
    return ok(services.accounts().login(**body, source_address=source_address(request)))


@routes.route("/me", methods=["GET"])
@endpoint
def get_me():
    return ok({"user": services.accounts().me(caller_id(routes.current_request))})


@routes.route("/users/by-email", methods=["GET"])
@endpoint
def find_user_by_email():
    request = routes.current_request
    caller_id(request)  # only signed-in users may look people up
    params = query_params(request, EMAIL_LOOKUP_SCHEMA)
    return ok({"user": services.accounts().find_by_email(params["email"])})


@routes.route("/health", methods=["GET"])
@endpoint
def get_health():
    return ok(services.health().check())
