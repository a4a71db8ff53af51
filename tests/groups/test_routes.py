"""The group API through chalice.test.Client: statuses, bodies, bad input, pagination."""
import re

import pytest

from tests.helpers import call, drain_fanout_jobs, new_user

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def alice(client):
    user, token = new_user(client, "alice@example.com", "Alice")
    return user["id"], token


@pytest.fixture
def bob(client):
    user, token = new_user(client, "bob@example.com", "Bob")
    return user["id"], token


def _create(client, token, **body):
    body = {"name": "Book club", "type": "open", **body}
    status, reply, _ = call(client, "POST", "/groups/create", body, token=token)
    assert status == 201, reply
    return reply["group"]


def _groups_in_db(db):
    return db["groups"].count_documents({})


# Creating --------------------------------------------------------------------------------

def test_creating_a_group_makes_the_caller_its_owner_and_first_member(client, alice):
    alice_id, token = alice

    group = _create(client, token, name="  Book club  ", type="private", rejoinCooldownSeconds=300)

    assert set(group) == {"id", "name", "type", "ownerId", "rejoinCooldownSeconds", "memberCount", "historyVisibility",
                          "createdAt"}
    assert group["historyVisibility"] == "shared"
    assert (group["name"], group["type"], group["ownerId"]) == ("Book club", "private", alice_id)
    assert (group["rejoinCooldownSeconds"], group["memberCount"]) == (300, 1)
    assert ISO.match(group["createdAt"])
    status, mine, _ = call(client, "GET", "/groups", token=token)
    assert status == 200
    assert [(g["id"], g["membership"]["role"]) for g in mine["groups"]] == [(group["id"], "owner")]


def test_the_cooldown_defaults_to_none(client, alice):
    assert _create(client, alice[1])["rejoinCooldownSeconds"] == 0


@pytest.mark.parametrize("body", [
    {},
    {"type": "open"},
    {"name": "Club"},
    {"name": "", "type": "open"},
    {"name": "   ", "type": "open"},
    {"name": "tab\tname", "type": "open"},
    {"name": "x" * 101, "type": "open"},
    {"name": 42, "type": "open"},
    {"name": "Club", "type": "secret"},
    {"name": "Club", "type": "OPEN"},
    {"name": "Club", "type": "open", "rejoinCooldownSeconds": -1},
    {"name": "Club", "type": "open", "rejoinCooldownSeconds": 30 * 24 * 3600 + 1},
    {"name": "Club", "type": "open", "rejoinCooldownSeconds": "60"},
    {"name": "Club", "type": "open", "rejoinCooldownSeconds": 1.5},
    {"name": "Club", "type": "open", "rejoinCooldownSeconds": True},
    {"name": "Club", "type": "open", "ownerId": "someone-else"},
])
def test_bad_group_bodies_are_refused_and_create_nothing(client, db, alice, body):
    status, reply, _ = call(client, "POST", "/groups/create", body, token=alice[1])
    assert status == 400, reply
    assert reply["error"]["code"] in ("invalid_input", "invalid_name")
    assert _groups_in_db(db) == 0


@pytest.mark.parametrize("raw", ["", "not json", "[]", '"text"', "{", '{"name": NaN, "type": "open"}'])
def test_bodies_that_are_not_json_objects_are_refused(client, db, alice, raw):
    status, reply, _ = call(client, "POST", "/groups/create", token=alice[1], raw=raw)
    assert status == 400 and reply["error"]["code"] == "invalid_json"
    assert _groups_in_db(db) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
def test_creating_needs_a_valid_token(client, db, headers):
    status, _, _ = call(client, "POST", "/groups/create", {"name": "Club", "type": "open"}, headers=headers)
    assert status == 401
    assert _groups_in_db(db) == 0


# Ids in paths ----------------------------------------------------------------------------

BAD_IDS = ["short", "x" * 65, "has$dollar", "dots.dots.dots", "sp%20ace0000"]
ID_ROUTES = [
    ("GET", "/groups/{id}"),
    ("PATCH", "/groups/{id}"),
    ("GET", "/groups/{id}/members"),
    ("POST", "/groups/{id}/request/{me}"),
    ("POST", "/groups/{group}/approve/{id}"),
    ("POST", "/groups/{group}/ban/{id}"),
    ("POST", "/groups/{group}/transfer-owner/{me}/{id}"),
]


@pytest.mark.parametrize("method,template", ID_ROUTES)
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_malformed_ids_in_paths_are_bad_input(client, alice, method, template, bad_id):
    alice_id, token = alice
    group = _create(client, token)
    path = template.format(id=bad_id, me=alice_id, group=group["id"])
    status, reply, _ = call(client, method, path, {"name": "X"} if method == "PATCH" else None, token=token)
    assert status == 400, reply
    assert reply["error"]["code"] == "invalid_id"


@pytest.mark.parametrize("method,template", ID_ROUTES)
def test_unknown_groups_and_users_are_not_found(client, alice, method, template):
    alice_id, token = alice
    group = _create(client, token)
    path = template.format(id="Unknown0000000000000", me=alice_id, group=group["id"])
    status, reply, _ = call(client, method, path, {"name": "X"} if method == "PATCH" else None, token=token)
    assert status == 404, reply


