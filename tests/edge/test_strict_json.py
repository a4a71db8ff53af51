"""Bodies a parser could misread (issue 13, F3 and duplicate keys): 400 invalid_json, never a
500 and never a silent choice."""
import json

import pytest

from tests.helpers import call

DEEP = "[" * 20_000 + "]" * 20_000


@pytest.mark.parametrize("path", ["/register", "/login", "/messages/send", "/groups/create"])
def test_twenty_thousand_deep_json_is_invalid_json_not_a_500(client, alice, path):
    _, token = alice
    for raw in (DEEP, '{"email": ' + "[" * 20_000 + "]" * 20_000 + "}", '{"a":' * 20_000 + "1" + "}" * 20_000):
        status, body, _ = call(client, "POST", path, token=token, raw=raw[:60_000])
        assert status == 400 and body["error"]["code"] == "invalid_json", (path, status, body)


def test_nesting_past_the_limit_is_refused_even_when_small(client):
    from chalicelib.core.jsontext import MAX_DEPTH

    raw = json.dumps({"email": "a@example.com", "password": "x" * 10, "name": "n", "x": [[[]]]})
    raw = raw[:-1] + ', "deep": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
    status, body, _ = call(client, "POST", "/register", raw=raw)
    assert status == 400 and body["error"]["code"] == "invalid_json"


def test_a_key_given_twice_is_refused_rather_than_the_last_one_winning(client, alice, db):
    _, token = alice
    status, body, _ = call(client, "POST", "/groups/create", token=token,
                           raw='{"name": "Secret club", "type": "private", "type": "open"}')
    assert status == 400 and body["error"]["code"] == "invalid_json"
    assert db.groups.count_documents({}) == 0
    nested = '{"participants": ["a@example.com", "b@example.com"], "message": {"sender": "a@example.com", ' \
             '"text": "x", "text": "y"}}'
    status, body, _ = call(client, "PUT", "/messages", token=token, raw=nested)
    assert status == 400 and body["error"]["code"] == "invalid_json"
