"""The OpenAPI document: it names exactly the app's routes, is served at /openapi.json, is a
valid OpenAPI 3.1 document, and publishes the request schemas the routes enforce."""
import json
import re
import subprocess
import sys

import jsonschema_rs
import pytest
import schemathesis

from app import app
from chalicelib.accounts.schemas import REGISTER_SCHEMA
from chalicelib.core.validation import KEYWORDS
from chalicelib.edge import errors_catalog, openapi
from chalicelib.groups.schemas import CREATE_SCHEMA, PAGE_QUERY
from chalicelib.messaging.schemas import HISTORY_QUERY, SEND_SCHEMA
from tests.helpers import call

DOCUMENT = openapi.document(app.routes)
OPERATIONS = [(path, method, operation) for path, item in DOCUMENT["paths"].items() for method, operation in item.items()]


def _routes():
    return {(path, method) for path, methods in app.routes.items() for method in methods}


def test_every_route_is_documented():
    undocumented = _routes() - openapi.operations()
    assert not undocumented, f"routes missing from the OpenAPI document: {sorted(undocumented)}"


def test_every_documented_operation_is_a_route():
    unknown = openapi.operations() - _routes()
    assert not unknown, f"the OpenAPI document names operations the app does not have: {sorted(unknown)}"


def test_the_document_lists_its_operations_once_each():
    listed = [(path, method.upper()) for path, method, _ in OPERATIONS]
    assert sorted(listed) == sorted(openapi.operations()) and len(set(listed)) == len(listed)


