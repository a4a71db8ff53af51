"""Domain errors. They know nothing of HTTP; `chalicelib.edge.web` maps each kind to a status.

Raise the kind that says what went wrong, with a snake_case `code` a client can branch on
and a message a person can read.
"""


class DomainError(Exception):
    """Base of every error a client is told about."""

    code = "error"

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(DomainError):
    code = "too_large"


class RateLimited(DomainError):
    """Too many attempts, or a cooldown: the client may retry after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message, retry_after, code=None):
        super().__init__(message, code)
        self.retry_after = max(1, int(retry_after + 0.999))


class Unavailable(DomainError):
    """A dependency (database, key service, queue) did not answer; nothing was written."""

    code = "service_unavailable"


class ServiceMisconfigured(Unavailable):
    code = "service_misconfigured"


def as_domain_error(exc):
    """The DomainError an exception stands for (a dependency failure is Unavailable), or None
    for a bug. Both edges, REST and WebSocket, answer with it."""
    if isinstance(exc, DomainError):
        return exc
    if _is_dependency_failure(exc):
        return Unavailable("A service we depend on is not answering; try again shortly.")
    return None


def _is_dependency_failure(exc):
    """MongoDB unreachable, or an AWS service failing or throttling us."""
    module = type(exc).__module__
    if module.startswith("pymongo"):
        from pymongo.errors import ConnectionFailure, ExecutionTimeout, WTimeoutError

        return isinstance(exc, (ConnectionFailure, ExecutionTimeout, WTimeoutError))
    return module.startswith(("botocore", "boto3", "urllib3"))
