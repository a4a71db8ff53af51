"""Reading JSON sent by clients (REST bodies and WebSocket frames) strictly.

Refused, as 400 `invalid_json`: anything that is not a JSON object; NaN and Infinity (not
JSON); lone surrogates (not text); a key given twice in one object (parsers disagree on which
one wins: `{"type": "private", "type": "open"}` must not mean whatever the last one says);
and nesting deeper than MAX_DEPTH (no request needs it, and a 20,000-deep document would
exhaust the parser's recursion: a RecursionError, not an answer).
"""
import json

from chalicelib.core.errors import InvalidInput

MAX_DEPTH = 32


def parse_object(raw, what="The request body"):
    """The JSON object in `raw` (str or bytes); InvalidInput(invalid_json) for anything else."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
        # JSON may spell lone surrogates ("\ud800"); they are not text and cannot be stored.
        if _depth(value) > MAX_DEPTH:
            raise InvalidInput(f"{what} nests deeper than {MAX_DEPTH} levels.", "invalid_json")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except _DuplicateKey as duplicate:
        raise InvalidInput(f"{what} names the key {duplicate.key!r} twice.", "invalid_json") from None
    except (ValueError, UnicodeError, RecursionError):
        raise InvalidInput(f"{what} is not valid JSON.", "invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object.", "invalid_json")
    return value


class _DuplicateKey(ValueError):
    def __init__(self, key):
        super().__init__("duplicate key")
        self.key = key[:64]


def _unique_keys(pairs):
    found = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _depth(value):
    """How deeply `value` nests (a scalar is 0), measured without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, level + 1) for child in children)
    return deepest
