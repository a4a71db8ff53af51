"""Use cases for accounts: sign up (both seeds), log in, who am I, find a person by email."""
from chalicelib.accounts.schemas import own_view, user_view
from chalicelib.core.errors import NotAuthenticated, NotFound, RateLimited
from chalicelib.core.limits import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
)
from chalicelib.core.validation import clean_name, normalise_email


class Accounts:
    def __init__(self, users, passwords, sessions, limiter):
        self._users = users
        self._passwords = passwords
        self._sessions = sessions  # chalicelib.accounts.sessions.Sessions
        self._limiter = limiter

    def register(self, *, email, password, name, department=None, role=None):
        """Create an account; Conflict if the email is taken."""
        user = self._users.create(
            email=normalise_email(email),
            name=clean_name(name),
            password_hash=self._passwords.hash(password),
            department=department,
            role=role,
        )
        return user_view(user)

    def login(self, *, email, password, source_address, user_agent=None):
        """A new session (its token pair) and the user for the right password; throttled per
        account and address.

        Each attempt is counted first, atomically, and only then decided: N parallel wrong
        passwords reach bcrypt at most the limit's number of times (a check before counting
        would let every one of them pass it). A right password takes its count back.
        """
        email = normalise_email(email)
        self._limiter.attempt(LOGIN_FAILURES_PER_ACCOUNT, email)
        try:
            self._limiter.attempt(LOGIN_FAILURES_PER_ADDRESS, source_address)
        except RateLimited:
            self._limiter.forgive(LOGIN_FAILURES_PER_ACCOUNT, email)  # refused unchecked: no failure of the account's
            raise
        user = self._users.by_email(email)
        stored_hash = user["passwordHash"] if user else None
        if not self._passwords.verify(password, stored_hash):
            # One answer for an unknown email and a wrong password.
            raise NotAuthenticated("The email or password is wrong.", "invalid_credentials")
        self._limiter.settle(resets=[(LOGIN_FAILURES_PER_ACCOUNT, email)],
                             forgives=[(LOGIN_FAILURES_PER_ADDRESS, source_address)])
        return {**self._sessions.open(user["_id"], user_agent), "user": own_view(user)}

    def me(self, user_id):
        user = self._users.by_id(user_id)
        if user is None:
            # A valid token for an account that no longer exists.
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        return own_view(user)

    def find_by_email(self, email):
        """Look a person up by exact email (to start a 1:1 chat); 404 if there is none."""
        user = self._users.by_email(normalise_email(email))
        if user is None:
            raise NotFound("No user has that email.", "user_not_found")
        return user_view(user)
