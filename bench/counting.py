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
import os
import sys
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
        self.queries = []  # the shape of each MongoDB command: collection, command, filter fields

    def as_dict(self):
        return {
            "mongo": sum(self.mongo.values()),
            "aws": sum(self.aws.values()),
            "mongoCommands": dict(sorted(self.mongo.items())),
            "awsCalls": dict(sorted(self.aws.items())),
            "queries": self.queries,
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


def _record(kind, name, shape=None):
    with _lock:
        for work in _active:
            getattr(work, kind)[name] += 1
            if shape is not None:
                work.queries.append(shape)


def query_shape(command_name, command):
    """{"collection", "command", "filters": [[field, ...], ...]}: the fields each filter of a
    command names at its top level (or inside a top-level $and), values left out; an aggregate's
    `$lookup` sub-pipelines are listed under "lookups", each with its collection and filter."""
    collection = command.get(command_name)
    if command_name == "find":
        filters = [command.get("filter") or {}]
    elif command_name == "findAndModify":
        filters = [command.get("query") or {}]
    elif command_name in ("update", "delete"):
        key = "updates" if command_name == "update" else "deletes"
        filters = [statement.get("q") or {} for statement in command.get(key, [])]
    elif command_name == "aggregate":
        filters = [stage["$match"] for stage in command.get("pipeline", [])[:1] if "$match" in stage]
    elif command_name in ("count", "distinct"):
        filters = [command.get("query") or {}]
    else:
        filters = []
    shape = {"collection": collection, "command": command_name, "filters": [_fields(f) for f in filters]}
    if command_name == "aggregate":  # a batch of reads (chalicelib/storage/batch.py): each $lookup's own query
        lookups = [stage["$lookup"] for stage in command.get("pipeline", []) if "pipeline" in stage.get("$lookup", {})]
        if lookups:
            shape["lookups"] = [{"collection": lookup["from"], "command": "find",
                                 "filters": [_fields(s["$match"]) for s in lookup["pipeline"][:1] if "$match" in s]}
                                for lookup in lookups]
            if collection == 1:  # on the database ($documents): name what it reads
                shape["collection"] = "+".join(lookup["from"] for lookup in lookups)
    if command_name == "insert":  # what each new document carries (its shard key, say)
        shape["documents"] = [sorted(document) for document in command.get("documents", [])]
    return shape


def _fields(query):
    fields = set()
    for name, value in query.items():
        if name == "$and":
            for part in value:
                fields.update(_fields(part))
        elif not name.startswith("$"):
            fields.add(name)
    return sorted(fields)


_APP_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_APP_CODE = (os.path.join(_APP_ROOT, "chalicelib") + os.sep, os.path.join(_APP_ROOT, "app.py"))
_STORAGE = os.path.join(_APP_ROOT, "chalicelib", "storage") + os.sep
_HELPERS = (_STORAGE, os.path.join(_APP_ROOT, "chalicelib", "core") + os.sep,
            os.path.join(_APP_ROOT, "chalicelib", "crypto") + os.sep)


def origin(frame):
    """Why a command is made: the app's storage function that made it, any core or crypto
    helper in between, and the use case that called them, as
    "storage/throttles.py:hit <- core/limits.py:take <- messaging/messages.py:send"."""
    parts = []  # (module, "module:function"), the innermost function of each module met
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_APP_CODE):
            module = os.path.relpath(path, _APP_CODE[0])
            if not parts or parts[-1][0] != module:
                parts.append((module, f"{module}:{frame.f_code.co_name}"))
            if not path.startswith(_HELPERS):
                break
        frame = frame.f_back
    return " <- ".join(where for _, where in parts) or "?"


class _CommandCounter(monitoring.CommandListener):
    """A pymongo CommandListener that counts every command started (and notes where from)."""

    def started(self, event):
        shape = query_shape(event.command_name, event.command)
        if _active:  # pymongo calls this in the thread that sends the command
            shape["why"] = origin(sys._getframe(1))
        _record("mongo", event.command_name, shape)

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
