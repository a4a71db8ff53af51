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
from chalicelib.edge import openapi
from chalicelib.groups.schemas import CREATE_SCHEMA, PAGE_QUERY
from chalicelib.messaging.schemas import HISTORY_QUERY, SEND_SCHEMA
from tests.helpers import call

DOCUMENT = openapi.document()
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
    assert schemas["SendRequest"] == SEND_SCHEMA
    history = {p["name"]: p["schema"] for p in DOCUMENT["paths"]["/messages/{conversationId}"]["get"]["parameters"]
               if p["in"] == "query"}
    assert history == HISTORY_QUERY["properties"]
    members = DOCUMENT["paths"]["/groups/{groupId}/members"]["get"]["parameters"]
    assert {p["name"] for p in members if p["in"] == "query"} == set(PAGE_QUERY["properties"])


def test_request_schemas_use_only_keywords_the_validator_enforces():
    used = set()
    for _, _, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            used |= _keywords(parameter["schema"])
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
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    assert DOCUMENT["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]["required"] is True


def test_importing_the_app_does_not_load_or_build_the_document():
    probe = "import sys, app; print('chalicelib.edge.openapi' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"


def _resolve(schema):
    if "$ref" in schema:
        return DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _keywords(schema):
    schema = _resolve(schema)
    found = set(schema)
    for sub in schema.get("properties", {}).values():
        found |= _keywords(sub)
    if isinstance(schema.get("items"), dict):
        found |= _keywords(schema["items"])
    return found


@pytest.mark.parametrize("method,path,headers,status", [
    ("PUT", "/me", {}, 405),
    ("POST", "/register", {"Content-Type": "text/plain"}, 415),
])
def test_the_frameworks_own_refusals_have_the_documented_error_body(client, method, path, headers, status):
    answer = client.http.request(method, path, headers=headers, body=b"x")
    assert answer.status_code == status
    assert jsonschema_rs.validator_for(openapi.ERROR_SCHEMA).is_valid(json.loads(answer.body))
