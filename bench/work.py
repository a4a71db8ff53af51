"""Work per operation: the MongoDB commands and AWS calls each user-facing operation costs.

Every operation runs through the app's real handler, in this process, against the real
MongoDB wire protocol and moto, warm (as in a Lambda that already served one such request):
index creation, client set-up and key-cache misses are paid in a warm-up step first. The
counts are exact and deterministic, so `bench/budget.json` holds them and
tests/bench/test_work_budget.py fails when an operation gets more expensive.

Each authenticated operation is counted with the session cache empty (a Lambda that has not
checked this session in the last SESSION_CACHE_SECONDS), so its figure includes the session
check's one read by _id; `sessionCheck` is that read alone.
"""
import json
import os
import time
import uuid

from bench import counting
from bench.invoke import Handlers

BUDGET_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "budget.json")
PASSWORD = "bench password"
FANOUT_MEMBERS = 3  # members (one connection each) of the group in the fan-out job measured
PUSHED_MEMBERS = 2  # of a group of 3, the members offline with one phone each (the sender is online)

# What each operation is, in the order of the report.
OPERATIONS = {
    "register": "POST /register",
    "login": "POST /login (opens a session)",
    "refresh": "POST /token/refresh (rotates the refresh token)",
    "sessionCheck": "the session check of an authenticated request, session cache empty (0 within its lifetime)",
    "createGroup": "POST /groups/create",
    "join": "POST /groups/{id}/request/{userId} (open group)",
    "send": "POST /messages/send (group, warm key)",
    "firstSend": "POST /messages/send, a conversation's first message (new data key)",
    "historyPage": "GET /messages/{id}?limit=50 (50 messages, warm key cache)",
    "historyPageColdKey": "GET /messages/{id}?limit=50, key cache empty (a new Lambda)",
    "directSend": "PUT /messages (1:1, warm)",
    "edit": "PATCH /messages/{id}/{messageId} (the sender re-seals the text, warm key)",
    "delete": "DELETE /messages/{id}/{messageId} (the sender; a tombstone, no attachments)",
    "react": "PUT /messages/{id}/{messageId}/reactions/{emoji} (a new reaction, warm key)",
    "connect": "WebSocket $connect (token)",
    "wsSend": "WebSocket sendMessage frame (stores, enqueues, acks)",
    "typing": "WebSocket typing frame (enqueues the indicator for the other members)",
    "disconnect": "WebSocket $disconnect",
    "fanoutJob": f"fan-out job: group message to {FANOUT_MEMBERS} members, 1 connection each",
    "fanoutDirectJob": "fan-out job: 1:1 message to 2 participants, 1 connection each",
    "registerDevice": "POST /devices (a new token: one SNS platform endpoint)",
    "registerDeviceAgain": "POST /devices (the same token again, as an app does at each start)",
    "mute": "PUT /conversations/{id}/mute",
    "readReceipts": "GET /conversations/{id}/reads (a group's read markers, first page)",
    "fanoutPushJob": f"fan-out job: group message, sender online, {PUSHED_MEMBERS} members offline with a phone each",
    "fanoutDirectPushJob": "fan-out job: 1:1 message, the other participant offline with one phone",
}


def measure():
    """{operation: {"mongo", "aws", "mongoCommands", "awsCalls"}} for every operation."""
    counting.install()
    import app as app_module
    from chalicelib import services
    scenario = Scenario(Handlers(app_module))
    results = {}
    for name in OPERATIONS:
        prepare = getattr(scenario, name)
        prepare()()  # warm-up: the same operation once, uncounted
        operation = prepare()  # set-up (new users, connections, ...) is not counted
        services.current().sessions.forget_cache()  # the worst case: this Lambda has not checked the session
        with counting.counting() as work:
            operation()
        results[name] = work.as_dict()
    services.forget_all()
    return results


def command_lines(counts):
    """One line per MongoDB command of an operation, in the order made: the collection (a batch
    of reads names each collection it reads, joined by "+"), the command, and why: the storage
    function that made it and the use case that called it (bench/counting.py)."""
    return [f"{query['collection']} {query['command']}: {query.get('why', '?')}" for query in counts["queries"]]


def load_budget():
    with open(BUDGET_PATH, encoding="utf-8") as budget:
        return json.load(budget)


def over_budget(results, budget):
    """["<operation>: <what> <measured> > <budget>", ...] for every count above its budget."""
    problems = []
    for name, limits in budget["operations"].items():
        measured = results.get(name)
        if measured is None:
            problems.append(f"{name}: not measured")
            continue
        for kind in ("mongo", "aws"):
            if measured[kind] > limits[kind]:
                problems.append(f"{name}: {kind} {measured[kind]} > {limits[kind]} "
                                f"({measured['mongoCommands'] if kind == 'mongo' else measured['awsCalls']})")
    return problems


