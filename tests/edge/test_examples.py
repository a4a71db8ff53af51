"""The example generator: every example in the OpenAPI and AsyncAPI documents is valid against
its own schema (by a JSON Schema validator and by the server's own), explicit examples win, and
the same schema always gives the same example."""
import jsonschema_rs
import pytest

from app import app
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import CURSOR_SCHEMA, validate
from chalicelib.edge import asyncapi, openapi
from chalicelib.edge.examples import NoExample, example
from chalicelib.messaging.schemas import DIRECT_SEND_SCHEMA, SEND_SCHEMA
from chalicelib.realtime.sockets import FRAME_SCHEMAS

OPENAPI = openapi.document(app.routes)
ASYNCAPI = asyncapi.document()


def _deref(value, document):
    if isinstance(value, dict):
        if "$ref" in value:
            target = document
            for part in value["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _deref(target, document)
        return {key: _deref(item, document) for key, item in value.items()}
    if isinstance(value, list):
        return [_deref(item, document) for item in value]
    return value


def _openapi_examples():
    """(where, schema, example) for every example in the OpenAPI document."""
    found = []
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                parameter = _deref(parameter, OPENAPI)
                found.append((f"{where} ?{parameter['name']}", parameter["schema"], parameter["example"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found.append((f"{where} body", body["schema"], body["example"]))
            for status, response in operation["responses"].items():
                content = _deref(response, OPENAPI).get("content", {}).get("application/json")
                if content:
                    found.append((f"{where} {status}", content["schema"], content["example"]))
    return found


def _asyncapi_examples():
    return [(key, message["payload"], shown["payload"])
            for key, message in ASYNCAPI["components"]["messages"].items() for shown in message["examples"]]


EXAMPLES = _openapi_examples() + _asyncapi_examples()


@pytest.mark.parametrize("where,schema,shown", EXAMPLES, ids=[where for where, _, _ in EXAMPLES])
def test_each_example_is_valid_against_its_own_schema(where, schema, shown):
    document = OPENAPI if " " in where else ASYNCAPI
    resolved = _deref(schema, document)
    errors = [error.message for error in jsonschema_rs.validator_for(resolved, validate_formats=True).iter_errors(shown)]
    assert not errors, (where, shown)


@pytest.mark.parametrize("schema", [SEND_SCHEMA, DIRECT_SEND_SCHEMA, CURSOR_SCHEMA, *FRAME_SCHEMAS.values()])
def test_request_examples_are_what_the_server_accepts(schema):
    assert validate(schema, example(schema)) == example(schema)


def test_the_same_schema_always_gives_the_same_example():
    assert openapi.document(app.routes) == OPENAPI
    assert example(SEND_SCHEMA) == example(SEND_SCHEMA) == {"text": "Hello there", "groupId": example(ID_SCHEMA)}


def test_an_explicit_example_overrides_the_generated_one():
    schema = {"type": "object", "properties": {"name": {"type": "string", "examples": ["Ada"]}, "n": {"type": "integer"}}}
    assert example(schema) == {"name": "Ada", "n": 1}
    assert example({**schema, "examples": [{"name": "Grace"}]}) == {"name": "Grace"}


@pytest.mark.parametrize("schema,expected", [
    ({"enum": ["open", "private"]}, "open"),
    ({"const": 3}, 3),
    ({"type": "integer", "minimum": 5, "maximum": 9}, 5),
    ({"type": "integer", "maximum": 0, "minimum": -3}, 0),
    ({"type": "string", "minLength": 12, "maxLength": 12}, "Hello therex"),
    ({"type": "string", "format": "email"}, "ada@example.com"),
    ({"type": "string", "format": "date-time"}, "2026-01-31T09:30:00Z"),
    ({"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 2, "uniqueItems": True},
     ["ada@example.com", "grace@example.com"]),
    ({"type": ["string", "null"]}, "Hello there"),
    ({"anyOf": [{"type": "null"}, {"type": "string"}]}, None),
])
def test_it_honours_type_format_enum_pattern_and_bounds(schema, expected):
    assert example(schema) == expected


def test_a_schema_it_cannot_satisfy_asks_for_an_explicit_example():
    with pytest.raises(NoExample):
        example({"type": "string", "pattern": "^zz[0-9]{3}$"})
