"""Deterministic examples from JSON Schemas, for the OpenAPI and AsyncAPI documents.

`example(schema)` builds one value the schema accepts: an explicit `examples` in the schema
(at any level) wins; otherwise `const`, the first `enum` choice, a string that fits the
format, pattern and lengths, a number in range, arrays of distinct items where they must be
unique, and objects with their fields (exactly one branch of a `oneOf`). The same schema always
gives the same example. tests/edge/test_examples.py validates every example in both documents
against its own schema, so a schema the generator cannot satisfy fails there (give it
`examples` then).
"""
from chalicelib.core.errors import InvalidInput
from chalicelib.core.validation import validate

# Strings tried in order for a string schema; the first that fits is used.
_CANDIDATES = (
    "Hello there", "Xk3dPq9LmN2vR7sT1aB4cQ", "msg-0001", "ada@example.com", "abc123", "a", "open", "1",
)
_BY_FORMAT = {
    "email": ("ada@example.com", "grace@example.com", "alan@example.com"),
    "date-time": ("2026-01-31T09:30:00Z", "2026-01-31T09:31:00Z", "2026-01-31T09:32:00Z"),
}


class NoExample(ValueError):
    """The generator found no value for a schema: give that schema `examples`."""


def shown(schema, key="example"):
    """{key: an example of `schema`}, or {} when none can be made: a document being served must
    never fail for want of an example (tests/edge/test_openapi.py and test_asyncapi.py then
    fail instead, naming the schema that needs `examples`)."""
    try:
        return {key: example(schema)}
    except NoExample:
        return {}


def example(schema, variant=0):
    """A value `schema` accepts; `variant` picks another one where there is a choice."""
    if not isinstance(schema, dict):
        return None
    if schema.get("examples"):
        return schema["examples"][variant % len(schema["examples"])]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][variant % len(schema["enum"])]
    if "anyOf" in schema and "type" not in schema and "properties" not in schema:
        return example(schema["anyOf"][0], variant)
    kind = _kind(schema)
    make = _MAKERS.get(kind)
    if make is None:
        raise NoExample(f"no example for {schema!r}")
    return make(schema, variant)


def _kind(schema):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((one for one in kind if one != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    return kind


def _string(schema, variant):
    minimum, maximum = schema.get("minLength", 0), schema.get("maxLength")
    candidates = _BY_FORMAT.get(schema.get("format"), ())
    candidates = candidates[variant % len(candidates):] + candidates if candidates else _rotated(variant)
    for candidate in candidates:
        for text in (candidate, _padded(candidate, minimum)):
            if _accepts(schema, text) and (maximum is None or len(text) <= maximum):
                return text
    raise NoExample(f"no string for {schema!r}: give it `examples`")


def _accepts(schema, value):
    """Whether the request validator (the server's reading of a schema) accepts `value`."""
    try:
        validate(schema, value)
    except InvalidInput:
        return False
    return True


def _rotated(variant):
    shift = variant % len(_CANDIDATES)
    return _CANDIDATES[shift:] + _CANDIDATES[:shift]


def _padded(text, minimum):
    return text + "x" * max(0, minimum - len(text))


def _integer(schema, variant):
    low = schema.get("minimum", 0)
    high = schema.get("maximum")
    value = max(low, 1 + variant)
    return value if high is None else min(value, high)


def _number(schema, variant):
    return _integer(schema, variant)


def _boolean(schema, variant):
    return variant % 2 == 0


def _null(schema, variant):
    return None


def _array(schema, variant):
    count = max(schema.get("minItems", 1), 1)
    if "maxItems" in schema:
        count = min(count, schema["maxItems"])
    items = schema.get("items", {})
    if schema.get("uniqueItems"):
        return [example(items, variant + index) for index in range(count)]
    return [example(items, variant) for _ in range(count)]


def _object(schema, variant):
    properties = schema.get("properties", {})
    required = list(schema.get("required", []))
    combined = "oneOf" in schema or "anyOf" in schema or "not" in schema
    if "oneOf" in schema or "anyOf" in schema:
        branch = (schema.get("oneOf") or schema.get("anyOf"))[0]
        required += [name for name in branch.get("required", []) if name not in required]
    # All fields where nothing forbids it (richer examples); only the needed ones next to oneOf/anyOf/not.
    names = required if combined else list(properties)
    for name in properties:
        if len(names) >= schema.get("minProperties", 0):
            break
        if name not in names:
            names.append(name)
    return {name: example(properties.get(name, {}), variant) for name in names}


_MAKERS = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
    "array": _array,
    "object": _object,
}
