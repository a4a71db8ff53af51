"""Access tokens: HS256 JWTs, algorithm pinned, and exp, iat, iss, aud, sub, jti, sid and typ
all required.

An access token names its session (`sid`), so ending the session ends the token (see
chalicelib.accounts.sessions). It is explicitly typed (`typ: "access"` in the claims and
`at+jwt` in the header, RFC 8725 §3.11): nothing else this service issues is a JWT, and a
refresh token is an opaque random string, so the two kinds can never stand in for each other.

Each token's header also names its signing key (`kid`); two keys verify at once, the current
one and the one before it, so rotating the key signs nobody out (chalicelib/core/signing_keys.py).
A token naming any other key is refused. A token from before key ids (no `kid`) is tried
with the valid keys; it is short-lived, so those are gone one token lifetime after the upgrade.
"""
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from chalicelib.core.errors import NotAuthenticated
from chalicelib.core.signing_keys import StaticKeys

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

    def __init__(self, keys, issuer, audience, ttl_seconds):
        # The signing keys (chalicelib.core.signing_keys: StaticKeys, ParameterKeys), or one secret.
        self._keys = StaticKeys(keys) if isinstance(keys, str) else keys
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
        key = self._keys.current()
        return jwt.encode(claims, key.secret, algorithm=TOKEN_ALGORITHM, headers={"typ": HEADER_TYPE, "kid": key.kid})

    def verify(self, token):
        """The AccessToken a valid token stands for; NotAuthenticated for anything else."""
        import jwt

        try:
            claims = _decode_with_its_key(self._keys, token, lambda secret: jwt.decode(
                token,
                secret,
                algorithms=[TOKEN_ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": _REQUIRED_CLAIMS},
            ))
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


def _decode_with_its_key(keys, token, decode):
    """`decode(secret)` with the key the token's `kid` names (InvalidTokenError if none does)."""
    import jwt

    kid = jwt.get_unverified_header(token).get("kid")
    if kid is None:  # from before key ids: any valid key may have signed it
        valid = keys.valid()
        for key in valid[:-1]:
            try:
                return decode(key.secret)
            except jwt.InvalidSignatureError:
                continue
        return decode(valid[-1].secret)
    key = keys.find(kid) if isinstance(kid, str) else None
    if key is None:
        raise jwt.InvalidTokenError("unknown signing key")
    return decode(key.secret)