class Scenario:
    """Each operation's method sets it up and returns it, to be run (and counted) later."""

    def __init__(self, handlers):
        self.h = handlers
        self.do = Actions(handlers)
        self.owner = self.do.user()
        self.member = self.do.user()
        self.group = self.do.group(self.owner)
        self.do.join(self.member, self.group)
        for index in range(50):
            self.do.send(self.member, self.group, f"history {index}")

    # Accounts -------------------------------------------------------------------------------

    def register(self):
        return lambda: self.do.register(self.do.email())

    def login(self):
        email = self.do.email()
        self.do.register(email)
        return lambda: self.do.token(email)

    def refresh(self):
        email = self.do.email()
        self.do.register(email)
        refresh_token = self.do.login(email)["refreshToken"]
        return lambda: self.do.refresh(refresh_token)

    def sessionCheck(self):  # noqa: N802
        from chalicelib import services

        token = self.member["token"]
        return lambda: services.current().sessions.authenticate(token)

    # Groups ---------------------------------------------------------------------------------

    def createGroup(self):  # noqa: N802 - named as in the report
        return lambda: self.do.group(self.owner)

    def join(self):
        user = self.do.user()
        return lambda: self.do.join(user, self.group)

    # Messages -------------------------------------------------------------------------------

    def send(self):
        return lambda: self.do.send(self.member, self.group)

    def firstSend(self):  # noqa: N802
        group = self.do.group(self.owner)
        return lambda: self.do.send(self.owner, group)

    def historyPage(self):  # noqa: N802
        return lambda: self.do.history(self.member, self.group)

    def historyPageColdKey(self):  # noqa: N802
        from chalicelib import services
        def cold_history():
            # A new, empty key cache, as in a new Lambda (and everything holding the old keyring).
            services.current().forget("keyring", "publisher", "messaging", "attachments", "message_attachments",
                                      "message_lifecycle", "message_reactions", "sockets", "fanout")
            self.do.history(self.member, self.group)

        return cold_history

    def directSend(self):  # noqa: N802
        one, other = self.do.user(), self.do.user()
        self.do.direct(one, other)
        return lambda: self.do.direct(one, other)

    # Message lifecycle ----------------------------------------------------------------------

    def edit(self):
        message_id = self.do.send(self.member, self.group, "to edit")
        return lambda: self.do.edit(self.member, self.group, message_id)

    def delete(self):
        message_id = self.do.send(self.member, self.group, "to delete")
        return lambda: self.do.delete(self.member, self.group, message_id)

    def react(self):
        message_id = self.do.send(self.member, self.group, "to react to")
        return lambda: self.do.react(self.owner, self.group, message_id)

    # Real time ------------------------------------------------------------------------------

    def connect(self):
        return lambda: self.do.connect(self.member)

    def wsSend(self):  # noqa: N802
        # One connection for the warm-up and the counted frame: a frame in an open rate window.
        if not hasattr(self, "_ws_connection"):
            self._ws_connection = self.do.connect(self.member)
        frame = {"action": "sendMessage", "conversationId": self.group, "text": "over ws"}
        return lambda: self.h.ws_message(self._ws_connection, frame)

    def typing(self):
        # Typing is coalesced per user and conversation (WS_TYPING_PER_CONVERSATION): the
        # counted frame comes after the warm-up's window ended, so it is published, and its
        # counter already exists (as for anyone typing again in a conversation).
        from chalicelib.core.limits import WS_TYPING_PER_CONVERSATION

        if not hasattr(self, "_ws_connection"):
            self._ws_connection = self.do.connect(self.member)
        frame = {"action": "typing", "conversationId": self.group, "isTyping": True}

        def typing_frame():
            if getattr(self, "_typed_at", None) is not None:
                time.sleep(max(0.0, self._typed_at + WS_TYPING_PER_CONVERSATION.window_seconds + 0.2 - time.time()))
            self._typed_at = time.time()
            self.h.ws_message(self._ws_connection, frame)

        return typing_frame

    def disconnect(self):
        connection = self.do.connect(self.member)
        return lambda: self.h.ws_disconnect(connection)

    def fanoutJob(self):  # noqa: N802
        jobs = self.do.group_fanout_jobs(FANOUT_MEMBERS)
        return lambda: self._deliver(jobs)

    def fanoutDirectJob(self):  # noqa: N802
        one, other = self.do.user(), self.do.user()
        self.do.connect(one)
        self.do.connect(other)
        _drain_jobs()
        self.do.direct(one, other)
        jobs = _drain_jobs()
        return lambda: self._deliver(jobs)

    # Mobile push -----------------------------------------------------------------------------

    def registerDevice(self):  # noqa: N802
        return lambda: self.do.device(self.member)

    def registerDeviceAgain(self):  # noqa: N802
        push_token = self.do.device(self.member)
        return lambda: self.do.device(self.member, push_token)

    def mute(self):
        return lambda: self.do.mute(self.member, self.group)

    def readReceipts(self):  # noqa: N802
        return lambda: self.do.read_receipts(self.member, self.group)

    def fanoutPushJob(self):  # noqa: N802
        people = [self.do.user() for _ in range(PUSHED_MEMBERS + 1)]
        group = self.do.group(people[0])
        for person in people[1:]:
            self.do.join(person, group)
            self.do.device(person)
        self.do.connect(people[0])
        _drain_jobs()
        self.do.send(people[0], group)
        jobs = _drain_jobs()
        return lambda: self._deliver(jobs)

    def fanoutDirectPushJob(self):  # noqa: N802
        one, other = self.do.user(), self.do.user()
        self.do.connect(one)
        self.do.device(other)
        _drain_jobs()
        self.do.direct(one, other)
        jobs = _drain_jobs()
        return lambda: self._deliver(jobs)

    def _deliver(self, jobs):
        answer = self.h.fanout(jobs)
        assert answer == {"batchItemFailures": []}, answer


