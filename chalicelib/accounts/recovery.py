"""Passwords after sign-up: changing one (signed in), and resetting a forgotten one by email.

`forgot` answers the same for every email, in the same time: whether or not an account
exists, it takes the same rate-limit counts and then waits out a fixed floor
(`floor_seconds`, above what looking the account up and sending through SES take), so
neither the status nor the timing tells an account apart. The code is 8 digits, valid for
CODE_MINUTES, works once, and is stored only as an HMAC under a server-side key (so the
database alone cannot be searched for it); five tries per account per 15 minutes.
"""
import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta

from chalicelib.core.clock import utcnow
from chalicelib.core.errors import Forbidden, InvalidInput, NotAuthenticated, RateLimited
from chalicelib.core.limits import (
    LOGIN_FAILURES_PER_ACCOUNT,
    PASSWORD_FORGOT_PER_ACCOUNT,
    PASSWORD_FORGOT_PER_ADDRESS,
    PASSWORD_RESET_ATTEMPTS_PER_ACCOUNT,
    PASSWORD_RESET_ATTEMPTS_PER_ADDRESS,
)
from chalicelib.core.validation import normalise_email

log = logging.getLogger("messaging.accounts")

CODE_DIGITS = 8
CODE_MINUTES = 15
RESET_SUBJECT = "Your password reset code"


class Recovery:
    def __init__(self, *, users, resets, passwords, sessions, mailer, limiter, keys, floor_seconds,
                 clock=utcnow, monotonic=time.monotonic, sleep=time.sleep):
        self._users = users
        self._resets = resets
        self._passwords = passwords
        self._sessions = sessions  # chalicelib.accounts.sessions.Sessions
        self._mailer = mailer
        self._limiter = limiter
        # The signing keys (core/signing_keys.py): a code is hashed under the current one and
        # checked under each valid one, so a key rotation between the email and the reset does
        # not void the code.
        self._keys = keys
        self._floor = floor_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep

    def change(self, user_id, session_id, current_password, new_password):
        """Change the password (the current one required); every other session ends."""
        user = self._users.by_id(user_id)
        if user is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        verify_password(self._passwords, self._limiter, user, current_password)
        self._users.set_password(user_id, self._passwords.hash(new_password))
        self._sessions.end_all(user_id, keep=session_id)

    def forgot(self, email, source_address):
        """Email a reset code if an account has `email`; the same answer, in the same time, if not."""
        started = self._monotonic()
        try:
            self._limiter.take(PASSWORD_FORGOT_PER_ADDRESS, source_address)
            email = normalise_email(email)
            try:
                self._limiter.take(PASSWORD_FORGOT_PER_ACCOUNT, email)
            except RateLimited:
                return  # enough mail for this address for now; said no differently
            user = self._users.by_email(email)
            if user is not None:
                self._send_code(user)
        finally:
            self._sleep(max(0.0, self._floor - (self._monotonic() - started)))

    def reset(self, email, code, new_password, source_address):
        """Set a new password with a valid code; every session of the account ends."""
        email = normalise_email(email)
        self._limiter.take(PASSWORD_RESET_ATTEMPTS_PER_ADDRESS, source_address)
        self._limiter.take(PASSWORD_RESET_ATTEMPTS_PER_ACCOUNT, email)
        user = self._users.by_email(email)
        hashes = [self._hash(key, user["_id"] if user else "", code) for key in self._keys.valid()]
        if user is None or not (self._resets.take(user["_id"], hashes, self._clock())
                                or self._take_under_newer_key(user["_id"], code)):
            raise InvalidInput("The code is wrong, used or expired; ask for a new one.", "invalid_code")
        self._users.set_password(user["_id"], self._passwords.hash(new_password))
        self._sessions.end_all(user["_id"])
        self._limiter.reset(LOGIN_FAILURES_PER_ACCOUNT, email)

    def _take_under_newer_key(self, user_id, code):
        """A code mailed by a Lambda that had read a key this one has not yet (its keys are
        cached for minutes after a rotation): `find` re-reads the keys for that newer kid."""
        kid = self._resets.kid_of(user_id)
        if kid is None or any(key.kid == kid for key in self._keys.valid()):
            return False  # the code was hashed under a key already tried: it is wrong
        key = self._keys.find(kid)
        return key is not None and self._resets.take(user_id, [self._hash(key, user_id, code)], self._clock())

    def _send_code(self, user):
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        key = self._keys.current()
        self._resets.put(user["_id"], self._hash(key, user["_id"], code), key.kid,
                         self._clock() + timedelta(minutes=CODE_MINUTES))
        text = (f"Hello {user['name']},\n\nYour password reset code is {code}. It works once, within "
                f"{CODE_MINUTES} minutes.\n\nIf you did not ask to reset your password, ignore this email; "
                f"your password has not changed.\n")
        try:
            self._mailer.send(user["email"], RESET_SUBJECT, text)
        except Exception as exc:  # noqa: BLE001 - the answer must not differ for known accounts
            log.warning("could not send a password reset email: %s", type(exc).__name__)

    @staticmethod
    def _hash(key, user_id, code):
        secret = f"password-reset:{key.secret}".encode("utf-8")  # never the token signature's own key
        return hmac.new(secret, f"{user_id}:{code}".encode("utf-8"), hashlib.sha256).hexdigest()


def verify_password(passwords, limiter, user, password):
    """Forbidden (wrong_password) unless `password` is the user's; failures count as failed logins."""
    limiter.check(LOGIN_FAILURES_PER_ACCOUNT, user["email"])
    if not passwords.verify(password, user["passwordHash"]):
        limiter.hit(LOGIN_FAILURES_PER_ACCOUNT, user["email"])
        raise Forbidden("The password is wrong.", "wrong_password")
