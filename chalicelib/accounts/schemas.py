"""What account requests may contain and what the API answers about accounts (JSON Schemas,
published in the OpenAPI document)."""
from chalicelib.accounts.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from chalicelib.core.clock import TIME_SCHEMA, iso
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import EMAIL_SCHEMA, object_schema

_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_EMAIL = EMAIL_SCHEMA
_PASSWORD = {"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS}

REGISTER_SCHEMA = {
    "type": "object",
    "required": ["email", "password", "name"],
    "additionalProperties": False,
    "properties": {"email": _EMAIL, "password": _PASSWORD, "name": _NAME},
}
EMPLOYEE_SCHEMA = {
    "type": "object",
    "required": ["name", "email", "password"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "email": _EMAIL,
        "password": _PASSWORD,
        "department": {"type": "string", "maxLength": 100},
        "role": {"type": "string", "maxLength": 100},
    },
}
LOGIN_SCHEMA = {
    "type": "object",
    "required": ["email", "password"],
    "additionalProperties": False,
    # No minimum length here: a short wrong password is an ordinary failed login.
    "properties": {"email": _EMAIL, "password": {"type": "string", "maxLength": MAX_PASSWORD_CHARS}},
}
EMAIL_LOOKUP_SCHEMA = {
    "type": "object",
    "required": ["email"],
    "additionalProperties": False,
    "properties": {"email": _EMAIL},
}

# What the API answers (published in the OpenAPI document; see user_view and Accounts.login).
USER_SCHEMA = object_schema(
    {"id": ID_SCHEMA, "email": {"type": "string"}, "name": {"type": "string"}, "createdAt": TIME_SCHEMA},
    {"department": {"type": "string"}, "role": {"type": "string"}},
)
LOGIN_RESPONSE_SCHEMA = object_schema({
    "token": {"type": "string", "description": "Send it as `Authorization: Bearer <token>`."},
    "tokenType": {"const": "Bearer"},
    "expiresIn": {"type": "integer", "minimum": 1, "description": "Seconds until the token expires."},
    "user": USER_SCHEMA,
})


def user_view(user):
    """What any caller may see of an account: never a password or hash."""
    view = {"id": user["_id"], "email": user["email"], "name": user["name"]}
    for optional in ("department", "role"):
        if user.get(optional) is not None:
            view[optional] = user[optional]
    if user.get("createdAt") is not None:
        view["createdAt"] = iso(user["createdAt"])
    return view
