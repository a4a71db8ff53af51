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


# The keywords beyond the first subset: combinations, const, object and array counts, the
# date-time format, and `x-error-codes` (our annotation: the code a keyword's refusal answers).
COMBINED = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 3,
    "x-error-codes": {"minProperties": "nothing_to_change", "oneOf": "pick_one"},
    "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    "properties": {
        "a": {"type": "string"},
        "b": {"type": "string"},
        "fixed": {"const": True},
        "set": {"type": "array", "uniqueItems": True, "x-error-codes": {"uniqueItems": "repeated"}},
        "either": {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string", "maxLength": 1}]},
        "not_x": {"type": "string", "not": {"const": "x"}},
        "at": {"type": "string", "format": "date-time"},
    },
}


@pytest.mark.parametrize("body", [
    {"a": "1"}, {"b": "1", "fixed": True}, {"a": "1", "set": [1, "1", True]}, {"a": "1", "either": 10},
    {"a": "1", "either": "z"}, {"a": "1", "not_x": "y"}, {"a": "1", "at": "2026-02-28T23:59:59.5+01:00"},
    {"a": "1", "at": "2016-12-31T23:59:60Z"}, {"a": "1", "at": "2026-01-01t00:00:00z"},
])
def test_combinations_and_counts_accept(body):
    assert validate(COMBINED, body) == body


@pytest.mark.parametrize("body, code, message", [
    ({}, "nothing_to_change", "at least 1 field"),
    ({"a": "1", "fixed": True, "set": [], "either": 10}, "invalid_input", "at most 3 field"),
    ({"fixed": True}, "pick_one", "a is required"),
    ({"a": "1", "b": "2"}, "pick_one", "exactly one"),
    ({"a": "1", "fixed": 1}, "invalid_input", "must be True"),  # 1 is not true in JSON
    ({"a": "1", "set": [1, 1.0]}, "repeated", "must not repeat"),
    ({"a": "1", "either": 9}, "invalid_input", "either"),
    ({"a": "1", "either": "zz"}, "invalid_input", "either"),
    ({"a": "1", "not_x": "x"}, "invalid_input", "not allowed"),
    ({"a": "1", "at": "2026-02-29T00:00:00Z"}, "invalid_input", "RFC 3339"),
    ({"a": "1", "at": "2026-01-01T12:00:60Z"}, "invalid_input", "RFC 3339"),
    ({"a": "1", "at": "2026-01-01 00:00:00Z"}, "invalid_input", "RFC 3339"),
    ({"a": "1", "at": "2026-01-01T00:00:00"}, "invalid_input", "RFC 3339"),
])
def test_combinations_and_counts_refuse_with_the_code_named(body, code, message):
    with pytest.raises(InvalidInput) as raised:
        validate(COMBINED, body)
    assert raised.value.code == code and message in raised.value.message


def test_visible_pattern_is_what_strip_leaves_for_every_code_point():
    # The text schemas publish VISIBLE_PATTERN; the use cases refuse text whose strip() is empty.
    import re
    import sys

    from chalicelib.core.validation import VISIBLE_PATTERN

    visible = re.compile(VISIBLE_PATTERN)
    differ = [hex(point) for point in range(sys.maxunicode + 1)
              if not 0xD800 <= point < 0xE000 and bool(visible.search(chr(point))) == chr(point).isspace()]
    assert not differ
