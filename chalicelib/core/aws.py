"""One boto3 client per AWS service (and endpoint) per process, created on first use.

Endpoints come from botocore's own environment variables (AWS_ENDPOINT_URL_SQS, ...), so
the local stack differs from a deployed stage only in those URLs.
"""
import threading

_lock = threading.Lock()
_clients = {}
_session = None
DEFAULT_ATTEMPTS = 4  # the first try and three retries, as before


def client(service, endpoint_url=None, attempts=DEFAULT_ATTEMPTS, read_timeout=5):
    """The shared client for `service` (at `endpoint_url`, for per-API services).

    `attempts` is botocore's total tries per call; 1 turns its retries off (for callers that
    retry themselves within a deadline, as the fan-out consumer does), and `read_timeout`
    bounds one call's wait for an answer.
    """
    key = (service, endpoint_url, attempts, read_timeout)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                found = _session_().client(service, endpoint_url=endpoint_url,
                                           config=_config(attempts, read_timeout, service))
                _clients[key] = found
    return found


def credentials():
    """The session's credentials (botocore's chain; refreshable ones refresh themselves)."""
    return _session_().get_credentials()


def _session_():
    global _session
    if _session is None:
        import boto3  # heavy: imported by the first handler that talks to AWS, not at import

        _session = boto3.session.Session()
    return _session


def _config(attempts=DEFAULT_ATTEMPTS, read_timeout=5, service=None):
    from botocore.config import Config

    # S3 signs presigned URLs with SigV4 (what SSE-KMS objects require), whatever the region.
    extra = {"signature_version": "s3v4"} if service == "s3" else {}
    return Config(
        connect_timeout=2,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": attempts},
        max_pool_connections=32,
        **extra,
    )


def reset_for_tests():
    """Forget every client and the session (tests point a service elsewhere, or change credentials)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
