"""Sessions, passwords, profile and people search through the REST routes (chalice.test.Client)
against the real database and moto's SES."""
import json
import re
import urllib.request

import pytest

from tests.helpers import call, capture_app_logs, sign_up

PASSWORD = "correct horse battery"


def login(client, email, password=PASSWORD, agent="RouteTests/1.0"):
    status, body, _ = call(client, "POST", "/login", {"email": email, "password": password},
                           headers={"User-Agent": agent})
    assert status == 200, body
    return body


def emails_to(aws_endpoint, address):
    """The texts of the emails moto's SES took for `address`, oldest first."""
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json") as answer:
        messages = json.loads(answer.read()).get("ses", {}).get("Message", [])
    return [m["body"] for m in messages if address in (m.get("destinations") or {}).get("ToAddresses", [])]


def test_login_answers_the_contract_pair(client):
    user = sign_up(client, "ann@example.com")
    body = login(client, "ann@example.com")
    assert set(body) == {"token", "refreshToken", "tokenType", "expiresIn", "sessionId", "user"}
    assert body["tokenType"] == "Bearer" and body["user"] == user and 60 <= body["expiresIn"] <= 3600


def test_refresh_rotates_and_a_reused_token_ends_the_session(client):
    sign_up(client, "ann@example.com")
    first = login(client, "ann@example.com")
    status, second, _ = call(client, "POST", "/token/refresh", {"refreshToken": first["refreshToken"]})
    assert status == 200 and set(second) == {"token", "refreshToken", "expiresIn", "sessionId"}
    assert second["sessionId"] == first["sessionId"]
    assert call(client, "GET", "/me", token=second["token"])[0] == 200

    status, body, _ = call(client, "POST", "/token/refresh", {"refreshToken": first["refreshToken"]})
    assert (status, body["error"]["code"]) == (401, "refresh_token_reused")
    for token in (first["token"], second["token"]):
        status, body, _ = call(client, "GET", "/me", token=token)
        assert (status, body["error"]["code"]) == (401, "session_ended")
    status, body, _ = call(client, "POST", "/token/refresh", {"refreshToken": second["refreshToken"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")


@pytest.mark.parametrize("body, status, code", [
    ({"refreshToken": "nope"}, 401, "invalid_refresh_token"),
    ({"refreshToken": ""}, 400, "invalid_input"),
    ({"refreshToken": {"$ne": None}}, 400, "invalid_input"),
    ({}, 400, "invalid_input"),
    ({"refreshToken": "x", "more": 1}, 400, "invalid_input"),
])
def test_bad_refresh_requests_are_refused_and_change_nothing(client, db, body, status, code):
    sign_up(client, "ann@example.com")
    login(client, "ann@example.com")
    before = list(db["sessions"].find())
    answer, reply, _ = call(client, "POST", "/token/refresh", body)
    assert (answer, reply["error"]["code"]) == (status, code)
    assert list(db["sessions"].find()) == before


def test_an_access_token_is_no_refresh_token(client):
    sign_up(client, "ann@example.com")
    first = login(client, "ann@example.com")
    status, body, _ = call(client, "POST", "/token/refresh", {"refreshToken": first["token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")
    status, body, _ = call(client, "GET", "/me", token=first["refreshToken"])
    assert (status, body["error"]["code"]) == (401, "invalid_token")


def test_refresh_tokens_are_never_logged(client):
    sign_up(client, "ann@example.com")
    with capture_app_logs("DEBUG") as logs:
        first = login(client, "ann@example.com")
        call(client, "POST", "/token/refresh", {"refreshToken": first["refreshToken"]})
        call(client, "POST", "/token/refresh", {"refreshToken": first["refreshToken"]})  # reused: logged
    assert "refresh token reused" in logs.getvalue() and first["refreshToken"] not in logs.getvalue()


def test_sessions_list_logout_and_signing_out_elsewhere(client):
    sign_up(client, "ann@example.com")
    phone = login(client, "ann@example.com", agent="Phone/2")
    laptop = login(client, "ann@example.com", agent="Laptop/3")
    status, body, _ = call(client, "GET", "/sessions", token=laptop["token"])
    assert status == 200
    listed = {session["id"]: session for session in body["sessions"]}
    assert set(listed) == {phone["sessionId"], laptop["sessionId"]}
    assert listed[laptop["sessionId"]]["current"] and not listed[phone["sessionId"]]["current"]
    assert listed[phone["sessionId"]]["userAgent"] == "Phone/2"

    assert call(client, "DELETE", f"/sessions/{phone['sessionId']}", token=laptop["token"])[0] == 204
    assert call(client, "GET", "/me", token=phone["token"])[0] == 401
    assert call(client, "DELETE", f"/sessions/{phone['sessionId']}", token=laptop["token"])[0] == 404
    assert call(client, "POST", "/logout", token=laptop["token"])[0] == 204
    assert call(client, "GET", "/me", token=laptop["token"])[0] == 401
    status, body, _ = call(client, "POST", "/token/refresh", {"refreshToken": laptop["refreshToken"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")


def test_no_one_ends_another_users_session(client, db):
    sign_up(client, "ann@example.com")
    sign_up(client, "bob@example.com")
    ann, bob = login(client, "ann@example.com"), login(client, "bob@example.com")
    for session_id in (ann["sessionId"], "Abcdefgh12345678"):
        status, body, _ = call(client, "DELETE", f"/sessions/{session_id}", token=bob["token"])
        assert (status, body["error"]["code"]) == (404, "session_not_found")
    assert call(client, "DELETE", "/sessions/bad$id", token=bob["token"])[0] == 400
    assert call(client, "GET", "/me", token=ann["token"])[0] == 200


def test_logout_all_ends_every_session(client):
    sign_up(client, "ann@example.com")
    one, two = login(client, "ann@example.com"), login(client, "ann@example.com")
    assert call(client, "POST", "/logout/all", token=one["token"])[0] == 204
    for session in (one, two):
        assert call(client, "GET", "/me", token=session["token"])[0] == 401


def test_password_change(client):
    sign_up(client, "ann@example.com")
    here, elsewhere = login(client, "ann@example.com"), login(client, "ann@example.com")
    status, body, _ = call(client, "POST", "/me/password", {"currentPassword": "wrong one", "newPassword": "x" * 12},
                           token=here["token"])
    assert (status, body["error"]["code"]) == (403, "wrong_password")
    status, body, _ = call(client, "POST", "/me/password", {"currentPassword": PASSWORD, "newPassword": "short"},
                           token=here["token"])
    assert status == 400
    assert call(client, "POST", "/me/password", {"currentPassword": PASSWORD, "newPassword": "a brand new one"},
                token=here["token"])[0] == 204
    assert call(client, "GET", "/me", token=here["token"])[0] == 200
    assert call(client, "GET", "/me", token=elsewhere["token"])[0] == 401
    assert login(client, "ann@example.com", password="a brand new one")


def test_forgot_and_reset_by_email(client, db, aws_endpoint):
    sign_up(client, "reset-me@example.com")
    session = login(client, "reset-me@example.com")
    for email in ("Reset-Me@example.com", "nobody-here@example.com"):
        status, body, _ = call(client, "POST", "/password/forgot", {"email": email})
        assert (status, body) == (202, {"status": "accepted"})
    assert emails_to(aws_endpoint, "nobody-here@example.com") == []
    (text,) = emails_to(aws_endpoint, "reset-me@example.com")
    code = re.search(r"code is (\d{8})", text).group(1)

    before = db["users"].find_one({"email": "reset-me@example.com"})["passwordHash"]
    for wrong in ({"email": "reset-me@example.com", "code": "12", "newPassword": "a new password"},
                  {"email": "nobody-here@example.com", "code": code, "newPassword": "a new password"}):
        status, body, _ = call(client, "POST", "/password/reset", wrong)
        assert (status, body["error"]["code"]) == (400, "invalid_code")
    assert db["users"].find_one({"email": "reset-me@example.com"})["passwordHash"] == before

    reset = {"email": "reset-me@example.com", "code": code, "newPassword": "a new password"}
    assert call(client, "POST", "/password/reset", reset)[0] == 204
    assert call(client, "GET", "/me", token=session["token"])[0] == 401
    assert call(client, "POST", "/password/reset", reset)[0] == 400  # used
    assert login(client, "reset-me@example.com", password="a new password")


@pytest.mark.parametrize("body, code", [
    ({"name": ""}, "invalid_input"),
    ({"name": "x" * 101}, "invalid_input"),
    ({"department": "d" * 101}, "invalid_input"),
    ({"pushPreviews": "yes"}, "invalid_input"),
    ({"email": "new@example.com"}, "invalid_input"),
])
def test_profile_edits_are_validated_as_sign_up(client, body, code):
    sign_up(client, "ann@example.com")
    token = login(client, "ann@example.com")["token"]
    status, reply, _ = call(client, "PATCH", "/me", body, token=token)
    assert (status, reply["error"]["code"]) == (400, code)


def test_profile_edit(client):
    sign_up(client, "ann@example.com")
    token = login(client, "ann@example.com")["token"]
    status, body, _ = call(client, "PATCH", "/me", {"name": "Ann Lee", "role": "Lead", "pushPreviews": True},
                           token=token)
    assert status == 200 and body["user"]["name"] == "Ann Lee" and body["user"]["pushPreviews"] is True
    assert call(client, "GET", "/me", token=token)[1]["user"] == body["user"]


def test_delete_account_and_sign_up_again(client, db):
    sign_up(client, "ann@example.com")
    session = login(client, "ann@example.com")
    status, body, _ = call(client, "DELETE", "/me", {"password": "not it"}, token=session["token"])
    assert (status, body["error"]["code"]) == (403, "wrong_password")
    status, _, _ = call(client, "POST", "/groups/create", {"name": "Mine", "type": "open"}, token=session["token"])
    assert status == 201
    status, body, _ = call(client, "DELETE", "/me", {"password": PASSWORD}, token=session["token"])
    assert (status, body["error"]["code"]) == (409, "owns_groups")
    db["groups"].delete_many({})
    db["memberships"].delete_many({})
    assert call(client, "DELETE", "/me", {"password": PASSWORD}, token=session["token"])[0] == 204
    assert call(client, "GET", "/me", token=session["token"])[0] == 401
    assert sign_up(client, "ann@example.com")["id"] != session["user"]["id"]


def test_people_search_route(client, db):
    from tests.helpers import make_group

    ann = sign_up(client, "ann@example.com", name="Ann")
    zoe = sign_up(client, "zoe@example.com", name="Zoe Quinn")
    sign_up(client, "zed@example.com", name="Zed Outsider")
    make_group(db, ann["id"], members=[zoe["id"]])
    token = login(client, "ann@example.com")["token"]
    status, body, _ = call(client, "GET", "/users/search?q=z", token=token)
    assert status == 200 and [p["id"] for p in body["people"]] == [zoe["id"]] and body["nextCursor"] is None
    assert call(client, "GET", "/users/search", token=token)[0] == 400
    assert call(client, "GET", "/users/search?q=z&limit=0", token=token)[0] == 400
    assert call(client, "GET", "/users/search?q=z&cursor=bad!", token=token)[0] == 400
    assert call(client, "GET", "/users/search?q=z")[0] == 401


def test_forgot_takes_at_least_the_floor_for_known_and_unknown_emails(client):
    import time

    from chalicelib import services

    sign_up(client, "timed@example.com")
    floor = services.current().settings.forgot_floor_seconds
    for email in ("timed@example.com", "untimed@example.com"):
        started = time.monotonic()
        assert call(client, "POST", "/password/forgot", {"email": email})[0] == 202
        assert time.monotonic() - started >= floor
