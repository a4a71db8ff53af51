"""Sessions: one per login, each with short access tokens and one rotating refresh token.

- `open` (at login) stores the session and answers the first pair.
- `refresh` swaps a refresh token for a new pair in one atomic update, so of concurrent
  refreshes with one token exactly one wins. A token that was already used ends the whole
  session (401 refresh_token_reused): either the client or a thief holds a copy, and the
  server cannot tell which (OAuth 2.0 Security BCP, refresh token rotation).
- `authenticate` is the check of every authenticated REST request: the token verified, then
  its session looked up, one read by _id, trusted for `cache_seconds` by this process (each
  Lambda keeps its own small cache); `connect` checks without the cache.
- `end`, `end_all` delete sessions and close their open sockets through the @connections API
  (DeleteConnection), so the device hears of it at once.

Refresh tokens are opaque random strings; only their SHA-256 is stored, and neither they nor
their hashes are ever logged.
"""
import hashlib
import logging
import secrets
import time
from datetime import timedelta

from chalicelib.core.clock import iso, utcnow
from chalicelib.core.errors import NotAuthenticated, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.limits import REFRESH_ATTEMPTS_PER_ADDRESS

log = logging.getLogger("messaging.accounts")

MAX_USER_AGENT_CHARS = 200
_CACHE_ENTRIES = 1024


class Sessions:
    def __init__(self, *, sessions, tokens, connections, pusher, limiter, refresh_days, cache_seconds,
                 clock=utcnow, monotonic=time.monotonic):
        self._sessions = sessions
        self._tokens = tokens
        self._connections = connections
        self._pusher = pusher
        self._limiter = limiter
        self._refresh_lifetime = timedelta(days=refresh_days)
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._trusted = {}  # session id -> (user id, trusted until, monotonic seconds)

    # Opening and refreshing ------------------------------------------------------------------

    def open(self, user_id, user_agent=None):
        """A new session for `user_id`: {token, refreshToken, tokenType, expiresIn, sessionId}."""
        now = self._clock()
        session_id = new_id()
        refresh_token = _new_refresh_token()
        self._sessions.create(session_id=session_id, user_id=user_id, user_agent=_trimmed(user_agent),
                              refresh_hash=_digest(refresh_token), now=now, expires_at=now + self._refresh_lifetime)
        return {**self._pair(user_id, session_id, refresh_token), "tokenType": "Bearer"}

    def refresh(self, refresh_token, source_address):
        """A new pair for a live refresh token, which is used up; 401 for anything else."""
        self._limiter.take(REFRESH_ATTEMPTS_PER_ADDRESS, source_address)
        now = self._clock()
        presented = _digest(refresh_token)
        new_token = _new_refresh_token()
        session = self._sessions.rotate(presented, _digest(new_token), now, now + self._refresh_lifetime)
        if session is not None:
            return self._pair(session["userId"], session["_id"], new_token)
        reused = self._sessions.end_by_used_hash(presented)
        if reused is not None:
            log.warning("refresh token reused: session ended", extra={"fields": {
                "sessionId": reused["_id"], "userId": reused["userId"]}})
            self._after_ending(reused["userId"], self._connections.of_session(reused["_id"]), [reused["_id"]])
            raise NotAuthenticated("This refresh token was already used, so the session has been ended "
                                   "in case it was stolen; log in again.", "refresh_token_reused")
        raise NotAuthenticated("The refresh token is not valid or has expired; log in again.",
                               "invalid_refresh_token")

    # Checking ---------------------------------------------------------------------------------

    def authenticate(self, access_token):
        """The AccessToken of a valid token whose session is live (cached briefly); 401 otherwise."""
        claims = self._tokens.verify(access_token)
        trusted = self._trusted.get(claims.session_id)
        if trusted is not None and trusted[0] == claims.user_id and trusted[1] > self._monotonic():
            return claims
        return self._check(claims)

    def connect(self, access_token):
        """`authenticate` without the cache: a socket outlives any cache, so it starts from the truth."""
        return self._check(self._tokens.verify(access_token))

    def token_expires_at(self, access_token):
        """When `access_token` expires (a UTC datetime): a socket it opened ends then."""
        return self._tokens.expires_at(access_token)

    def require_live(self, user_id, session_id):
        """NotAuthenticated unless `session_id` is a live session of `user_id` (uncached)."""
        if self._sessions.owner(session_id, self._clock()) != user_id:
            raise _ended()

    def forget_cache(self):
        """Trust nothing cached (a benchmark measures the check as a new Lambda pays it)."""
        self._trusted.clear()

    # Listing and ending -----------------------------------------------------------------------

    def list(self, user_id, current_session_id):
        """The user's live sessions, most recently seen first; `current` marks the caller's."""
        return [_view(session, current_session_id) for session in self._sessions.of_user(user_id, self._clock())]

    def end(self, user_id, session_id):
        """End one of the user's sessions (logout, or signing out a device); 404 if not theirs."""
        ended = self._sessions.delete(session_id, user_id)
        if ended is None:
            raise NotFound("You have no session with that id.", "session_not_found")
        self._after_ending(user_id, self._connections.of_session(session_id), [session_id])

    def end_all(self, user_id, keep=None):
        """End every session of the user but `keep` (none kept by default); their sockets close."""
        self._sessions.delete_of_user(user_id, keep=keep)
        sockets = [c for c in self._connections.of_users([user_id]) if keep is None or c.get("sessionId") != keep]
        ended = [sid for sid, (owner, _) in self._trusted.items() if owner == user_id and sid != keep]
        self._after_ending(user_id, sockets, ended)

    # ------------------------------------------------------------------------------------------

    def _check(self, claims):
        if self._sessions.owner(claims.session_id, self._clock()) != claims.user_id:
            self._trusted.pop(claims.session_id, None)
            raise _ended()
        if self._cache_seconds > 0:
            if len(self._trusted) >= _CACHE_ENTRIES:
                self._trusted.clear()
            self._trusted[claims.session_id] = (claims.user_id, self._monotonic() + self._cache_seconds)
        return claims

    def _pair(self, user_id, session_id, refresh_token):
        return {
            "token": self._tokens.issue(user_id, session_id),
            "refreshToken": refresh_token,
            "expiresIn": self._tokens.ttl_seconds(),
            "sessionId": session_id,
        }

    def _after_ending(self, user_id, sockets, session_ids):
        """Forget ended sessions here at once, and close their sockets (best effort: a socket that
        cannot be closed now has no session left, and its record goes)."""
        for session_id in session_ids:
            self._trusted.pop(session_id, None)
        for connection in sockets:
            try:
                self._pusher.disconnect(connection["endpoint"], connection["_id"])
            except Exception as exc:  # noqa: BLE001 - the session is ended either way
                log.warning("could not close a socket of an ended session: %s", type(exc).__name__)
            self._connections.remove(connection["_id"])


def _view(session, current_session_id):
    view = {
        "id": session["_id"],
        "createdAt": iso(session["createdAt"]),
        "lastSeenAt": iso(session["lastSeenAt"]),
        "expiresAt": iso(session["expiresAt"]),
        "current": session["_id"] == current_session_id,
    }
    if session.get("userAgent"):
        view["userAgent"] = session["userAgent"]
    return view


def _ended():
    return NotAuthenticated("This session has ended; log in again.", "session_ended")


def _new_refresh_token():
    return secrets.token_urlsafe(32)


def _digest(refresh_token):
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()


def _trimmed(user_agent):
    if not isinstance(user_agent, str) or not user_agent.strip():
        return None
    return user_agent.strip()[:MAX_USER_AGENT_CHARS]
