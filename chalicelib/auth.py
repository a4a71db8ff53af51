"""Passwords and access tokens.

Passwords: bcrypt over a SHA-256 pre-hash. bcrypt reads only 72 bytes (and the library
refuses more), so hashing the whole password first lets every character count; base64
keeps NUL bytes out of bcrypt's input. Tokens: HS256 JWTs, algorithm pinned, and exp, iat,
iss, aud, sub and jti all required.
"""
import base64
import hashlib
import secrets
import time

from chalicelib.errors import NotAuthenticated

MAX_PASSWORD_CHARS = 1024
MIN_PASSWORD_CHARS = 8
TOKEN_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]


class Passwords:
    """bcrypt at a configured cost; `verify` costs the same for unknown accounts."""

    def __init__(self, rounds):
        self._rounds = rounds
        self._decoy = None

    def hash(self, password):
        import bcrypt

        return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(self._rounds)).decode()

    def verify(self, password, stored_hash):
        """True if `password` matches; with `stored_hash` None, spends the same time and says no."""
        import bcrypt

        if stored_hash is None:
            # An unknown email must not answer faster than a wrong password.
            if self._decoy is None:
                self._decoy = self.hash(secrets.token_urlsafe(16))
            bcrypt.checkpw(_prehash(password), self._decoy.encode())
            return False
        return bcrypt.checkpw(_prehash(password), stored_hash.encode())


def _prehash(password):
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class Tokens:
    """Issues and verifies access tokens for one secret, issuer and audience."""

    def __init__(self, secret, issuer, audience, ttl_seconds):
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    def issue(self, user_id, now=None):
        import jwt

        issued_at = int(now if now is not None else time.time())
        claims = {
            "sub": user_id,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": issued_at,
            "exp": issued_at + self._ttl,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM)

    def verify(self, token):
        """The user id a valid token names; NotAuthenticated for anything else."""
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("The token has expired; log in again.", "token_expired") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("The token is not valid.", "invalid_token") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise NotAuthenticated("The token is not valid.", "invalid_token")
        return subject

    def ttl_seconds(self):
        return self._ttl


def bearer_token(authorization_header):
    """The token in `Authorization: Bearer <token>`; NotAuthenticated if absent or malformed."""
    if not authorization_header:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.", "missing_token")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.", "missing_token")
    return token
