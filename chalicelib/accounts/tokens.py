"""Access tokens: HS256 JWTs, algorithm pinned, and exp, iat, iss, aud, sub, jti, sid and typ
all required.

An access token names its session (`sid`), so ending the session ends the token (see
chalicelib.accounts.sessions). It is explicitly typed (`typ: "access"` in the claims and
`at+jwt` in the header, RFC 8725 §3.11): nothing else this service issues is a JWT, and a
refresh token is an opaque random string, so the two kinds can never stand in for each other.
"""
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from chalicelib.core.errors import NotAuthenticated

TOKEN_ALGORITHM = "HS256"
ACCESS_TYPE = "access"
HEADER_TYPE = "at+jwt"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "sid", "typ"]


@dataclass(frozen=True)
class AccessToken:
    """What a verified access token says: whose it is and which session it belongs to."""

    user_id: str
    session_id: str


class Tokens:
    """Issues and verifies access tokens for one secret, issuer and audience."""

    def __init__(self, secret, issuer, audience, ttl_seconds):
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    def issue(self, user_id, session_id, now=None):
        import jwt

        issued_at = int(now if now is not None else time.time())
        claims = {
            "sub": user_id,
            "sid": session_id,
            "typ": ACCESS_TYPE,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": issued_at,
            "exp": issued_at + self._ttl,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM, headers={"typ": HEADER_TYPE})

    def verify(self, token):
        """The AccessToken a valid token stands for; NotAuthenticated for anything else."""
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
            raise NotAuthenticated("The token has expired; refresh it or log in again.", "token_expired") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("The token is not valid.", "invalid_token") from None
        subject, session_id = claims["sub"], claims["sid"]
        if claims["typ"] != ACCESS_TYPE or not _non_empty(subject) or not _non_empty(session_id):
            raise NotAuthenticated("The token is not valid.", "invalid_token")
        return AccessToken(subject, session_id)

    def expires_at(self, token):
        """When a valid token expires (a UTC datetime); NotAuthenticated as `verify` for a bad one."""
        import jwt

        self.verify(token)
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        return datetime.fromtimestamp(exp, timezone.utc)

    def ttl_seconds(self):
        return self._ttl


def _non_empty(value):
    return isinstance(value, str) and bool(value)
