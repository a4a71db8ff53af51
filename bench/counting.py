"""Exact counts of the work a handler does: MongoDB commands (pymongo's command monitoring)
and AWS API calls (botocore's `before-call` event on the app's clients, chalicelib/core/aws.py).

    with counting() as work:
        handler(event, context)
    work.mongo   # Counter: {"find": 3, "insert": 1, ...}
    work.aws     # Counter: {"SQS.SendMessage": 1, ...}

The command listener must be registered before the process's MongoClient is created;
`install()` does that (and forgets an existing client, so the next one is monitored).
"""
import collections
import contextlib
import threading

from pymongo import monitoring

_lock = threading.Lock()
_active = []  # the Work objects currently counting
_installed = False
_HOOK_ID = "bench-counting"


class Work:
    def __init__(self):
        self.mongo = collections.Counter()
        self.aws = collections.Counter()

    def as_dict(self):
        return {
            "mongo": sum(self.mongo.values()),
            "aws": sum(self.aws.values()),
            "mongoCommands": dict(sorted(self.mongo.items())),
            "awsCalls": dict(sorted(self.aws.items())),
        }


def install():
    """Register the MongoDB command listener (once per process); call before any handler runs."""
    global _installed
    if _installed:
        return
    from chalicelib import services
    from chalicelib.storage.mongo import reset_for_tests

    monitoring.register(_CommandCounter())
    # A client made before the listener would not report to it: start a new one, and forget
    # the services built on the old one.
    reset_for_tests()
    services.forget_all()
    _installed = True


@contextlib.contextmanager
def counting():
    """Count the MongoDB commands and AWS calls made (by any thread) inside the block."""
    install()
    _hook_aws_clients()
    work = Work()
    with _lock:
        _active.append(work)
    try:
        yield work
    finally:
        with _lock:
            _active.remove(work)


def _record(kind, name):
    with _lock:
        for work in _active:
            getattr(work, kind)[name] += 1


class _CommandCounter(monitoring.CommandListener):
    """A pymongo CommandListener that counts every command started."""

    def started(self, event):
        _record("mongo", event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def _aws_call(model, **_):
    _record("aws", f"{model.service_model.service_id}.{model.name}".replace(" ", ""))


def _hook_aws_clients():
    """Hook the app's clients (made so far) and its session (for clients made later)."""
    from chalicelib.core import aws
    emitters = [client.meta.events for client in list(aws._clients.values())]
    emitters.append(aws._session_().events)
    for events in emitters:
        events.register("before-call", _aws_call, unique_id=_HOOK_ID)
