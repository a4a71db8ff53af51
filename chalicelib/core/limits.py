"""Every abuse limit in one table, and the limiter that enforces them across Lambdas.

The numbers are documented in README.md (Security) and docs/security.md; a limit changed
here must be changed there too. Size and page caps live beside the input they bound
(edge.web.MAX_BODY_BYTES, realtime.sockets.MAX_FRAME_BYTES, messaging.schemas.MAX_TEXT_CHARS,
media.schemas.MAX_ATTACHMENT_BYTES,
core.validation.MAX_PAGE) and are listed in the same table.
"""
from dataclasses import dataclass

from chalicelib.core.errors import RateLimited
from chalicelib.core.metrics import metrics


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int
    message: str
    # Limits with the same `shared` name and key are counted in one document, so a request
    # that takes several of them (Limiter.take_together) pays one round trip for all.
    shared: str | None = None


LOGIN_FAILURES_PER_ACCOUNT = Limit(
    "login-account", 5, 15 * 60, "Too many failed logins for this account; try again later."
)
LOGIN_FAILURES_PER_ADDRESS = Limit(
    "login-address", 30, 15 * 60, "Too many failed logins from this address; try again later."
)
# Taken before a frame is even measured or parsed; past the limit one error frame answers and
# the rest are dropped unanswered (answering is a post, which is what a flood wants).
WS_FRAMES_PER_CONNECTION = Limit(
    "ws-frames", 120, 60, "Too many frames on this connection; slow down."
)
WS_FRAMES_PER_USER = Limit(
    "ws-frames-user", 300, 60, "Too many frames from your connections; slow down.", shared="user"
)
# Typing indicators fan out to every online member, so they are coalesced: at most one
# "typing" per user and conversation every 3 s (chalicelib/realtime/sockets.py; a "stopped"
# is not fanned out and resets the window); the frames past that are dropped silently. A
# receiver's indicator lasts TYPING_EXPIRES_SECONDS (6) unless repeated.
WS_TYPING_PER_CONVERSATION = Limit(
    "ws-typing", 1, 3, "Too many typing indicators; slow down."
)
# Not a rate: how many sockets one user may hold open at once ($connect closes the oldest beyond it).
SOCKETS_PER_USER = 10
GROUPS_CREATED_PER_USER = Limit(
    "groups-created", 20, 60 * 60, "You have created too many groups in the last hour; try again later."
)
JOIN_REQUESTS_PER_USER = Limit(
    "group-join-requests", 60, 60 * 60, "Too many requests to join groups in the last hour; try again later."
)
# Every send counts, over REST and WebSocket alike (a retry with the same clientMessageId too).
# A WebSocket sendMessage frame takes it with WS_FRAMES_PER_USER, in one update (shared).
MESSAGES_SENT_PER_USER = Limit(
    "messages-sent", 60, 60, "You are sending messages too fast; slow down.", shared="user"
)
# Edits, deletions and reaction changes (chalicelib/messaging/lifecycle.py, reactions.py), together.
MESSAGE_CHANGES_PER_USER = Limit(
    "message-changes", 120, 60, "You are changing messages too fast; slow down."
)
# Only a 1:1 conversation's first message counts here: spam to strangers starts new ones.
DIRECT_CONVERSATIONS_STARTED_PER_USER = Limit(
    "direct-conversations-started", 30, 60 * 60,
    "You have started too many new conversations in the last hour; try again later.",
)
# Sessions and passwords (chalicelib/accounts). Every attempt counts, right or wrong, in one
# atomic update: a valid refresh token or reset code is unguessable, so these bound the work
# an abuser can make us do, and the code guesses one account can get.
REFRESH_ATTEMPTS_PER_ADDRESS = Limit(
    "refresh-address", 120, 5 * 60, "Too many token refreshes from this address; try again later."
)
PASSWORD_FORGOT_PER_ADDRESS = Limit(
    "password-forgot-address", 20, 60 * 60, "Too many password reset requests from this address; try again later."
)
# Over this, /password/forgot still answers 202 (no enumeration) but sends nothing more.
PASSWORD_FORGOT_PER_ACCOUNT = Limit(
    "password-forgot-account", 3, 60 * 60, "Too many password reset emails for this account."
)
PASSWORD_RESET_ATTEMPTS_PER_ACCOUNT = Limit(
    "password-reset-account", 5, 15 * 60, "Too many reset attempts for this account; ask for a new code later."
)
PASSWORD_RESET_ATTEMPTS_PER_ADDRESS = Limit(
    "password-reset-address", 30, 15 * 60, "Too many reset attempts from this address; try again later."
)

