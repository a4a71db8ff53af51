"""The AsyncAPI 3.0 document of the WebSocket API: served at /asyncapi.json, accepted by the
reference parser (@asyncapi/parser, installed by `make test` from tests/contracts), publishing
the very schemas the socket validates frames with, and naming exactly the frames and events
the code has (read from the code with `ast`, so a new one fails here until documented)."""
import ast
import json
import pathlib
import subprocess

import pytest

from chalicelib.edge import asyncapi
from chalicelib.realtime.sockets import FRAME_SCHEMAS
from tests.helpers import call

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARSER = ROOT / "tests" / "contracts"
DOCUMENT = asyncapi.document()
MESSAGES = DOCUMENT["components"]["messages"]
JSON_SCHEMA_TYPES = {"string", "object", "integer", "array", "boolean", "null", "number"}


def test_the_api_serves_it_without_a_token(client):
    status, body, headers = call(client, "GET", "/asyncapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == DOCUMENT


def test_the_asyncapi_parser_accepts_it(tmp_path):
    if not (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("the AsyncAPI parser is not installed: `make test` runs `npm ci --prefix tests/contracts`")
    written = tmp_path / "asyncapi.json"
    written.write_text(json.dumps(DOCUMENT))
    answer = subprocess.run(["node", str(PARSER / "parse.mjs"), str(written)], capture_output=True, text=True,
                            timeout=120, cwd=PARSER)
    summary = json.loads(answer.stdout)
    assert answer.returncode == 0 and summary["parsed"], summary
    assert not summary["errors"] and not summary["warnings"], summary
    assert summary["messages"] == len(MESSAGES) and summary["operations"] == len(DOCUMENT["operations"])


def test_the_parser_refuses_a_broken_document(tmp_path):
    broken = json.loads(json.dumps(DOCUMENT))
    broken["operations"]["send_ping"]["action"] = "push"
    written = tmp_path / "broken.json"
    written.write_text(json.dumps(broken))
    answer = subprocess.run(["node", str(PARSER / "parse.mjs"), str(written)], capture_output=True, text=True,
                            timeout=120, cwd=PARSER)
    assert answer.returncode == 1 and json.loads(answer.stdout)["errors"]


def test_it_describes_the_connection_with_token_or_ticket():
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert {name: (scheme["type"], scheme["in"]) for name, scheme in schemes.items()} == {
        "ticket": ("httpApiKey", "query"), "token": ("httpApiKey", "query")}
    query = DOCUMENT["channels"]["socket"]["bindings"]["ws"]["query"]["properties"]
    assert set(query) == {"ticket", "token"}
    assert {server["protocol"] for server in DOCUMENT["servers"].values()} == {"ws", "wss"}


def test_client_frames_are_published_with_the_schemas_the_socket_validates_with():
    frames = {key.removeprefix("frame."): message["payload"] for key, message in MESSAGES.items()
              if key.startswith("frame.")}
    assert frames == FRAME_SCHEMAS


def test_every_frame_the_socket_handles_is_in_the_document_and_back():
    handled = _handler_actions()
    documented = {key.removeprefix("frame.") for key in MESSAGES if key.startswith("frame.")}
    assert handled == set(FRAME_SCHEMAS) == documented


def test_every_event_type_the_code_sends_is_in_the_document_and_back():
    sent = _event_types_in_code()
    documented = {key.removeprefix("event.") for key in MESSAGES if key.startswith("event.")}
    assert sent - documented == set(), f"add these to EVENTS in chalicelib/edge/asyncapi.py: {sorted(sent - documented)}"
    assert documented - sent == set(), f"documented but never sent: {sorted(documented - sent)}"
    for kind in documented:
        assert MESSAGES[f"event.{kind}"]["payload"]["properties"]["type"] == {"const": kind}


def test_every_send_operation_names_its_replies():
    replies = {name: [ref["$ref"].rsplit("/", 1)[-1] for ref in operation.get("reply", {}).get("messages", [])]
               for name, operation in DOCUMENT["operations"].items() if operation["action"] == "send"}
    assert replies["send_ping"] == ["event.pong", "event.error"]
    assert replies["send_sendMessage"] == ["event.ack", "event.error"]


def _handler_actions():
    """The actions Sockets.receive dispatches: the keys of its `handlers` dict."""
    tree = ast.parse((ROOT / "chalicelib" / "realtime" / "sockets.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "handlers" for t in node.targets):
            return {key.value for key in node.value.keys}
    raise AssertionError("no `handlers = {...}` in sockets.py")


def _event_types_in_code():
    """Every event type chalicelib sends: announce(publisher, "<type>", ...), publish_change(publisher,
    "<type>", ...) and dict literals
    {"type": "<type>", ...} (not JSON Schema's own types)."""
    found = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        if path.parts[-2] == "edge" and path.stem in {"asyncapi", "openapi", "openapi_parts", "examples"}:
            continue
        if path.parts[-2] == "core" and path.stem == "tracing":
            continue  # X-Ray segment documents ({"type": "subsegment"}), not events
        tree = ast.parse(path.read_text())
        error_codes = {id(value) for node in ast.walk(tree) if isinstance(node, ast.Dict)
                       for key, value in zip(node.keys, node.values)
                       if isinstance(key, ast.Constant) and key.value == "x-error-codes"}
        for node in ast.walk(tree):
            if id(node) in error_codes:
                continue  # {keyword: error code}, not an event
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("announce", "publish_change")
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                found.add(node.args[1].value)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if (isinstance(key, ast.Constant) and key.value == "type" and isinstance(value, ast.Constant)
                            and isinstance(value.value, str) and value.value not in JSON_SCHEMA_TYPES):
                        found.add(value.value)
    return found


def test_frame_schemas_use_only_keywords_the_validator_enforces():
    from chalicelib.core.validation import KEYWORDS

    def keywords(schema):
        found = set(schema)
        for sub in schema.get("properties", {}).values():
            found |= keywords(sub)
        return found

    used = set().union(*(keywords(schema) for schema in FRAME_SCHEMAS.values()))
    assert used <= KEYWORDS, sorted(used - KEYWORDS)


def test_every_message_has_an_example():
    assert all("payload" in shown for message in MESSAGES.values() for shown in message["examples"])
