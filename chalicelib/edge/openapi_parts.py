"""The parts every operation of the OpenAPI document shares: the one error body and the error
responses, and the helpers that turn a row of openapi.py's table into an operation."""
import re

from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema
from chalicelib.edge.web import MAX_BODY_BYTES
from chalicelib.messaging.schemas import EMOJI_PATH_SCHEMA

JSON = "application/json"

ERROR_SCHEMA = object_schema({
    "error": object_schema({
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case; branch on it."},
        "message": {"type": "string", "description": "A sentence for a person."},
    })
})
_NEXT_CURSOR = {"type": ["string", "null"], "description": "Pass it as `cursor` for the next page; null on the last."}

# The error statuses, each a components/responses entry holding the one error body.
ERRORS = {
    400: ("BadRequest", "The body, query or a path id is not valid (the message names the field)."),
    401: ("Unauthorized", "No token, or one that is malformed, tampered with or expired (`token_expired`: refresh), "
                          "or whose session has ended (`session_ended`); or wrong credentials."),
    403: ("Forbidden", "Signed in, but not allowed to do this."),
    404: ("NotFound", "Unknown, or hidden from the caller (a private group, someone else's conversation)."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The current state does not allow it (see the code); nothing changed."),
    413: ("TooLarge", f"The body is over {MAX_BODY_BYTES} bytes, or a message text is too long."),
    415: ("UnsupportedMediaType", "A body that is not `application/json`."),
    429: ("TooManyRequests", "Rate limited or cooling down; retry after `Retry-After` seconds."),
    503: ("Unavailable", "A dependency (database, key service, queue) is not answering; nothing was written."),
}

def op(tag, summary, **details):
    """The description of one operation, turned into OpenAPI by build_operation."""
    return {"tag": tag, "summary": summary, **details}


def build_operation(path, *, tag, summary, answers, public=False, body=None, body_required=True, query=None, errors=()):
    """One operation. Its error responses follow from what it takes: every operation may answer
    415 (a body that is not JSON), 429 (rate limits, and the gateway's throttling) and 503; an
    authenticated one 401; one with a body, query or path ids 400; one with a body 413."""
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
        operation["requestBody"] = {"required": body_required, "content": {JSON: {"schema": body}}}
    statuses = {415, 429, 503, *errors}
    if not public:
        statuses.add(401)
    if parameters or body is not None:
        statuses.add(400)
    if body is not None:
        statuses.add(413)
    responses = {str(status): _answer(status, schema) for status, schema in answers.items()}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    operation["responses"] = responses
    return operation


def _path_parameter(name):
    return {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS.get(name, ID_SCHEMA)}


_PATH_SCHEMAS = {"emoji": EMOJI_PATH_SCHEMA}


def _answer(status, schema):
    if schema is None:
        return {"description": "Done; no body."}
    return {"description": _REASONS.get(status, "OK"), "content": {JSON: {"schema": schema}}}


_REASONS = {200: "OK", 201: "Created", 202: "Accepted"}


def _query_parameter(name, spec, required):
    return {"name": name, "in": "query", "required": required, "schema": spec}


def envelope(**fields):
    return object_schema(fields)


def page(name, item_schema):
    return object_schema({name: {"type": "array", "items": item_schema}, "nextCursor": _NEXT_CURSOR})


def error_responses():
    responses = {}
    for status, (name, description) in ERRORS.items():
        response = {"description": description, "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if status == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }}
        responses[name] = response
    return responses


def with_refs(value, names, top=False):
    """A JSON-ready copy of `value` where each component schema (found by identity) is a $ref."""
    if isinstance(value, dict):
        if not top and id(value) in names:
            return {"$ref": f"#/components/schemas/{names[id(value)]}"}
        return {key: with_refs(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [with_refs(item, names) for item in value]
    return value
