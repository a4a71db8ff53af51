"""Request validation from JSON Schema documents.

The request schemas are plain JSON Schema (the subset in KEYWORDS) so that the OpenAPI
document can publish the very schemas that are enforced. Where this validator could differ
from JSON Schema's meaning, it follows JSON Schema: a number with no fraction (`5.0`) is an
integer (and is handed on as `5`), and a pattern's `$` is the end of the text (Python's `$`
also matches before a final newline).
"""
import calendar
import functools
import math
import re
import unicodedata

from chalicelib.core.errors import InvalidInput

# Every keyword a request schema may use (a test holds the OpenAPI and AsyncAPI documents to
# it); additionalProperties is supported as `false` only, format as "email" and "date-time".
# `x-error-codes` is ours (an annotation to JSON Schema): {keyword: code} names the error code
# a refusal by that keyword of that schema answers with, instead of `invalid_input`.
KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "minLength", "maxLength", "pattern", "enum",
    "const", "minimum", "maximum", "items", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties", "oneOf", "anyOf", "not", "format", "description", "examples", "x-error-codes",
})
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# RFC 3339 date-time (JSON Schema's format "date-time"); the calendar is checked in code.
DATE_TIME_PATTERN = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))\Z"
)
# The characters str.strip() removes (str.isspace()), spelled so that JSON Schema (ECMA 262)
# and Python read the class alike: `\s` differs between them.
WHITESPACE_CLASS = "\\t\\n\\u000b\\u000c\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# A string holding at least one character that is not whitespace.
VISIBLE_PATTERN = f"[^{WHITESPACE_CLASS}]"

# Fragments every feature's schemas share, so a rule is decided once.
EMAIL_SCHEMA = {"type": "string", "format": "email", "maxLength": 254}
# A client's idempotency key for a send, over REST and WebSocket alike.
CLIENT_MESSAGE_ID_SCHEMA = {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,100}$"}
DEFAULT_PAGE = 50
MAX_PAGE = 100
# An opaque page position (unpadded base64url): pass back a page's `nextCursor`. Every string
# of this form names some position, so the server accepts each (chalicelib/groups/paging.py).
CURSOR_SCHEMA = {
    "type": "string", "minLength": 2, "maxLength": 512,
    "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$",
    "description": "The `nextCursor` of the previous page.",
    "x-error-codes": {"type": "invalid_cursor", "minLength": "invalid_cursor", "maxLength": "invalid_cursor",
                      "pattern": "invalid_cursor"},
}


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


def _refusal(schema, keyword, message):
    """The InvalidInput for `schema` refusing a value by `keyword`: its code is the one
    `x-error-codes` names for that keyword, else invalid_input."""
    return InvalidInput(message, schema.get("x-error-codes", {}).get(keyword))


def _check(schema, value, where):
    expected = schema.get("type")
    if expected and _is_integral_float(value) and "integer" in _listed(expected):
        value = int(value)
    if expected and not _has_type(value, expected):
        raise _refusal(schema, "type", f"{where} must be {_article(expected)}.")
    if "enum" in schema and not any(_same_json(value, choice) for choice in schema["enum"]):
        choices = ", ".join(repr(choice) for choice in schema["enum"])
        raise _refusal(schema, "enum", f"{where} must be one of {choices}.")
    if "const" in schema and not _same_json(value, schema["const"]):
        raise _refusal(schema, "const", f"{where} must be {schema['const']!r}.")
    if isinstance(value, str):
        _check_string(schema, value, where)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, where)
    elif isinstance(value, dict):
        value = _check_object(schema, value, where)
    elif isinstance(value, list):
        value = _check_array(schema, value, where)
    return _check_combinations(schema, value, where)


def _check_combinations(schema, value, where):
    """oneOf, anyOf and not: the value as the (first) matching subschema hands it on."""
    if "not" in schema and _matches(schema["not"], value, where):
        raise _refusal(schema, "not", schema["not"].get("description") or f"{where} is not allowed in this form.")
    if "anyOf" in schema:
        matched = [checked for checked in (_matched(sub, value, where) for sub in schema["anyOf"]) if checked]
        if not matched:
            raise _refusal(schema, "anyOf", _first_refusal(schema["anyOf"], value, where))
        value = matched[0][0]
    if "oneOf" in schema:
        matched = [checked for checked in (_matched(sub, value, where) for sub in schema["oneOf"]) if checked]
        if len(matched) != 1:
            if matched:
                raise _refusal(schema, "oneOf", f"{where} must match exactly one form; it matches {len(matched)}.")
            raise _refusal(schema, "oneOf", _first_refusal(schema["oneOf"], value, where))
        value = matched[0][0]
    return value