# A new device (or one moved from another account) counts; the same token again does not.
DEVICES_REGISTERED_PER_USER = Limit(
    "devices-registered", 20, 60 * 60, "You have registered too many devices in the last hour; try again later."
)
# Invite links: making them (owner, moderators), and accepting codes (codes are 256 random
# bits, so this bounds probing and join churn rather than guessing).
INVITES_CREATED_PER_USER = Limit(
    "invites-created", 50, 60 * 60, "You have made too many invite links in the last hour; try again later."
)
INVITE_ACCEPTS_PER_USER = Limit(
    "invite-accepts", 30, 60 * 60, "Too many invite links accepted in the last hour; try again later."
)
# Reports of messages: enough for a real abuse wave, too few to flood a group's moderators.
REPORTS_PER_USER = Limit(
    "reports", 20, 60 * 60, "You have sent too many reports in the last hour; try again later."
)
# Blocking and unblocking, each change counted (both are cheap, but churn is not a use).
BLOCK_CHANGES_PER_USER = Limit(
    "block-changes", 100, 60 * 60, "You have blocked or unblocked too many people in the last hour."
)
# Every POST /attachments counts (the bytes go to S3, but each upload costs storage and a key).
ATTACHMENTS_UPLOADED_PER_USER = Limit(
    "attachments-uploaded", 60, 60 * 60, "You have uploaded too many files in the last hour; try again later."
)


class Limiter:
    """Checks and counts hits against a Limit, keyed by account, address or user."""

    def __init__(self, store):
        self._store = store

    def check(self, limit, key):
        """RateLimited if `key` has used up `limit` in the current window."""
        count, seconds_left = self._store.count(*_where(limit, key))
        if count >= limit.max_hits:
            raise _refused(limit, seconds_left)

    def hit(self, limit, key):
        """Count one hit (a failed login, a send, ...)."""
        document, window = _where(limit, key)
        self._store.hit(document, limit.window_seconds, window=window)

    def take(self, limit, key):
        """Count one hit and raise RateLimited if it went over the limit."""
        document, window = _where(limit, key)
        count, seconds_left = self._store.hit(document, limit.window_seconds, window=window)
        self.judge(limit, count, seconds_left)

    def take_together(self, limits, key):
        """`take` each of `limits` (all with one `shared` name) for `key`, in one atomic update;
        RateLimited for the first of them that went over (all are counted either way)."""
        shared = {limit.shared for limit in limits}
        if len(shared) != 1 or None in shared:
            raise ValueError("take_together needs limits that share one document")
        counts = self._store.hit_together(f"{shared.pop()}:{key}", {limit.name: limit.window_seconds for limit in limits})
        for limit in limits:
            self.judge(limit, *counts[limit.name])

    def judge(self, limit, count, seconds_left):
        """`take`'s decision on a hit counted elsewhere (in one atomic update, as `take` counts):
        RateLimited if `count` went over the limit."""
        if count > limit.max_hits:
            refused = _refused(limit, seconds_left)
            refused.over_by = count - limit.max_hits  # 1 for the first hit past the limit
            raise refused

    def attempt(self, limit, key):
        """Count one attempt first (atomically), then decide: RateLimited if it is over the limit.

        For limits on failures (logins): count before the costly check, so N parallel attempts
        cannot all pass a check made before any of them counted; `forgive` takes the count back
        when the attempt turns out not to be a failure.
        """
        self.take(limit, key)

    def forgive(self, limit, key):
        """Take back one hit counted by `attempt` (the attempt succeeded)."""
        self._store.unhit(*_where(limit, key))

    def reset(self, limit, key):
        self._store.clear(*_where(limit, key))

    def settle(self, resets=(), forgives=()):
        """`reset` each (limit, key) of `resets` and `forgive` each of `forgives`, at once (one
        round trip: a successful login clears its account's count and takes back its address's).
        For limits that are not `shared`."""
        if any(limit.shared for limit, _ in (*resets, *forgives)):
            raise ValueError("settle is for limits with a document of their own")
        self._store.settle(clear=[_key(limit, key) for limit, key in resets],
                           unhit=[_key(limit, key) for limit, key in forgives])


def _refused(limit, seconds_left):
    metrics.count("Throttles", Limit=limit.name)
    return RateLimited(limit.message, seconds_left)


def _key(limit, key):
    return f"{limit.name}:{key}"


def _where(limit, key):
    """(the counter's document id, the window's name in it: None for a document of its own)."""
    if limit.shared is None:
        return _key(limit, key), None
    return f"{limit.shared}:{key}", limit.name
