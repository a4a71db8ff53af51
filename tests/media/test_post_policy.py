"""devstack/post_policy.py: the local S3 refuses what S3 refuses of an upload form."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from devstack.post_policy import refusal

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def form(conditions, expires=NOW + timedelta(minutes=5), **fields):
    policy = {"expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
    return {"policy": base64.b64encode(json.dumps(policy).encode()).decode(), "x-amz-signature": "sig", **fields}


CONDITIONS = [{"bucket": "b"}, {"key": "conversations/c/a"}, {"Content-Type": "image/png"},
              ["starts-with", "$x-amz-meta-tag", "ok"], ["content-length-range", 5, 5]]
FIELDS = {"bucket": "b", "key": "conversations/c/a", "Content-Type": "image/png", "x-amz-meta-tag": "ok-1"}


def test_a_form_that_keeps_to_its_policy_is_stored():
    assert refusal(form(CONDITIONS, **FIELDS), 5, NOW) is None


@pytest.mark.parametrize("fields, length, code", [
    (FIELDS, 6, "EntityTooLarge"),
    (FIELDS, 4, "EntityTooSmall"),
    ({**FIELDS, "Content-Type": "text/html"}, 5, "AccessDenied"),
    ({**FIELDS, "key": "elsewhere"}, 5, "AccessDenied"),
    ({**FIELDS, "x-amz-meta-tag": "bad"}, 5, "AccessDenied"),
    ({**FIELDS, "acl": "public-read"}, 5, "AccessDenied"),
], ids=["larger", "smaller", "other type", "other key", "starts-with", "extra field"])
def test_a_form_that_breaks_its_policy_is_refused(fields, length, code):
    assert refusal(form(CONDITIONS, **fields), length, NOW)[1] == code


def test_an_expired_or_missing_policy_is_refused():
    assert refusal(form(CONDITIONS, expires=NOW - timedelta(seconds=1), **FIELDS), 5, NOW)[1] == "AccessDenied"
    assert refusal(FIELDS, 5, NOW)[1] == "AccessDenied"
    assert refusal({**FIELDS, "policy": "not base64 json"}, 5, NOW)[1] == "InvalidPolicyDocument"