def test_the_api_serves_it_without_a_token(client):
    status, body, headers = call(client, "GET", "/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == DOCUMENT


def test_it_is_a_valid_openapi_3_1_document():
    schemathesis.openapi.from_dict(openapi.document()).validate()  # raises naming what is wrong
    assert DOCUMENT["openapi"].startswith("3.1")
    for name, schema in DOCUMENT["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_it_publishes_the_schemas_the_routes_validate_with():
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["RegisterRequest"] == REGISTER_SCHEMA
    assert schemas["CreateGroupRequest"] == CREATE_SCHEMA
    assert _deref(schemas["SendRequest"]) == SEND_SCHEMA
    history = {p["name"]: p["schema"] for p in map(_parameter, DOCUMENT["paths"]["/messages/{conversationId}"]["get"]["parameters"])
               if p["in"] == "query"}
    assert history == HISTORY_QUERY["properties"]
    members = [_parameter(p) for p in DOCUMENT["paths"]["/groups/{groupId}/members"]["get"]["parameters"]]
    assert {p["name"]: p["schema"] for p in members if p["in"] == "query"} == PAGE_QUERY["properties"]


def test_request_schemas_use_only_keywords_the_validator_enforces():
    used = set()
    for _, _, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            used |= _keywords(_parameter(parameter)["schema"])
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body is not None:
            used |= _keywords(_resolve(body))
    assert used and used <= KEYWORDS, f"not enforced by chalicelib/core/validation.py: {sorted(used - KEYWORDS)}"


@pytest.mark.parametrize("path,method,operation", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_each_operation_answers_401_without_a_token_exactly_when_it_says_it_needs_one(client, path, method,
                                                                                       operation):
    public = operation.get("security") == []
    status, body, _ = call(client, method.upper(), re.sub(r"{\w+}", "Abcdefgh12345678", path))
    if public:
        assert (status, body["error"]["code"] if status >= 400 else None) != (401, "missing_token")
        assert "401" not in operation["responses"] or path in ("/login", "/token/refresh")  # credentials in the body
    else:
        assert status == 401 and body["error"]["code"] == "missing_token"
        assert "401" in operation["responses"]


@pytest.mark.parametrize("path,method,operation", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_every_error_status_has_the_error_body(path, method, operation):
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            name = response["$ref"].rsplit("/", 1)[-1]
            content = DOCUMENT["components"]["responses"][name]["content"]["application/json"]
            body = DOCUMENT["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[-1]]
            code = body["properties"]["error"]["properties"]["code"]
            assert code["enum"] == errors_catalog.codes_for(int(status)) and code["enum"]
    assert DOCUMENT["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]["required"] is True


def test_importing_the_app_does_not_load_or_build_the_document():
    probe = "import sys, app; print(sorted({'chalicelib.edge.openapi', 'chalicelib.edge.asyncapi'} & set(sys.modules)))"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"


def _resolve(schema):
    if "$ref" in schema:
        return DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _deref(value):
    """`value` with every components/schemas $ref replaced by the schema it names."""
    if isinstance(value, dict):
        if "$ref" in value:
            return _deref(_resolve(value))
        return {key: _deref(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deref(item) for item in value]
    return value


def _parameter(parameter):
    if "$ref" in parameter:
        return DOCUMENT["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
    return parameter


def _keywords(schema):
    schema = _resolve(schema)
    found = set(schema)
    for sub in [*schema.get("properties", {}).values(), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        found |= _keywords(sub)
    for name in ("items", "not"):
        if isinstance(schema.get(name), dict):
            found |= _keywords(schema[name])
    return found


@pytest.mark.parametrize("method,path,headers,status", [
    ("PUT", "/me", {}, 405),
    ("POST", "/register", {"Content-Type": "text/plain"}, 415),
])
def test_the_frameworks_own_refusals_have_the_documented_error_body(client, method, path, headers, status):
    answer = client.http.request(method, path, headers=headers, body=b"x")
    assert answer.status_code == status
    assert jsonschema_rs.validator_for(openapi.ERROR_SCHEMA).is_valid(json.loads(answer.body))


# Verbs an operationId may start with (its view function's name: verb_noun). A new route whose
# view is named otherwise fails here: name the view for what it does.
VERBS = {"get", "list", "find", "create", "update", "delete", "send", "read", "mark", "register", "log", "sign",
         "discover", "request", "approve", "reject", "withdraw", "leave", "kick", "ban", "unban", "transfer",
         "issue", "add", "remove", "set", "clear", "change", "reset", "refresh", "revoke", "edit", "react",
         "upload", "download", "mute", "unmute", "invite", "accept", "decline", "block", "unblock", "report", "join",
         "forget", "end", "search", "check", "put", "post", "patch", "start", "stop", "open", "close", "resolve"}


def test_every_operation_has_a_unique_verb_noun_operation_id_from_its_view_function():
    ids = [operation.get("operationId") for _, _, operation in OPERATIONS]
    assert all(ids) and len(set(ids)) == len(ids), sorted(ids)
    for path, method, operation in OPERATIONS:
        view = app.routes[path][method.upper()].view_name
        assert operation["operationId"] == openapi.operation_id(view)
        words = re.findall(r"[A-Z]?[a-z0-9]+", operation["operationId"])
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", operation["operationId"]) and len(words) >= 2, view
        assert words[0] in VERBS, f"{method.upper()} {path}: name its view verb_noun, not {view}"


def test_it_names_the_local_and_deployed_servers():
    local, deployed = DOCUMENT["servers"]
    assert local["url"].format(**{k: v["default"] for k, v in local["variables"].items()}) == "http://127.0.0.1:8000"
    assert deployed["url"].startswith("https://{apiId}.execute-api.{region}.amazonaws.com/")
    assert {"apiId", "region", "stage"} <= set(deployed["variables"])


def test_every_operation_has_a_tag_the_document_describes():
    described = {tag["name"] for tag in DOCUMENT["tags"] if tag.get("description")}
    assert all(set(operation["tags"]) <= described for _, _, operation in OPERATIONS)


def test_paging_is_described_once_and_every_list_refers_to_it():
    assert set(DOCUMENT["components"]["parameters"]) == {"Limit", "Cursor"}
    assert DOCUMENT["components"]["schemas"]["NextCursor"]["type"] == ["string", "null"]
    lists = 0
    for path, method, operation in OPERATIONS:
        parameters = operation.get("parameters", [])
        inline = {p["name"] for p in parameters if "$ref" not in p and p["in"] == "query"}
        assert "cursor" not in inline, (method, path)
        answer = json.dumps(operation["responses"].get("200", {}))
        if "nextCursor" in answer:
            lists += 1
            assert "#/components/schemas/NextCursor" in answer, (method, path)
            assert {"$ref": "#/components/parameters/Cursor"} in parameters, (method, path)
    assert lists >= 5


def test_every_operation_has_examples():
    for path, method, operation in OPERATIONS:
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        assert body is None or "example" in body, (method, path)
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            assert content is None or "example" in content, (method, path, status)
        for parameter in operation.get("parameters", []):
            assert "example" in _parameter(parameter), (method, path, parameter)
