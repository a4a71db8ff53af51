"""S3's checks of a browser upload's POST policy, which moto does not make (it stores any
form): the policy has not expired, every condition holds (exact fields, `starts-with`,
`content-length-range` against the file's real length) and every form field is one the
policy names. The signature is not checked: moto's server does not know the signer's secret.

`refusal(fields, file_length, now)` is pure; devstack/moto_main.py calls it from moto's own
POST handler, so the local stack refuses what S3 would, with S3's error codes.
"""
import base64
import json
from datetime import datetime, timezone

# Form fields S3 does not match against the policy's conditions.
_UNCHECKED = {"policy", "x-amz-signature", "file", "awsaccesskeyid", "signature", "x-ignore"}


def refusal(fields, file_length, now=None):
    """(HTTP status, S3 error code, message) if S3 would refuse this upload; None if it accepts.

    `fields` are the form's fields and `bucket`, the bucket named by the URL."""
    now = now or datetime.now(timezone.utc)
    fields = {name.lower(): value for name, value in fields.items()}
    if "policy" not in fields:
        return 403, "AccessDenied", "An upload form needs a policy."
    try:
        policy = json.loads(base64.b64decode(fields["policy"]))
        expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        conditions = policy["conditions"]
    except (ValueError, KeyError, TypeError):
        return 400, "InvalidPolicyDocument", "The policy is not a valid policy document."
    if now >= expires:
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    named = set()
    for condition in conditions:
        if isinstance(condition, dict):
            for name, expected in condition.items():
                named.add(name.lower())
                if fields.get(name.lower()) != expected:
                    return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}"
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if file_length > high:
                return 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
            if file_length < low:
                return 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size."
        else:
            operator, name, value = condition
            name = name.lstrip("$").lower()
            named.add(name)
            actual = fields.get(name, "")
            if (operator == "eq" and actual != value) or (operator == "starts-with" and not actual.startswith(value)):
                return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}"
    extra = sorted(set(fields) - named - _UNCHECKED)
    if extra:
        return 403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}"
    return None
