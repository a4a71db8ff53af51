"""Passwords and tokens: every way a token can be wrong is refused."""
import base64
import json
import time

import jwt
import pytest

from chalicelib.accounts.passwords import Passwords
from chalicelib.accounts.tokens import AccessToken, Tokens
from chalicelib.core.errors import NotAuthenticated
from chalicelib.edge.caller import bearer_token

SECRET = "unit-test-secret-long-enough-for-hs256-xxxxxxxx"
tokens = Tokens(SECRET, "issuer", "audience", ttl_seconds=60)


def claims(**overrides):
    now = int(time.time())
    # Long-lived: these tokens are made at collection time, minutes before a long run uses them.
    base = {"sub": "user-1", "sid": "session-1", "typ": "access", "iss": "issuer", "aud": "audience", "iat": now,
            "exp": now + 86400, "jti": "j"}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def test_issued_token_verifies_to_its_user_and_session():
    assert tokens.verify(tokens.issue("user-1", "session-1")) == AccessToken("user-1", "session-1")


def test_issued_token_carries_every_required_claim_and_is_typed():
    token = tokens.issue("u", "s")
    decoded = jwt.decode(token, SECRET, algorithms=["HS256"], audience="audience")
    assert set(decoded) == {"sub", "sid", "typ", "iss", "aud", "iat", "exp", "jti"}
    assert decoded["typ"] == "access" and jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert decoded["exp"] - decoded["iat"] == 60


def test_a_well_signed_token_of_another_type_is_refused():
    with pytest.raises(NotAuthenticated) as raised:
        tokens.verify(jwt.encode(claims(typ="refresh"), SECRET, algorithm="HS256"))
    assert raised.value.code == "invalid_token"


def _unsigned(payload):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def _tampered():
    header, payload, signature = tokens.issue("user-1", "session-1").split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "token, code",
    [
        (tokens.issue("user-1", "session-1", now=time.time() - 3600), "token_expired"),
        (_unsigned(claims()), "invalid_token"),
        (jwt.encode(claims(), "another-secret-that-is-also-long-enough", algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(), SECRET + SECRET, algorithm="HS512"), "invalid_token"),
        (_tampered(), "invalid_token"),
        (jwt.encode(claims(iss="elsewhere"), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(aud="another-app"), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(exp=None), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(jti=None), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(sub=None), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(sid=None), SECRET, algorithm="HS256"), "invalid_token"),
        (jwt.encode(claims(typ=None), SECRET, algorithm="HS256"), "invalid_token"),
        ("not.a.token", "invalid_token"),
        ("", "invalid_token"),
    ],
    ids=["expired", "alg-none", "re-signed", "other-alg", "tampered", "issuer", "audience",
         "no-exp", "no-jti", "no-sub", "no-sid", "no-typ", "garbage", "empty"],
)
def test_refuses_bad_tokens(token, code):
    with pytest.raises(NotAuthenticated) as raised:
        tokens.verify(token)
    assert raised.value.code == code


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "token abc"])
def test_refuses_malformed_authorization_headers(header):
    with pytest.raises(NotAuthenticated):
        bearer_token(header)


def test_reads_bearer_token_case_insensitively():
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_long_passwords_count_past_bcrypts_72_bytes():
    passwords = Passwords(rounds=4)
    password = "p" * 72 + "q" * 28  # 100 characters
    stored = passwords.hash(password)
    assert passwords.verify(password, stored)
    assert not passwords.verify(password[:72], stored)
    assert not passwords.verify("p" * 72 + "q" * 27 + "r", stored)


def test_non_ascii_passwords_round_trip():
    passwords = Passwords(rounds=4)
    stored = passwords.hash("pässwörd-密码-🔑")
    assert passwords.verify("pässwörd-密码-🔑", stored)
    assert not passwords.verify("passwörd-密码-🔑", stored)


def test_unknown_account_verify_says_no():
    assert Passwords(rounds=4).verify("anything", None) is False