def _matched(schema, value, where):
    """(value as checked,) if `value` satisfies `schema`, else ()."""
    try:
        return (_check(schema, value, where),)
    except InvalidInput:
        return ()


def _matches(schema, value, where):
    return bool(_matched(schema, value, where))


def _first_refusal(schemas, value, where):
    """The message of the first subschema's refusal."""
    for sub in schemas:
        try:
            _check(sub, value, where)
        except InvalidInput as refused:
            return refused.message
    return f"{where} is not valid."


def _same_json(value, other):
    """JSON equality: true is not 1, 1 is 1.0, and containers compare member by member."""
    if isinstance(value, bool) or isinstance(other, bool):
        return isinstance(value, bool) and isinstance(other, bool) and value == other
    if isinstance(value, (int, float)) and isinstance(other, (int, float)):
        return value == other
    if isinstance(value, dict) and isinstance(other, dict):
        return value.keys() == other.keys() and all(_same_json(value[k], other[k]) for k in value)
    if isinstance(value, list) and isinstance(other, list):
        return len(value) == len(other) and all(_same_json(a, b) for a, b in zip(value, other))
    return type(value) is type(other) and value == other


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
            raise _refusal(schema, "minLength", f"{where} must not be empty.")
        raise _refusal(schema, "minLength", f"{where} must be at least {schema['minLength']} characters.")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _refusal(schema, "maxLength", f"{where} must be at most {schema['maxLength']} characters.")
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        raise _refusal(schema, "pattern", f"{where} is not in the expected format.")
    if schema.get("format") == "email" and (
            not EMAIL_PATTERN.fullmatch(value) or any(_is_invisible_or_control(ch) for ch in value)):
        raise _refusal(schema, "format", f"{where} must be an email address.")
    if schema.get("format") == "date-time" and not is_date_time(value):
        raise _refusal(schema, "format", f"{where} must be an RFC 3339 date-time, such as 2026-01-31T09:30:00Z.")


def is_date_time(text):
    """True if `text` is an RFC 3339 date-time (a leap second only at 23:59:60 UTC)."""
    found = DATE_TIME_PATTERN.match(text)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(found.group(n)) for n in range(1, 7))
    sign, offset_hours, offset_minutes = found.group(9), found.group(10), found.group(11)
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = 0
    if sign:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return False
        offset = (int(offset_hours) * 60 + int(offset_minutes)) * (1 if sign == "+" else -1)
    if second == 60:
        return (hour * 60 + minute - offset) % (24 * 60) == 23 * 60 + 59
    return True


def _check_number(schema, value, where):
    if "minimum" in schema and value < schema["minimum"]:
        raise _refusal(schema, "minimum", f"{where} must be at least {schema['minimum']}.")
    if "maximum" in schema and value > schema["maximum"]:
        raise _refusal(schema, "maximum", f"{where} must be at most {schema['maximum']}.")


def _check_object(schema, value, where):
    properties = schema.get("properties", {})
    if len(value) < schema.get("minProperties", 0):
        raise _refusal(schema, "minProperties", f"{where} needs at least {schema['minProperties']} field(s).")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise _refusal(schema, "maxProperties", f"{where} takes at most {schema['maxProperties']} field(s).")
    for name in schema.get("required", []):
        if name not in value:
            raise _refusal(schema, "required", f"{_join(where, name)} is required.")
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise _refusal(schema, "additionalProperties", f"{where} has unknown field(s): {', '.join(unknown)}.")
    checked = dict(value)
    for name, sub_schema in properties.items():
        if name in value:
            checked[name] = _check(sub_schema, value[name], _join(where, name))
    return checked


def _check_array(schema, value, where):
    if len(value) < schema.get("minItems", 0):
        raise _refusal(schema, "minItems", f"{where} must have at least {schema['minItems']} item(s).")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise _refusal(schema, "maxItems", f"{where} must have at most {schema['maxItems']} item(s).")
    if schema.get("uniqueItems") and any(_same_json(a, b) for i, a in enumerate(value) for b in value[i + 1:]):
        raise _refusal(schema, "uniqueItems", f"{where} must not repeat an item.")
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
