"""The parts of the OpenAPI document that every operation shares: servers, the paging
parameters (described once, referred to by every list), the error responses, whose
`error.code` is the `enum` of the error catalog's codes for that status, and the helpers that
turn a row of openapi.py's table into an operation (`op`, then `build_operation`)."""
import re

from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import CURSOR_SCHEMA, object_schema, page_limit_schema
from chalicelib.edge.errors_catalog import CATALOG, STATUSES, codes_for
from chalicelib.edge.examples import shown
from chalicelib.messaging.schemas import EMOJI_PATH_SCHEMA

JSON = "application/json"

ERROR_SCHEMA = object_schema({
    "error": object_schema({
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case; branch on it."},
        "message": {"type": "string", "description": "A sentence for a person."},
    })
})
NEXT_CURSOR = {"type": ["string", "null"], "description": "Pass it as `cursor` for the next page; null on the last."}


SERVERS = [
    {
        "url": "http://127.0.0.1:{port}",
        "description": "The local stack (`make run`; `HTTP_PORT` moves it).",
        "variables": {"port": {"default": "8000"}},
    },
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "A deployed stage (docs/deploy.md): `chalice deploy` prints its URL.",
        "variables": {
            "apiId": {"default": "abcdef1234", "description": "The REST API's id."},
            "region": {"default": "us-east-1"},
            "stage": {"default": "api", "description": "API Gateway's stage name (Chalice deploys `api`)."},
        },
    },
]

# Query parameters every paginated list shares, by name: (the schema the routes validate with,
# its components/parameters entry).
_PAGING = {
    "limit": ("Limit", page_limit_schema(), "Page size (at most 100; 50 when left out)."),
    "cursor": ("Cursor", CURSOR_SCHEMA, "Where the page starts: the previous page's `nextCursor`."),
}


def shared_parameter(name, schema):
    """A $ref to components/parameters for a paging parameter given its shared schema, else None."""
    component = _PAGING.get(name)
    if component is None or schema != component[1]:
        return None
    return {"$ref": f"#/components/parameters/{component[0]}"}


def paging_parameters():
    return {
        component: {"name": name, "in": "query", "required": False, "description": description,
                    "schema": schema, **shown(schema)}
        for name, (component, schema, description) in _PAGING.items()
    }


def _error_schema(status):
    """The body of an error of `status`: its code is one of the catalog's for that status."""
    return object_schema({
        "error": object_schema({
            "code": {"type": "string", "enum": codes_for(status), "description": "Branch on it (docs/errors.md)."},
            "message": {"type": "string", "description": "A sentence for a person."},
        })
    })


def catalog_schemas():
    """components/schemas entries: `ErrorCode` (every code) and one error body per status."""
    schemas = {"ErrorCode": {
        "type": "string", "enum": list(CATALOG),
        "description": "Every error code, with its status and meaning: docs/errors.md.",
    }}
    for status, (name, _) in STATUSES.items():
        schemas[f"{name}Error"] = _error_schema(status)
    return schemas


def error_responses():
    """components/responses: one per error status, with an example of its first code."""
    responses = {}
    for status, (name, description) in STATUSES.items():
        code = codes_for(status)[0]
        shown = {"error": {"code": code, "message": CATALOG[code][1]}}
        response = {"description": description, "content": {JSON: {
            "schema": {"$ref": f"#/components/schemas/{name}Error"}, "example": shown}}}
        if status == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
                "example": 30,
            }}
        responses[name] = response
    return responses


def op(tag, summary, **details):
    """The description of one operation, turned into OpenAPI by build_operation."""
    return {"tag": tag, "summary": summary, **details}


def build_operation(path, *, tag, summary, answers, public=False, body=None, body_required=True, query=None, errors=(),
               examples=None):
    """One operation. Its error responses follow from what it takes: every operation may answer
    415 (a body that is not JSON), 429 (rate limits, and the gateway's throttling) and 503; an
    authenticated one 401; one with a body, query or path ids 400; one with a body 413.
    Examples are generated from the schemas; `examples` ({"body" or a status: value}) overrides."""
    examples = examples or {}
    operation = {"tags": [tag], "summary": summary}
    if public:
        operation["security"] = []
    parameters = [_path_parameter(name) for name in re.findall(r"{(\w+)}", path)]
    required_query = (query or {}).get("required", ())
    parameters += [_query_parameter(name, spec, name in required_query)
                   for name, spec in (query or {}).get("properties", {}).items()]
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": {JSON: {
            "schema": body, **({"example": examples["body"]} if "body" in examples else shown(body))}}}
    statuses = {415, 429, 503, *errors}
    if not public:
        statuses.add(401)
    if parameters or body is not None:
        statuses.add(400)
    if body is not None:
        statuses.add(413)
    responses = {str(status): _answer(status, schema, examples) for status, schema in answers.items()}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{STATUSES[status][0]}"}
    operation["responses"] = responses
    return operation


def _path_parameter(name):
    schema = _PATH_SCHEMAS.get(name, ID_SCHEMA)
    return {"name": name, "in": "path", "required": True, "schema": schema, **shown(schema)}


_PATH_SCHEMAS = {"emoji": EMOJI_PATH_SCHEMA}


def _answer(status, schema, examples):
    if schema is None:
        return {"description": "Done; no body."}
    given = {"example": examples[status]} if status in examples else shown(schema)
    return {"description": _REASONS.get(status, "OK"), "content": {JSON: {"schema": schema, **given}}}


_REASONS = {200: "OK", 201: "Created", 202: "Accepted: waiting for the owner"}


def _query_parameter(name, spec, required):
    shared = shared_parameter(name, spec)
    if shared:
        return shared
    return {"name": name, "in": "query", "required": required, "schema": spec, **shown(spec)}


def envelope(**fields):
    return object_schema(fields)


def page(name, item_schema):
    return object_schema({name: {"type": "array", "items": item_schema}, "nextCursor": NEXT_CURSOR})


def with_refs(value, names, top=False):
    """A JSON-ready copy of `value` where each component schema (found by identity) is a $ref.
    A boolean `const` is spelled `{"type": "boolean", "enum": [...]}` (the same schema): client
    generators (openapi-python-client) mishandle boolean consts."""
    if isinstance(value, dict):
        if not top and id(value) in names:
            return {"$ref": f"#/components/schemas/{names[id(value)]}"}
        if isinstance(value.get("const"), bool):
            value = {"type": "boolean", **{k: v for k, v in value.items() if k != "const"}, "enum": [value["const"]]}
        return {key: with_refs(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [with_refs(item, names) for item in value]
    return value
