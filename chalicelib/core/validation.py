"""Request validation from JSON Schema documents.

The request schemas are plain JSON Schema (the subset in KEYWORDS) so that the OpenAPI
document can publish the very schemas that are enforced. Where this validator could differ
from JSON Schema's meaning, it follows JSON Schema: a number with no fraction (`5.0`) is an
integer (and is handed on as `5`), and a pattern's `$` is the end of the text (Python's `$`
also matches before a final newline).
"""
import functools
import math
import re
import unicodedata

from chalicelib.core.errors import InvalidInput

# Every keyword a request schema may use (a test holds the OpenAPI document to it);
# additionalProperties is supported as `false` only, format as "email" only.
KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "minLength", "maxLength", "pattern", "enum",
    "minimum", "maximum", "items", "minItems", "maxItems", "format", "description",
})
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

# Fragments every feature's schemas share, so a rule is decided once.
EMAIL_SCHEMA = {"type": "string", "format": "email", "maxLength": 254}
# A client's idempotency key for a send, over REST and WebSocket alike.
CLIENT_MESSAGE_ID_SCHEMA = {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,100}$"}
DEFAULT_PAGE = 50
MAX_PAGE = 100


def page_limit_schema(maximum=MAX_PAGE, default=DEFAULT_PAGE):
    """The `limit` query parameter of a paginated list."""
    return {"type": "integer", "minimum": 1, "maximum": maximum, "description": f"Page size (default {default})."}


def normalise_email(email):
    """Emails compare case-insensitively and by their NFKC form (a full-width "ａ" is "a"):
    store and look them up in one form. InvalidInput if that form is no plain address (an
    invisible, control or format character has no business in one)."""
    email = unicodedata.normalize("NFKC", email).strip().lower()
    if not EMAIL_PATTERN.fullmatch(email) or any(_is_invisible_or_control(ch) for ch in email):
        raise InvalidInput("email must be an email address.", "invalid_email")
    return email


def clean_name(value, where="name"):
    """A person's or group's name in NFKC form, trimmed; InvalidInput if it holds a control or
    format character (NUL, ESC, newlines, bidi overrides, zero-width spaces) or nothing visible.

    The zero-width joiner and non-joiner stay allowed between visible characters: some
    scripts and emoji need them.
    """
    value = unicodedata.normalize("NFKC", value).strip()
    if any(_is_invisible_or_control(ch) and ch not in _JOINERS for ch in value):
        raise InvalidInput(f"{where} must not contain control or invisible formatting characters.", "invalid_name")
    if is_blank(value):
        raise InvalidInput(f"{where} must have a visible character.", "invalid_name")
    return value


def is_blank(text):
    """True if `text` shows nothing: only whitespace, control, format (zero-width, bidi) or
    other invisible characters. Such a message is empty."""
    return all(ch.isspace() or _is_invisible_or_control(ch) or ch in _INVISIBLE for ch in text)


# Characters that render as nothing but are not in a control or format category.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
_JOINERS = frozenset("\u200c\u200d")


def _is_invisible_or_control(ch):
    # Cc control (NUL, ESC, newline), Cf format (zero-width, bidi), Cs/Co/Cn, Zl/Zp separators.
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")

_PY_TYPES = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": type(None),
}


def validate(schema, value, where="body"):
    """`value` if it satisfies `schema` (integral numbers as ints); else InvalidInput naming the field."""
    return _check(schema, value, where)


def object_schema(required, optional=None):
    """The schema of an object with exactly these fields: `required` and `optional` map names to schemas."""
    return {
        "type": "object",
        "required": list(required),
        "additionalProperties": False,
        "properties": {**required, **(optional or {})},
    }


def _check(schema, value, where):
    expected = schema.get("type")
    if expected and _is_integral_float(value) and "integer" in _listed(expected):
        value = int(value)
    if expected and not _has_type(value, expected):
        raise InvalidInput(f"{where} must be {_article(expected)}.")
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(repr(choice) for choice in schema["enum"])
        raise InvalidInput(f"{where} must be one of {choices}.")
    if isinstance(value, str):
        _check_string(schema, value, where)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, where)
    elif isinstance(value, dict):
        value = _check_object(schema, value, where)
    elif isinstance(value, list):
        value = _check_array(schema, value, where)
    return value


def _listed(expected):
    return expected if isinstance(expected, list) else [expected]


def _is_integral_float(value):
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _has_type(value, expected):
    if isinstance(expected, list):
        return any(_has_type(value, one) for one in expected)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _PY_TYPES[expected])


def _check_string(schema, value, where):
    if len(value) < schema.get("minLength", 0):
        if schema.get("minLength") == 1:
            raise InvalidInput(f"{where} must not be empty.")
        raise InvalidInput(f"{where} must be at least {schema['minLength']} characters.")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise InvalidInput(f"{where} must be at most {schema['maxLength']} characters.")
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        raise InvalidInput(f"{where} is not in the expected format.")
    if schema.get("format") == "email" and (
            not EMAIL_PATTERN.fullmatch(value) or any(_is_invisible_or_control(ch) for ch in value)):
        raise InvalidInput(f"{where} must be an email address.")


def _check_number(schema, value, where):
    if "minimum" in schema and value < schema["minimum"]:
        raise InvalidInput(f"{where} must be at least {schema['minimum']}.")
    if "maximum" in schema and value > schema["maximum"]:
        raise InvalidInput(f"{where} must be at most {schema['maximum']}.")


def _check_object(schema, value, where):
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            raise InvalidInput(f"{_join(where, name)} is required.")
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise InvalidInput(f"{where} has unknown field(s): {', '.join(unknown)}.")
    checked = dict(value)
    for name, sub_schema in properties.items():
        if name in value:
            checked[name] = _check(sub_schema, value[name], _join(where, name))
    return checked


def _check_array(schema, value, where):
    if len(value) < schema.get("minItems", 0):
        raise InvalidInput(f"{where} must have at least {schema['minItems']} item(s).")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise InvalidInput(f"{where} must have at most {schema['maxItems']} item(s).")
    if "items" in schema:
        return [_check(schema["items"], item, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


@functools.lru_cache(maxsize=64)
def _compiled(pattern):
    """`pattern` as Python reads it with JSON Schema's meaning: a final `$` is the end of the text."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _join(where, name):
    return name if where == "body" else f"{where}.{name}"


def _article(expected):
    if isinstance(expected, list):
        return " or ".join(_article(one) for one in expected)
    return ("an " if expected[0] in "aeiou" else "a ") + expected
