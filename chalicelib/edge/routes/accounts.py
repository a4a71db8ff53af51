"""Accounts: /register, /employees, /login, /me (read, edit, delete), /users/by-email,
/users/search, /health. Sessions and passwords are in sessions.py."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.accounts.schemas import (
    DELETE_ACCOUNT_SCHEMA,
    EMAIL_LOOKUP_SCHEMA,
    EMPLOYEE_SCHEMA,
    LOGIN_SCHEMA,
    PEOPLE_QUERY,
    REGISTER_SCHEMA,
    UPDATE_PROFILE_SCHEMA,
)
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import (
    created,
    endpoint,
    json_body,
    no_content,
    ok,
    query_params,
    source_address,
    user_agent,
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
    return ok(services.accounts().login(**body, source_address=source_address(request),
                                        user_agent=user_agent(request)))


@routes.route("/me", methods=["GET"])
@endpoint
def get_me():
    return ok({"user": services.accounts().me(caller_id(routes.current_request))})


@routes.route("/me", methods=["PATCH"])
@endpoint
def update_me():
    request = routes.current_request
    user_id = caller_id(request)
    return ok({"user": services.profiles().update(user_id, json_body(request, UPDATE_PROFILE_SCHEMA))})


@routes.route("/me", methods=["DELETE"])
@endpoint
def delete_me():
    request = routes.current_request
    user_id = caller_id(request)
    services.profiles().delete(user_id, json_body(request, DELETE_ACCOUNT_SCHEMA)["password"])
    return no_content()


@routes.route("/users/search", methods=["GET"])
@endpoint
def search_people():
    request = routes.current_request
    user_id = caller_id(request)
    params = query_params(request, PEOPLE_QUERY)
    return ok(services.people().search(user_id, params["q"], params.get("limit", 20), params.get("cursor")))


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
