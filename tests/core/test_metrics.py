"""Embedded-metric-format lines: the shape CloudWatch parses, one line per dimension set, and
the middleware that writes an invocation's metrics (here: a rate limit refusing a login)."""
import ast
import json
import pathlib
import threading

import pytest

from chalicelib.core.metrics import METRICS_NAMESPACE, NAMES, Metrics
from tests.helpers import call

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _recorder():
    lines = []
    return Metrics(write=lambda line: lines.append(json.loads(line))), lines


def test_counts_are_summed_and_durations_kept_as_samples_per_dimension_set(monkeypatch):
    monkeypatch.setenv("STAGE", "prod")
    recorder, lines = _recorder()
    recorder.count("MessagesSent", Kind="group")
    recorder.count("MessagesSent", 2, Kind="group")
    recorder.count("MessagesSent", Kind="direct")
    recorder.timing("DeliveryLag", 12.345)
    recorder.timing("DeliveryLag", 7)
    recorder.flush()

    by_kind = {line.get("Kind"): line for line in lines}
    assert set(by_kind) == {"group", "direct", None}
    group = by_kind["group"]
    directive = group["_aws"]["CloudWatchMetrics"][0]
    assert directive == {"Namespace": METRICS_NAMESPACE, "Dimensions": [["Stage", "Kind"]],
                         "Metrics": [{"Name": "MessagesSent", "Unit": "Count"}]}
    assert (group["Stage"], group["MessagesSent"], by_kind["direct"]["MessagesSent"]) == ("prod", 3, 1)
    assert isinstance(group["_aws"]["Timestamp"], int)
    assert by_kind[None]["DeliveryLag"] == [12.3, 7]
    assert by_kind[None]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage"]]


def test_a_flush_writes_each_recording_once():
    recorder, lines = _recorder()
    recorder.count("Deliveries")
    recorder.flush()
    recorder.flush()
    assert len(lines) == 1


def test_durations_stop_at_the_emf_limit_of_100_samples():
    recorder, lines = _recorder()
    for value in range(150):
        recorder.timing("DeliveryLag", value)
    recorder.flush()
    assert len(lines[0]["DeliveryLag"]) == 100


def test_an_unknown_metric_name_is_refused():
    recorder, _ = _recorder()
    with pytest.raises(ValueError):
        recorder.count("MesagesSent")


def test_recording_from_many_threads_loses_nothing():
    recorder, lines = _recorder()
    threads = [threading.Thread(target=lambda: [recorder.count("Deliveries") for _ in range(500)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.flush()
    assert lines[0]["Deliveries"] == 4000


def test_every_metric_the_code_emits_is_declared_and_documented():
    emitted = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"count", "timing"} and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "metrics" and node.args and isinstance(node.args[0], ast.Constant)):
                emitted.add(node.args[0].value)
    assert emitted and emitted <= set(NAMES)
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert [name for name in NAMES if f"`{name}`" not in operations] == []


def test_a_refused_login_leaves_a_throttles_metric_line(client, capsys):
    for _ in range(6):
        status, _, _ = call(client, "POST", "/login", {"email": "nobody@example.com", "password": "wrong-password"})
    assert status == 429
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    throttles = [line for line in lines if "Throttles" in line]
    assert throttles and throttles[-1]["Limit"] == "login-account" and throttles[-1]["Throttles"] == 1
