"""What account requests may contain and what the API answers about accounts (JSON Schemas,
published in the OpenAPI document)."""
from chalicelib.accounts.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from chalicelib.core.clock import TIME_SCHEMA, iso
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import CURSOR_SCHEMA, EMAIL_SCHEMA, object_schema, page_limit_schema

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
REFRESH_SCHEMA = {
    "type": "object",
    "required": ["refreshToken"],
    "additionalProperties": False,
    "properties": {"refreshToken": {"type": "string", "minLength": 1, "maxLength": 512}},
}
CHANGE_PASSWORD_SCHEMA = {
    "type": "object",
    "required": ["currentPassword", "newPassword"],
    "additionalProperties": False,
    "properties": {"currentPassword": {"type": "string", "maxLength": MAX_PASSWORD_CHARS}, "newPassword": _PASSWORD},
}
FORGOT_PASSWORD_SCHEMA = {
    "type": "object",
    "required": ["email"],
    "additionalProperties": False,
    "properties": {"email": _EMAIL},
}
RESET_PASSWORD_SCHEMA = {
    "type": "object",
    "required": ["email", "code", "newPassword"],
    "additionalProperties": False,
    "properties": {"email": _EMAIL, "code": {"type": "string", "minLength": 1, "maxLength": 32},
                   "newPassword": _PASSWORD},
}
_OPTIONAL_TEXT = {"type": "string", "maxLength": 100, "description": "An empty string clears it."}
UPDATE_PROFILE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "department": _OPTIONAL_TEXT,
        "role": _OPTIONAL_TEXT,
        "pushPreviews": {"type": "boolean", "description": "Show message text in push notifications (default false)."},
    },
}
DELETE_ACCOUNT_SCHEMA = {
    "type": "object",
    "required": ["password"],
    "additionalProperties": False,
    "properties": {"password": {"type": "string", "maxLength": MAX_PASSWORD_CHARS}},
}
PEOPLE_QUERY = {
    "type": "object",
    "required": ["q"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string", "minLength": 1, "maxLength": 100,
              "description": "A prefix of a name, of a word of it, or of an email (case-insensitive)."},
        "limit": page_limit_schema(maximum=50, default=20),
        "cursor": CURSOR_SCHEMA,
    },
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
    {"department": {"type": "string"}, "role": {"type": "string"},
     "pushPreviews": {"type": "boolean", "description": "Message text in push notifications (default false)."}},
)
_TOKEN_PAIR = {
    "token": {"type": "string", "description": "The access token: send it as `Authorization: Bearer <token>`."},
    "refreshToken": {"type": "string", "description": "Opaque; works once, at POST /token/refresh."},
    "expiresIn": {"type": "integer", "minimum": 1, "description": "Seconds until the access token expires."},
    "sessionId": ID_SCHEMA,
}
LOGIN_RESPONSE_SCHEMA = object_schema({**_TOKEN_PAIR, "tokenType": {"const": "Bearer"}, "user": USER_SCHEMA})
REFRESH_RESPONSE_SCHEMA = object_schema(_TOKEN_PAIR)
SESSION_SCHEMA = object_schema(
    {"id": ID_SCHEMA, "createdAt": TIME_SCHEMA, "lastSeenAt": TIME_SCHEMA, "expiresAt": TIME_SCHEMA,
     "current": {"type": "boolean", "description": "The session of the token that asked."}},
    {"userAgent": {"type": "string"}},
)


def user_view(user):
    """What any caller may see of an account: never a password or hash."""
    view = {"id": user["_id"], "email": user["email"], "name": user["name"],
            "pushPreviews": bool(user.get("pushPreviews", False))}
    for optional in ("department", "role"):
        if user.get(optional) is not None:
            view[optional] = user[optional]
    if user.get("createdAt") is not None:
        view["createdAt"] = iso(user["createdAt"])
    return view


def own_view(user):
    """What a user sees of their own account (today the same as anyone sees)."""
    return user_view(user)
