"""Access tokens: HS256 JWTs, algorithm pinned, and exp, iat, iss, aud, sub and jti all required."""
import secrets
import time
from datetime import datetime, timezone

from chalicelib.core.errors import NotAuthenticated

TOKEN_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]


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

    def expires_at(self, token):
        """When a valid token expires (a UTC datetime); NotAuthenticated as `verify` for a bad one."""
        import jwt

        self.verify(token)
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        return datetime.fromtimestamp(exp, timezone.utc)

    def ttl_seconds(self):
        return self._ttl
