"""The process's one MongoClient, created on first use and reused by every invocation.

Lambda runs one request at a time per process, so a small pool suffices (MONGO_MAX_POOL_SIZE:
2, the fan-out consumer 4); with the driver's two monitoring sockets per replica-set member
that is 8 connections per warm Lambda on a 3-member Atlas cluster, and docs/benchmarks.md
multiplies it by the concurrency caps. Idle sockets are closed after a minute
(maxIdleTimeMS), before Atlas or a NAT drops them under a frozen Lambda. Server selection
waits 5 s (an SRV lookup, TLS and auth on a cold start take 1-3 s); a query waits at most
4 s for its answer (socketTimeoutMS), so together they stay under the 10 s the socket
functions get, and a slow query becomes a 503, not a Lambda timeout. Each store calls
`ensure_indexes` once per process (index creation is idempotent).
"""
import threading

from chalicelib.core.config import settings

_lock = threading.Lock()
_client = None
_indexed = set()


def database():
    """The application database of this process's shared client."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                from pymongo import (
                    MongoClient,  # heavy import kept off paths that never touch MongoDB
                )

                config = settings()
                _client = MongoClient(
                    config.mongo_uri,
                    **client_options(config),
                    retryWrites=True,
                    appname="secure-messaging",
                    tz_aware=True,
                )
    return _client[settings().mongo_db]


def client_options(config):
    """The MongoClient options of this process (the URI may add its own, e.g. tls for SRV)."""
    return {
        "maxPoolSize": config.mongo_max_pool_size,
        "minPoolSize": 0,
        "maxIdleTimeMS": config.mongo_max_idle_time_ms,
        "serverSelectionTimeoutMS": config.mongo_server_selection_timeout_ms,
        "connectTimeoutMS": config.mongo_server_selection_timeout_ms,
        "socketTimeoutMS": config.mongo_socket_timeout_ms,
    }


def ensure_indexes_once(name, create):
    """Run `create()` the first time a store named `name` is used in this process."""
    if name in _indexed:
        return
    with _lock:
        if name not in _indexed:
            create()
            _indexed.add(name)


def reset_for_tests():
    """Forget the client (tests point a new process-wide URI at a fresh server)."""
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
        _indexed.clear()
