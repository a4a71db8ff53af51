"""Use cases for accounts: sign up (both seeds), log in, who am I, find a person by email."""
from chalicelib.accounts.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from chalicelib.core.clock import TIME_SCHEMA, iso
from chalicelib.core.errors import NotAuthenticated, NotFound
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.limits import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
)
from chalicelib.core.validation import object_schema

_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_EMAIL = {"type": "string", "format": "email", "maxLength": 254}
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


def normalise_email(email):
    """Emails compare case-insensitively: store and look them up in one form."""
    return email.strip().lower()


def user_view(user):
    """What any caller may see of an account: never a password or hash."""
    view = {"id": user["_id"], "email": user["email"], "name": user["name"]}
    for optional in ("department", "role"):
        if user.get(optional) is not None:
            view[optional] = user[optional]
    if user.get("createdAt") is not None:
        view["createdAt"] = iso(user["createdAt"])
    return view


class Accounts:
    def __init__(self, users, passwords, tokens, limiter):
        self._users = users
        self._passwords = passwords
        self._tokens = tokens
        self._limiter = limiter

    def register(self, *, email, password, name, department=None, role=None):
        """Create an account; Conflict if the email is taken."""
        user = self._users.create(
            email=normalise_email(email),
            name=name.strip() or name,
            password_hash=self._passwords.hash(password),
            department=department,
            role=role,
        )
        return user_view(user)

    def login(self, *, email, password, source_address):
        """A token and the user for the right password; throttled per account and address."""
        email = normalise_email(email)
        self._limiter.check(LOGIN_FAILURES_PER_ACCOUNT, email)
        self._limiter.check(LOGIN_FAILURES_PER_ADDRESS, source_address)
        user = self._users.by_email(email)
        stored_hash = user["passwordHash"] if user else None
        if not self._passwords.verify(password, stored_hash):
            self._limiter.hit(LOGIN_FAILURES_PER_ACCOUNT, email)
            self._limiter.hit(LOGIN_FAILURES_PER_ADDRESS, source_address)
            # One answer for an unknown email and a wrong password.
            raise NotAuthenticated("The email or password is wrong.", "invalid_credentials")
        self._limiter.reset(LOGIN_FAILURES_PER_ACCOUNT, email)
        return {
            "token": self._tokens.issue(user["_id"]),
            "tokenType": "Bearer",
            "expiresIn": self._tokens.ttl_seconds(),
            "user": user_view(user),
        }

    def me(self, user_id):
        user = self._users.by_id(user_id)
        if user is None:
            # A valid token for an account that no longer exists.
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        return user_view(user)

    def find_by_email(self, email):
        """Look a person up by exact email (to start a 1:1 chat); 404 if there is none."""
        user = self._users.by_email(normalise_email(email))
        if user is None:
            raise NotFound("No user has that email.", "user_not_found")
        return user_view(user)
