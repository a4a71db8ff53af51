"""The request validator: each keyword as a table of accepted and refused values."""
import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import ID_SCHEMA, is_id
from chalicelib.core.validation import validate

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5},
        "email": {"type": "string", "format": "email"},
        "kind": {"enum": ["open", "private"]},
        "count": {"type": "integer", "minimum": 0, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
    },
}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "ab"},
        {"name": "abcde", "email": "a@b.co", "kind": "open", "count": 0, "tags": ["x"], "code": "ok"},
        {"name": "a", "count": 10, "tags": ["x", "y"]},
    ],
)
def test_accepts_valid_bodies(body):
    assert validate(SCHEMA, body) == body


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "body must be an object"),
        ({}, "name is required"),
        ({"name": ""}, "name must not be empty"),
        ({"name": "abcdef"}, "at most 5 characters"),
        ({"name": 5}, "name must be a string"),
        ({"name": {"$gt": ""}}, "name must be a string"),  # NoSQL-injection shape
        ({"name": "a", "extra": 1}, "unknown field(s): extra"),
        ({"name": "a", "email": "nope"}, "email must be an email address"),
        ({"name": "a", "kind": "secret"}, "kind must be one of"),
        ({"name": "a", "count": True}, "count must be an integer"),
        ({"name": "a", "count": 1.5}, "count must be an integer"),
        ({"name": "a", "count": -1}, "count must be at least 0"),
        ({"name": "a", "count": 11}, "count must be at most 10"),
        ({"name": "a", "tags": []}, "at least 1 item"),
        ({"name": "a", "tags": ["a", "b", "c"]}, "at most 2 item"),
        ({"name": "a", "tags": [1]}, "tags[0] must be a string"),
        ({"name": "a", "code": "ABC"}, "code is not in the expected format"),
    ],
)
def test_refuses_invalid_bodies_naming_the_field(body, message):
    with pytest.raises(InvalidInput) as raised:
        validate(SCHEMA, body)
    assert message in raised.value.message


@pytest.mark.parametrize(
    "schema, value",
    [
        # Python's `$` also matches before a final newline; JSON Schema's (ECMA-262) does not.
        ({"type": "string", "pattern": "^[a-z]+$"}, "abc\n"),
        ({"type": "string", "format": "email"}, "a@example.com\n"),
        ({"type": "integer"}, float("inf")),
        ({"type": "integer"}, 2.5),
    ],
)
def test_follows_json_schema_where_python_would_differ(schema, value):
    with pytest.raises(InvalidInput):
        validate(schema, value)


def test_a_whole_number_written_with_a_fraction_is_an_integer_and_handed_on_as_one():
    checked = validate(SCHEMA, {"name": "a", "count": 10.0, "tags": ["x"]})
    assert checked == {"name": "a", "count": 10, "tags": ["x"]} and isinstance(checked["count"], int)
    with pytest.raises(InvalidInput):
        validate(SCHEMA, {"name": "a", "count": 11.0})  # the limits still apply


def test_an_id_with_a_trailing_newline_is_not_an_id():
    assert is_id("abcdefgh") and not is_id("abcdefgh\n")
    with pytest.raises(InvalidInput):
        validate(ID_SCHEMA, "abcdefgh\n")


def test_an_escaped_dollar_keeps_its_meaning():
    assert validate({"type": "string", "pattern": "^a\\$"}, "a$") == "a$"
