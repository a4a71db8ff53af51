"""The process's one MongoClient, created on first use and reused by every invocation.

Lambda runs one request at a time per process, so a small pool suffices; a short server
selection timeout turns an unreachable database into a prompt 503 rather than a gateway
timeout. Each store calls `ensure_indexes` once per process (index creation is idempotent).
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
                    maxPoolSize=4,
                    minPoolSize=0,
                    serverSelectionTimeoutMS=3000,
                    connectTimeoutMS=3000,
                    socketTimeoutMS=10000,
                    retryWrites=True,
                    appname="secure-messaging",
                    tz_aware=True,
                )
    return _client[settings().mongo_db]


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
