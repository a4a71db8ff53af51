"""Small helpers for route tests that speak JSON through chalice.test.Client."""
import json


def call(client, method, path, body=None, token=None, headers=None, raw=None):
    """Send one request; return (status, parsed JSON body or None, headers)."""
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent_headers["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    response = client.http.request(method, path, headers=sent_headers, body=payload)
    parsed = json.loads(response.body) if response.body else None
    return response.status_code, parsed, response.headers


def sign_up(client, email, password="correct horse battery", name="Test User"):
    status, body, _ = call(client, "POST", "/register", {"email": email, "password": password, "name": name})
    assert status == 201, body
    return body["user"]


def log_in(client, email, password="correct horse battery"):
    status, body, _ = call(client, "POST", "/login", {"email": email, "password": password})
    assert status == 200, body
    return body["token"]


def new_user(client, email, name="Test User"):
    """Register and log in; return (user, token)."""
    user = sign_up(client, email, name=name)
    return user, log_in(client, email)


def drain_fanout_jobs():
    """Every job waiting on the test fan-out queue (moto), removed from it."""
    from devstack.harness import drain_queue

    return drain_queue()


def make_group(db, owner_id, members=(), name="Team", group_type="open"):
    """Insert a group and its memberships directly, in the pinned document shapes
    (chalicelib/storage/groups.py, memberships.py); the group's id."""
    from chalicelib.core.clock import utcnow
    from chalicelib.core.ids import new_id

    group_id = new_id()
    db["groups"].insert_one({
        "_id": group_id, "name": name, "nameLower": name.lower(), "type": group_type,
        "ownerId": owner_id, "rejoinCooldownSeconds": 0, "createdAt": utcnow(),
    })
    set_membership(db, group_id, owner_id, "member", role="owner")
    for member_id in members:
        set_membership(db, group_id, member_id, "member")
    return group_id


def set_membership(db, group_id, user_id, state, role="member"):
    """Make `user_id`'s membership of `group_id` be `state` ("member", "pending", "banned"),
    or remove it with state None (the user left)."""
    from chalicelib.core.clock import utcnow
    from chalicelib.storage.memberships import membership_id

    if state is None:
        db["memberships"].delete_one({"_id": membership_id(group_id, user_id)})
        return
    db["memberships"].update_one(
        {"_id": membership_id(group_id, user_id)},
        {"$set": {"groupId": group_id, "userId": user_id, "state": state, "role": role, "since": utcnow()}},
        upsert=True,
    )


def capture_app_logs(level):
    """A context manager collecting the app's log lines at `level` and above, formatted as in
    production, into the StringIO it yields."""
    import contextlib
    import io
    import logging

    from chalicelib.core.logs import JsonFormatter

    @contextlib.contextmanager
    def capturing():
        logger = logging.getLogger("messaging")
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        previous = logger.level
        logger.addHandler(handler)
        logger.setLevel(level)
        try:
            yield stream
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)

    return capturing()
