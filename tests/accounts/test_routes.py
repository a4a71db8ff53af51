"""Accounts through the REST routes (chalice.test.Client) against the real database."""
import json

import pytest

from chalicelib.core.limits import LOGIN_FAILURES_PER_ACCOUNT
from tests.helpers import call, log_in, new_user, sign_up

PASSWORD = "correct horse battery"


def test_register_returns_the_user_without_secrets(client, db):
    status, body, _ = call(client, "POST", "/register", {"email": "Ann@Example.com", "password": PASSWORD, "name": "Ann"})
    assert status == 201
    user = body["user"]
    assert user["email"] == "ann@example.com"
    assert user["name"] == "Ann"
    assert isinstance(user["id"], str) and user["id"]
    assert user["createdAt"].endswith("Z")
    assert not {"password", "passwordHash"} & set(user)
    stored = db.users.find_one({"_id": user["id"]})
    assert stored["passwordHash"].startswith("$2b$") and PASSWORD not in json.dumps(stored, default=str)


def test_employee_sign_up_keeps_department_and_role(client):
    status, body, _ = call(client, "POST", "/employees", {
        "name": "Abby Jacobs", "email": "abby@example.com", "password": PASSWORD,
        "department": "Analytics", "role": "Software Engineer"})
    assert status == 201
    assert body["user"]["department"] == "Analytics"
    assert body["user"]["role"] == "Software Engineer"
    assert log_in(client, "ABBY@example.com")


@pytest.mark.parametrize("route", ["/register", "/employees"])
def test_emails_are_unique_case_insensitively(client, db, route):
    sign_up(client, "dup@example.com")
    status, body, _ = call(client, "POST", route, {"email": "DUP@Example.COM", "password": PASSWORD, "name": "Again"})
    assert status == 409
    assert body["error"]["code"] == "email_taken"
    assert db.users.count_documents({}) == 1


def test_a_100_character_password_counts_in_full(client):
    long_password = "x" * 72 + "y" * 28
    call(client, "POST", "/register", {"email": "long@example.com", "password": long_password, "name": "L"})
    status, _, _ = call(client, "POST", "/login", {"email": "long@example.com", "password": long_password})
    assert status == 200
    status, _, _ = call(client, "POST", "/login", {"email": "long@example.com", "password": long_password[:72]})
    assert status == 401


def test_login_returns_a_token_that_opens_me(client):
    user = sign_up(client, "me@example.com")
    status, body, _ = call(client, "POST", "/login", {"email": "me@example.com", "password": PASSWORD})
    assert status == 200
    assert body["user"] == user and body["tokenType"] == "Bearer" and body["expiresIn"] > 0
    status, me, _ = call(client, "GET", "/me", token=body["token"])
    assert status == 200 and me["user"] == user


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    sign_up(client, "known@example.com")
    wrong = call(client, "POST", "/login", {"email": "known@example.com", "password": "not the password"})
    unknown = call(client, "POST", "/login", {"email": "nobody@example.com", "password": "not the password"})
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]


def test_failed_logins_are_throttled_per_account_with_retry_after(client):
    sign_up(client, "target@example.com")
    for _ in range(LOGIN_FAILURES_PER_ACCOUNT.max_hits):
        status, _, _ = call(client, "POST", "/login", {"email": "target@example.com", "password": "wrong-password"})
        assert status == 401
    # Locked now, even with the right password: brute force gains nothing by guessing on.
    status, body, headers = call(client, "POST", "/login", {"email": "TARGET@example.com", "password": PASSWORD})
    assert status == 429
    assert body["error"]["code"] == "rate_limited"
    assert 0 < int(headers["Retry-After"]) <= LOGIN_FAILURES_PER_ACCOUNT.window_seconds
    # Another account from the same address is not locked by this one.
    sign_up(client, "other@example.com")
    assert log_in(client, "other@example.com")


def test_a_successful_login_resets_the_account_counter(client):
    sign_up(client, "reset@example.com")
    for _ in range(LOGIN_FAILURES_PER_ACCOUNT.max_hits - 1):
        call(client, "POST", "/login", {"email": "reset@example.com", "password": "wrong-password"})
    assert log_in(client, "reset@example.com")
    for _ in range(LOGIN_FAILURES_PER_ACCOUNT.max_hits - 1):
        status, _, _ = call(client, "POST", "/login", {"email": "reset@example.com", "password": "wrong-password"})
        assert status == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["none", "empty", "garbage", "basic"],
)
def test_me_refuses_missing_or_bad_tokens(client, headers):
    status, body, _ = call(client, "GET", "/me", headers=headers)
    assert status == 401
    assert body["error"]["code"] in {"missing_token", "invalid_token"}


def test_find_a_user_by_email(client):
    _, token = new_user(client, "finder@example.com")
    target = sign_up(client, "target@example.com", name="Target")
    status, body, _ = call(client, "GET", "/users/by-email?email=TARGET%40example.com", token=token)
    assert status == 200 and body["user"] == target
    status, body, _ = call(client, "GET", "/users/by-email?email=ghost%40example.com", token=token)
    assert status == 404 and body["error"]["code"] == "user_not_found"
    status, _, _ = call(client, "GET", "/users/by-email?email=target%40example.com")
    assert status == 401


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ('{"email": "a@b.co", "password": ', 400, "invalid_json"),
        ("", 400, "invalid_json"),
        ("[1, 2]", 400, "invalid_json"),
        ('{"email": "a@b.co", "password": NaN, "name": "x"}', 400, "invalid_json"),
        ('{"email": 5, "password": "12345678", "name": "x"}', 400, "invalid_input"),
        ('{"email": {"$gt": ""}, "password": "12345678", "name": "x"}', 400, "invalid_input"),
        ('{"email": "a@b.co", "password": "12345678", "name": "x", "admin": true}', 400, "invalid_input"),
        ('{"email": "a@b.co", "password": "short", "name": "x"}', 400, "invalid_input"),
        ('{"email": "not-an-email", "password": "12345678", "name": "x"}', 400, "invalid_input"),
        ('{"email": "a@b.co", "password": "12345678", "name": ""}', 400, "invalid_input"),
        ('{"email": "a@b.co", "password": "' + "p" * 1025 + '", "name": "x"}', 400, "invalid_input"),
        ('{"email": "a@b.co", "password": "12345678", "name": "' + "n" * 70000 + '"}', 413, "body_too_large"),
    ],
    ids=["truncated", "empty", "array", "nan", "wrong-type", "nosql-operator", "unknown-field", "short-password",
         "bad-email", "empty-name", "password-too-long", "body-too-large"],
)
def test_bad_registrations_get_a_clear_error_and_write_nothing(client, db, payload, status, code):
    got_status, body, _ = call(client, "POST", "/register", raw=payload)
    assert got_status == status
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert db.users.count_documents({}) == 0


def test_wrong_method_gets_a_contract_error(client):
    status, body, headers = call(client, "DELETE", "/register")
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"


def test_health_answers_ok_when_dependencies_answer(client):
    status, body, _ = call(client, "GET", "/health")
    assert status == 200 and body == {"status": "ok"}
