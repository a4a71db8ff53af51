"""Work per operation: the MongoDB commands and AWS calls each user-facing operation costs.

Every operation runs through the app's real handler, in this process, against the real
MongoDB wire protocol and moto, warm (as in a Lambda that already served one such request):
index creation, client set-up and key-cache misses are paid in a warm-up step first. The
counts are exact and deterministic, so `bench/budget.json` holds them and
tests/test_work_budget.py fails when an operation gets more expensive.
"""
import json
import os
import uuid

from bench import counting
from bench.invoke import Handlers

BUDGET_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "budget.json")
FANOUT_MEMBERS = 3  # members (one connection each) of the group in the fan-out job measured

# What each operation is, in the order of the report.
OPERATIONS = {
    "register": "POST /register",
    "login": "POST /login",
    "createGroup": "POST /groups/create",
    "join": "POST /groups/{id}/request/{userId} (open group)",
    "send": "POST /messages/send (group, warm key)",
    "firstSend": "POST /messages/send, a conversation's first message (new data key)",
    "historyPage": "GET /messages/{id}?limit=50 (50 messages, warm key cache)",
    "historyPageColdKey": "GET /messages/{id}?limit=50, key cache empty (a new Lambda)",
    "directSend": "PUT /messages (1:1, warm)",
    "connect": "WebSocket $connect (token)",
    "wsSend": "WebSocket sendMessage frame (stores, enqueues, acks)",
    "disconnect": "WebSocket $disconnect",
    "fanoutJob": f"fan-out job: group message to {FANOUT_MEMBERS} members, 1 connection each",
    "fanoutDirectJob": "fan-out job: 1:1 message to 2 participants, 1 connection each",
}


def measure():
    """{operation: {"mongo", "aws", "mongoCommands", "awsCalls"}} for every operation."""
    counting.install()
    import app as app_module

    from chalicelib import services

    scenario = _Scenario(Handlers(app_module))
    results = {}
    for name in OPERATIONS:
        prepare = getattr(scenario, name)
        prepare()()  # warm-up: the same operation once, uncounted
        operation = prepare()  # set-up (new users, connections, ...) is not counted
        with counting.counting() as work:
            operation()
        results[name] = work.as_dict()
    services.forget_all()
    return results


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


class _Scenario:
    """Each method sets one operation up and returns it, to be run (and counted) later."""

    def __init__(self, handlers):
        self.h = handlers
        self.owner = self._user()
        self.member = self._user()
        self.group = self._group(self.owner)
        self._join(self.member, self.group)
        for index in range(50):
            self._send(self.member, self.group, f"history {index}")

    # Accounts -------------------------------------------------------------------------------

    def register(self):
        return lambda: self._register(self._email())

    def login(self):
        email = self._email()
        self._register(email)
        return lambda: self._token(email)

    # Groups ---------------------------------------------------------------------------------

    def createGroup(self):  # noqa: N802 - named as in the report
        return lambda: self._group(self.owner)

    def join(self):
        user = self._user()
        return lambda: self._join(user, self.group)

    # Messages -------------------------------------------------------------------------------

    def send(self):
        return lambda: self._send(self.member, self.group)

    def firstSend(self):  # noqa: N802
        group = self._group(self.owner)
        return lambda: self._send(self.owner, group)

    def historyPage(self):  # noqa: N802
        return self._history

    def historyPageColdKey(self):  # noqa: N802
        from chalicelib import services

        def cold_history():
            services.keyring.cache_clear()  # a new, empty key cache, as in a freshly started Lambda
            services.messaging.cache_clear()
            self._history()

        return cold_history

    def directSend(self):  # noqa: N802
        one, other = self._user(), self._user()
        self._direct(one, other)
        return lambda: self._direct(one, other)

    # Real time ------------------------------------------------------------------------------

    def connect(self):
        return lambda: self._connect(self.member)

    def wsSend(self):  # noqa: N802
        # One connection for the warm-up and the counted frame: a frame in an open rate window.
        connection = self._ws_connection = getattr(self, "_ws_connection", None) or self._connect(self.member)
        frame = {"action": "sendMessage", "conversationId": self.group, "text": "over ws"}
        return lambda: self.h.ws_message(connection, frame)

    def disconnect(self):
        connection = self._connect(self.member)
        return lambda: self.h.ws_disconnect(connection)

    def fanoutJob(self):  # noqa: N802
        people = [self._user() for _ in range(FANOUT_MEMBERS)]  # new users: no other connections
        group = self._group(people[0])
        for person in people[1:]:
            self._join(person, group)
        return self._fanout(people, lambda: self._send(people[0], group))

    def fanoutDirectJob(self):  # noqa: N802
        one, other = self._user(), self._user()
        return self._fanout([one, other], lambda: self._direct(one, other))

    # Helpers --------------------------------------------------------------------------------

    def _fanout(self, people, send):
        """The fan-out job of what `send` sends, with every one of `people` connected once."""
        for person in people:
            self._connect(person)
        _drain_jobs()
        send()
        jobs = _drain_jobs()

        def deliver():
            answer = self.h.fanout(jobs)
            assert answer == {"batchItemFailures": []}, answer

        return deliver

    def _email(self):
        return f"bench-{uuid.uuid4().hex[:12]}@example.com"

    def _register(self, email):
        status, body = self.h.rest("POST", "/register", {"email": email, "password": "bench password", "name": "B"})
        assert status == 201, body
        return body["user"]

    def _user(self):
        email = self._email()
        return {"id": self._register(email)["id"], "email": email, "token": self._token(email)}

    def _token(self, email):
        status, body = self.h.rest("POST", "/login", {"email": email, "password": "bench password"})
        assert status == 200, body
        return body["token"]

    def _group(self, owner):
        status, body = self.h.rest("POST", "/groups/create", {"name": "Bench", "type": "open"}, token=owner["token"])
        assert status == 201, body
        return body["group"]["id"]

    def _join(self, user, group_id):
        status, body = self.h.rest("POST", f"/groups/{group_id}/request/{user['id']}", token=user["token"])
        assert status == 200, body

    def _send(self, user, group_id, text="hello group"):
        status, body = self.h.rest("POST", "/messages/send", {"groupId": group_id, "text": text}, token=user["token"])
        assert status == 201, body

    def _direct(self, sender, other):
        body = {"participants": [sender["email"], other["email"]],
                "message": {"sender": sender["email"], "text": "hello 1:1"}}
        status, answer = self.h.rest("PUT", "/messages", body, token=sender["token"])
        assert status == 201, answer

    def _history(self):
        status, body = self.h.rest("GET", f"/messages/{self.group}", token=self.member["token"], query={"limit": "50"})
        assert status == 200 and len(body["messages"]) == 50, body

    def _connect(self, user):
        connection_id = uuid.uuid4().hex
        answer = self.h.ws_connect(connection_id, user["token"])
        assert answer["statusCode"] == 200, answer
        return connection_id


def _drain_jobs():
    """The bodies of every job waiting on this process's fan-out queue, removed from it."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"])
    queue_url = os.environ["FANOUT_QUEUE_URL"]
    bodies = []
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not received.get("Messages"):
            return bodies
        for message in received["Messages"]:
            bodies.append(message["Body"])
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(received["Messages"])])


def main():
    """Print the counts (and any over budget) for the services already in the environment."""
    results = measure()
    for name, counts in results.items():
        print(f"{name:20} mongo {counts['mongo']:3}  aws {counts['aws']:3}  {counts['mongoCommands']} {counts['awsCalls']}")
    return results
