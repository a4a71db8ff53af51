"""The parts of the OpenAPI document that every operation shares: servers, the paging
parameters (described once, referred to by every list), and the error responses, whose
`error.code` is the `enum` of the error catalog's codes for that status."""
from chalicelib.core.validation import CURSOR_SCHEMA, object_schema, page_limit_schema
from chalicelib.edge.errors_catalog import CATALOG, STATUSES, codes_for
from chalicelib.edge.examples import shown

JSON = "application/json"

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