# Joining and leaving ---------------------------------------------------------------------

def test_joining_an_open_group_is_immediate(client, alice, bob):
    group = _create(client, alice[1])
    bob_id, bob_token = bob

    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)

    assert status == 200
    assert reply["membership"]["userId"] == bob_id and reply["membership"]["role"] == "member"
    assert ISO.match(reply["membership"]["joinedAt"])
    _, details, _ = call(client, "GET", f"/groups/{group['id']}", token=bob_token)
    assert details["group"]["memberCount"] == 2
    joined = [job for job in drain_fanout_jobs()
              if job["event"]["type"] == "member.joined" and job["event"]["groupId"] == group["id"]]
    assert [job["event"]["userId"] for job in joined] == [bob_id]


def test_a_private_group_queues_the_request_for_the_owner(client, alice, bob):
    alice_id, alice_token = alice
    bob_id, bob_token = bob
    group = _create(client, alice_token, type="private")

    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)
    assert status == 202 and reply["request"]["state"] == "pending"

    _, queue, _ = call(client, "GET", f"/groups/{group['id']}/requests", token=alice_token)
    assert [(r["userId"], r["name"]) for r in queue["requests"]] == [(bob_id, "Bob")]
    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/approve/{bob_id}", token=alice_token)
    assert status == 200 and reply["membership"]["state"] == "member"
    _, queue, _ = call(client, "GET", f"/groups/{group['id']}/requests", token=alice_token)
    assert queue["requests"] == []


def test_a_cooldown_answers_429_with_retry_after(client, alice, bob):
    group = _create(client, alice[1], rejoinCooldownSeconds=3600)
    bob_id, bob_token = bob
    call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)
    assert call(client, "POST", f"/groups/{group['id']}/leave/{bob_id}", token=bob_token)[0] == 204

    status, reply, headers = call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)

    assert status == 429 and reply["error"]["code"] == "rejoin_cooldown"
    assert 3590 <= int(headers["Retry-After"]) <= 3600


def test_a_ban_with_a_duration_ends_then(client, alice, bob):
    group = _create(client, alice[1])
    bob_id, bob_token = bob
    call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)

    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/ban/{bob_id}", {"durationSeconds": 3600},
                            token=alice[1])

    assert status == 200
    assert reply["ban"]["userId"] == bob_id and ISO.match(reply["ban"]["bannedUntil"])
    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)
    assert status == 403 and reply["error"]["code"] == "banned"
    assert "until" in reply["error"]["message"]


@pytest.mark.parametrize("body", [None, {}])
def test_a_ban_without_a_duration_lasts_until_lifted(client, alice, bob, body):
    group = _create(client, alice[1])
    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/ban/{bob[0]}", body, token=alice[1])
    assert status == 200 and reply["ban"]["bannedUntil"] is None
    assert call(client, "POST", f"/groups/{group['id']}/unban/{bob[0]}", token=alice[1])[0] == 204
    assert call(client, "POST", f"/groups/{group['id']}/request/{bob[0]}", token=bob[1])[0] == 200


@pytest.mark.parametrize("body", [
    {"durationSeconds": 0}, {"durationSeconds": -5}, {"durationSeconds": "60"}, {"durationSeconds": 1.5},
    {"durationSeconds": 366 * 24 * 3600}, {"durationSeconds": None}, {"reason": "spam"},
])
def test_bad_ban_bodies_are_refused_and_ban_nobody(client, alice, bob, body):
    group = _create(client, alice[1])
    call(client, "POST", f"/groups/{group['id']}/request/{bob[0]}", token=bob[1])

    status, _, _ = call(client, "POST", f"/groups/{group['id']}/ban/{bob[0]}", body, token=alice[1])

    assert status == 400
    _, members, _ = call(client, "GET", f"/groups/{group['id']}/members", token=bob[1])
    assert bob[0] in [member["userId"] for member in members["members"]]


def test_ownership_moves_and_then_the_old_owner_may_leave(client, alice, bob):
    alice_id, alice_token = alice
    bob_id, bob_token = bob
    group = _create(client, alice_token)
    call(client, "POST", f"/groups/{group['id']}/request/{bob_id}", token=bob_token)
    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/leave/{alice_id}", token=alice_token)
    assert status == 409 and reply["error"]["code"] == "owner_cannot_leave"

    status, reply, _ = call(client, "POST", f"/groups/{group['id']}/transfer-owner/{alice_id}/{bob_id}",
                            token=alice_token)

    assert status == 200 and reply["group"]["ownerId"] == bob_id
    assert call(client, "POST", f"/groups/{group['id']}/leave/{alice_id}", token=alice_token)[0] == 204
    _, members, _ = call(client, "GET", f"/groups/{group['id']}/members", token=bob_token)
    assert [(m["userId"], m["role"], m["name"]) for m in members["members"]] == [(bob_id, "owner", "Bob")]


