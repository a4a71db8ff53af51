"""Who may do what: every group route against every relation a caller can have to a group.

The cast (tests/groups/conftest.py) is one group with its owner, a member, a pending
requester, a banned user, an outsider and an anonymous caller. `{self}` in a path is the
caller's own id. A refused call must change nothing.
"""
import pytest

ACTORS = ("owner", "member", "pending", "banned", "outsider", "anonymous")

# route -> (method, path template, body, expected status per actor, in ACTORS order)
PRIVATE_GROUP = {
    "details": ("GET", "/groups/{group}", None, (200, 200, 200, 403, 404, 401)),
    "members": ("GET", "/groups/{group}/members", None, (200, 200, 403, 403, 404, 401)),
    "requests": ("GET", "/groups/{group}/requests", None, (200, 403, 403, 403, 404, 401)),
    "bans": ("GET", "/groups/{group}/bans", None, (200, 403, 403, 403, 404, 401)),
    "update": ("PATCH", "/groups/{group}", {"name": "Renamed"}, (200, 403, 403, 403, 404, 401)),
    "request-self": ("POST", "/groups/{group}/request/{self}", None, (200, 200, 202, 403, 202, 401)),
    "request-for-other": ("POST", "/groups/{group}/request/{other}", None, (403, 403, 403, 403, 403, 401)),
    "approve": ("POST", "/groups/{group}/approve/{pending}", None, (200, 403, 403, 403, 404, 401)),
    "reject": ("POST", "/groups/{group}/reject/{pending}", None, (204, 403, 403, 403, 404, 401)),
    "withdraw-self": ("POST", "/groups/{group}/withdraw/{self}", None, (404, 404, 204, 404, 404, 401)),
    "withdraw-for-other": ("POST", "/groups/{group}/withdraw/{pending}", None, (403, 403, 204, 403, 403, 401)),
    "leave-self": ("POST", "/groups/{group}/leave/{self}", None, (409, 204, 404, 404, 404, 401)),
    "leave-for-other": ("POST", "/groups/{group}/leave/{member}", None, (403, 204, 403, 403, 403, 401)),
    "kick": ("POST", "/groups/{group}/kick/{member}", None, (204, 403, 403, 403, 404, 401)),
    "ban": ("POST", "/groups/{group}/ban/{member}", None, (200, 403, 403, 403, 404, 401)),
    "unban": ("POST", "/groups/{group}/unban/{banned}", None, (204, 403, 403, 403, 404, 401)),
    "transfer-own-id": ("POST", "/groups/{group}/transfer-owner/{self}/{member}", None,
                        (200, 403, 403, 403, 404, 401)),
    "transfer-owners-id": ("POST", "/groups/{group}/transfer-owner/{owner}/{member}", None,
                           (200, 403, 403, 403, 403, 401)),
}

# An open group shows itself to anyone signed in, but its member list only to members.
OPEN_GROUP = {
    "details": ("GET", "/groups/{group}", None, (200, 200, 200, 403, 200, 401)),
    "members": ("GET", "/groups/{group}/members", None, (200, 200, 200, 403, 403, 401)),
    "requests": ("GET", "/groups/{group}/requests", None, (200, 403, 403, 403, 403, 401)),
    "request-self": ("POST", "/groups/{group}/request/{self}", None, (200, 200, 200, 403, 200, 401)),
    "approve": ("POST", "/groups/{group}/approve/{outsider}", None, (404, 403, 403, 403, 403, 401)),
    "kick": ("POST", "/groups/{group}/kick/{member}", None, (204, 403, 403, 403, 403, 401)),
    "leave-self": ("POST", "/groups/{group}/leave/{self}", None, (409, 204, 204, 404, 404, 401)),
}


def _cases(table):
    return [(route, actor, expected[index])
            for route, (_, _, _, expected) in table.items() for index, actor in enumerate(ACTORS)]


def _snapshot(db):
    return {name: sorted(db[name].find(), key=lambda doc: doc["_id"]) for name in ("groups", "memberships")}


def _check(cast, db, table, route, actor, expected):
    method, template, body, _ = table[route]
    own_id = cast.users.get(actor, cast.users["other"])
    path = template.format(group=cast.group_id, self=own_id, **cast.users)
    before = _snapshot(db)

    status, reply, _ = cast.call(actor, method, path, body)

    assert status == expected, reply
    if status >= 400:
        assert set(reply) == {"error"} and reply["error"]["code"] and reply["error"]["message"]
        assert _snapshot(db) == before


@pytest.mark.parametrize("route,actor,expected", _cases(PRIVATE_GROUP))
def test_private_group_routes(private_cast, db, route, actor, expected):
    _check(private_cast, db, PRIVATE_GROUP, route, actor, expected)


@pytest.mark.parametrize("route,actor,expected", _cases(OPEN_GROUP))
def test_open_group_routes(open_cast, db, route, actor, expected):
    # In an open group the "pending" user joined at once: they are a plain member.
    _check(open_cast, db, OPEN_GROUP, route, actor, expected)


@pytest.mark.parametrize("code,actor,route", [
    ("not_owner", "member", "approve"),
    ("banned", "banned", "request-self"),
    ("banned", "banned", "details"),
    ("user_mismatch", "member", "request-for-other"),
    ("group_not_found", "outsider", "members"),
    ("owner_cannot_leave", "owner", "leave-self"),
    ("not_a_member", "pending", "members"),
    ("missing_token", "anonymous", "details"),
])
def test_refusals_say_why(private_cast, code, actor, route):
    method, template, body, _ = PRIVATE_GROUP[route]
    own_id = private_cast.users.get(actor, private_cast.users["other"])
    path = template.format(group=private_cast.group_id, self=own_id, **private_cast.users)
    _, reply, _ = private_cast.call(actor, method, path, body)
    assert reply["error"]["code"] == code


def test_a_private_group_looks_the_same_to_outsiders_as_no_group_at_all(private_cast):
    real = private_cast.call("outsider", "GET", private_cast.path("/groups/{group}/members"))
    missing = private_cast.call("outsider", "GET", "/groups/NoSuchGroup0000000000/members")
    assert real[:2] == missing[:2]
