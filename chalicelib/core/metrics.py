"""Metrics in CloudWatch's embedded metric format (EMF): no API call on the hot path.

Code anywhere counts with `metrics.count(name, value, **dimensions)` or records a duration
with `metrics.timing(name, ms, ...)`; the `flush_metrics` middleware writes what one Lambda
invocation recorded as EMF lines on stdout when it ends, and CloudWatch Logs turns them into
metrics (namespace METRICS_NAMESPACE). Every metric carries the `Stage` dimension; a few add
one more (`Kind`, `Limit`, `Code`), so the number of metric series, and the bill, stays small.

The metric names are listed once, in NAMES, and docs/operations.md describes each.
"""
import json
import os
import sys
import threading
import time

METRICS_NAMESPACE = "SecureMessaging"
COUNT, MILLISECONDS = "Count", "Milliseconds"
# Name -> unit: every metric the code may emit (a test holds the code to this list).
NAMES = {
    "MessagesSent": COUNT,          # Kind: group | direct
    "Deliveries": COUNT,            # frames @connections accepted
    "DeliveryLag": MILLISECONDS,    # from a message's createdAt to its post
    "FanoutWait": MILLISECONDS,     # from a new message's job enqueued (SQS SentTimestamp) to its handling
    "ConnectionAnswers": COUNT,     # Code: the @connections answer (200, 403, 410, 413, 429, other)
    "Throttles": COUNT,             # Limit: the rate limit that refused a request
    "PushesSent": COUNT,
    "PushesFailed": COUNT,
    "PushesPruned": COUNT,
}
# At most this many duration samples per metric per line (EMF's limit).
_MAX_VALUES = 100


class Metrics:
    """What one invocation recorded, grouped by dimensions until flushed."""

    def __init__(self, write=None):
        self._write = write or _stdout
        self._lock = threading.Lock()  # the fan-out consumer records from its push threads
        self._pending = {}

    def count(self, name, value=1, **dimensions):
        self._record(name, value, dimensions)

    def timing(self, name, milliseconds, **dimensions):
        self._record(name, round(milliseconds, 1), dimensions)

    def flush(self):
        """Write one EMF line per set of dimensions recorded since the last flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
        stage = os.environ.get("STAGE", "dev")
        now = int(time.time() * 1000)
        for dimensions, values in pending.items():
            names = sorted(values)
            line = {
                "_aws": {
                    "Timestamp": now,
                    "CloudWatchMetrics": [{
                        "Namespace": METRICS_NAMESPACE,
                        "Dimensions": [["Stage", *[key for key, _ in dimensions]]],
                        "Metrics": [{"Name": name, "Unit": NAMES[name]} for name in names],
                    }],
                },
                "Stage": stage,
                **dict(dimensions),
                **{name: _one_or_list(values[name]) for name in names},
            }
            self._write(json.dumps(line, separators=(",", ":")))

    def _record(self, name, value, dimensions):
        if name not in NAMES:
            raise ValueError(f"unknown metric {name!r}: add it to chalicelib.core.metrics.NAMES")
        key = tuple(sorted((str(k), str(v)) for k, v in dimensions.items()))
        with self._lock:
            values = self._pending.setdefault(key, {}).setdefault(name, [])
            if NAMES[name] == COUNT:  # counts are summed: one value a line
                values[:] = [sum(values) + value]
            elif len(values) < _MAX_VALUES:  # durations are samples (EMF takes up to 100)
                values.append(value)


def _one_or_list(values):
    return values[0] if len(values) == 1 else values


def _stdout(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


metrics = Metrics()


def flush_metrics(event, get_response):
    """Chalice middleware (every kind of event): write the invocation's metrics as it ends."""
    try:
        return get_response(event)
    finally:
        metrics.flush()