# Settings --------------------------------------------------------------------------------

@pytest.mark.parametrize("body,code", [
    ({}, "nothing_to_change"),
    ({"type": "private"}, "invalid_input"),
    ({"name": ""}, "invalid_input"),
    ({"name": "  "}, "invalid_name"),
    ({"rejoinCooldownSeconds": -1}, "invalid_input"),
    ({"ownerId": "Someone0000000000000"}, "invalid_input"),
])
def test_bad_settings_are_refused_and_change_nothing(client, db, alice, body, code):
    group = _create(client, alice[1])
    status, reply, _ = call(client, "PATCH", f"/groups/{group['id']}", body, token=alice[1])
    assert status == 400 and reply["error"]["code"] == code
    assert call(client, "GET", f"/groups/{group['id']}", token=alice[1])[1]["group"] == group


def test_the_owner_renames_the_group_and_changes_its_cooldown(client, alice):
    group = _create(client, alice[1])
    status, reply, _ = call(client, "PATCH", f"/groups/{group['id']}",
                            {"name": "Readers", "rejoinCooldownSeconds": 60}, token=alice[1])
    assert status == 200
    assert (reply["group"]["name"], reply["group"]["rejoinCooldownSeconds"]) == ("Readers", 60)


# Reading in pages ------------------------------------------------------------------------

def _all_pages(client, token, path, key, limit):
    items, cursor, pages = [], None, 0
    while True:
        query = ("&" if "?" in path else "?") + f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, reply, _ = call(client, "GET", path + query, token=token)
        assert status == 200, reply
        assert len(reply[key]) <= limit
        items += reply[key]
        pages += 1
        cursor = reply["nextCursor"]
        if cursor is None:
            return items, pages


def test_members_come_in_pages_without_repeats(client, alice):
    group = _create(client, alice[1])
    joined = {alice[0]}
    for index in range(6):
        user, token = new_user(client, f"member{index}@example.com", f"Member {index}")
        call(client, "POST", f"/groups/{group['id']}/request/{user['id']}", token=token)
        joined.add(user["id"])

    members, pages = _all_pages(client, alice[1], f"/groups/{group['id']}/members", "members", 3)

    assert [member["userId"] for member in members] == sorted(joined)
    assert pages == 3


def test_discovery_finds_open_groups_by_name_prefix_in_pages(client, alice, bob):
    for name, kind in [("Chess club", "open"), ("chess masters", "open"), ("Chess secrets", "private"),
                       ("Cooking", "open"), ("Chessboard", "open")]:
        _create(client, alice[1], name=name, type=kind)

    found, pages = _all_pages(client, bob[1], "/groups/discover?q=CHESS", "groups", 2)

    assert [group["name"] for group in found] == ["Chess club", "chess masters", "Chessboard"]
    assert pages == 2
    _, everything, _ = call(client, "GET", "/groups/discover", token=bob[1])
    assert len(everything["groups"]) == 4 and everything["nextCursor"] is None


def test_my_groups_come_in_pages(client, alice, bob):
    for index in range(5):
        group = _create(client, alice[1], name=f"Group {index}")
        call(client, "POST", f"/groups/{group['id']}/request/{bob[0]}", token=bob[1])
    mine, _ = _all_pages(client, bob[1], "/groups", "groups", 2)
    assert len({group["id"] for group in mine}) == 5
    assert {group["membership"]["role"] for group in mine} == {"member"}


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=ten", "limit=", "cursor=", "cursor=%21%21%21", "cursor=A", "cursor=abcde",
    "sort=name",
])
@pytest.mark.parametrize("path", ["/groups", "/groups/discover", "/groups/{group}/members"])
def test_bad_paging_is_refused(client, alice, query, path):
    group = _create(client, alice[1])
    status, reply, _ = call(client, "GET", path.format(group=group["id"]) + "?" + query, token=alice[1])
    assert status == 400, reply
    if query.startswith("cursor="):
        assert reply["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("cursor", ["WyJhIiwiYiIsImMiXQ", "WzFd", "bm90IGpzb24", "AA", "____"])
@pytest.mark.parametrize("path", ["/groups", "/groups/discover", "/groups/{group}/members"])
def test_any_well_formed_cursor_is_a_position_to_page_on_from(client, alice, cursor, path):
    # The OpenAPI document admits every unpadded base64url string: so does the server.
    group = _create(client, alice[1])
    status, reply, _ = call(client, "GET", path.format(group=group["id"]) + "?cursor=" + cursor, token=alice[1])
    assert status == 200, reply


def test_no_request_a_client_can_make_gets_a_server_error(client, alice):
    group = _create(client, alice[1])
    weird = ["%00", "%FF%FE", "a" * 2000, "..", "{groupId}", "null"]
    for value in weird:
        for method, template in ID_ROUTES + [("POST", "/groups/{id}/leave/{id}"), ("GET", "/groups/discover?q={id}")]:
            path = template.format(id=value, me=alice[0], group=group["id"])
            status, _, _ = call(client, method, path, token=alice[1])
            assert status < 500, (method, path, status)