class Actions:
    """Users, groups, messages and connections made through the handlers, for set-ups."""

    def __init__(self, handlers):
        self.h = handlers

    def email(self):
        return f"bench-{uuid.uuid4().hex[:12]}@example.com"

    def register(self, email):
        status, body = self.h.rest("POST", "/register", {"email": email, "password": PASSWORD, "name": "Bench"})
        assert status == 201, body
        return body["user"]

    def user(self):
        """A new signed-up, logged-in user: {id, email, token}."""
        email = self.email()
        return {"id": self.register(email)["id"], "email": email, "token": self.token(email)}

    def token(self, email):
        return self.login(email)["token"]

    def login(self, email):
        status, body = self.h.rest("POST", "/login", {"email": email, "password": PASSWORD})
        assert status == 200, body
        return body

    def refresh(self, refresh_token):
        status, body = self.h.rest("POST", "/token/refresh", {"refreshToken": refresh_token})
        assert status == 200, body
        return body

    def group(self, owner):
        status, body = self.h.rest("POST", "/groups/create", {"name": "Bench", "type": "open"}, token=owner["token"])
        assert status == 201, body
        return body["group"]["id"]

    def join(self, user, group_id):
        status, body = self.h.rest("POST", f"/groups/{group_id}/request/{user['id']}", token=user["token"])
        assert status == 200, body

    def send(self, user, group_id, text="hello group"):
        status, body = self.h.rest("POST", "/messages/send", {"groupId": group_id, "text": text}, token=user["token"])
        assert status == 201, body
        return body["message"]["id"]

    def edit(self, user, group_id, message_id):
        status, body = self.h.rest("PATCH", f"/messages/{group_id}/{message_id}", {"text": "edited"},
                                   token=user["token"])
        assert status == 200, body

    def delete(self, user, group_id, message_id):
        status, body = self.h.rest("DELETE", f"/messages/{group_id}/{message_id}", token=user["token"])
        assert status == 204, body

    def react(self, user, group_id, message_id):
        status, body = self.h.rest("PUT", f"/messages/{group_id}/{message_id}/reactions/%F0%9F%91%8D",
                                   token=user["token"])
        assert status == 200, body

    def direct(self, sender, other):
        body = {"participants": [sender["email"], other["email"]],
                "message": {"sender": sender["email"], "text": "hello 1:1"}}
        status, answer = self.h.rest("PUT", "/messages", body, token=sender["token"])
        assert status == 201, answer

    def history(self, user, group_id):
        status, body = self.h.rest("GET", f"/messages/{group_id}", token=user["token"], query={"limit": "50"})
        assert status == 200 and len(body["messages"]) == 50, body

    def connect(self, user):
        connection_id = uuid.uuid4().hex
        answer = self.h.ws_connect(connection_id, user["token"])
        assert answer["statusCode"] == 200, answer
        return connection_id

    def device(self, user, push_token=None):
        """Register a phone (a new token unless given) for `user`; the token."""
        push_token = push_token or uuid.uuid4().hex * 2
        status, body = self.h.rest("POST", "/devices", {"platform": "apns", "token": push_token}, token=user["token"])
        assert status in (200, 201), body
        return push_token

    def mute(self, user, conversation_id):
        status, body = self.h.rest("PUT", f"/conversations/{conversation_id}/mute", {}, token=user["token"])
        assert status == 200, body

    def read_receipts(self, user, conversation_id):
        status, body = self.h.rest("GET", f"/conversations/{conversation_id}/reads", token=user["token"])
        assert status == 200 and body["reads"], body

    def group_fanout_jobs(self, members):
        """The fan-out job bodies of one message to a new group of `members` new users, each
        connected once (their only connection)."""
        people = [self.user() for _ in range(members)]
        group = self.group(people[0])
        for person in people[1:]:
            self.join(person, group)
        for person in people:
            self.connect(person)
        _drain_jobs()
        self.send(people[0], group)
        return _drain_jobs()


def _drain_jobs():
    """The jobs waiting on this process's fan-out queue, removed from it."""
    from devstack.harness import drain_queue

    return drain_queue()
