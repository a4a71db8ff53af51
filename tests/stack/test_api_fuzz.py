"""Fuzzing the running local stack from its own OpenAPI document (schemathesis).

For every operation in GET /openapi.json, schemathesis generates valid and invalid requests
and checks each answer: never a 5xx, and its status, Content-Type, headers and body are
ones the document gives for that operation; invalid input is refused with a 4xx, and valid
input is never refused as invalid (the document says exactly what the server accepts).
`test_schemathesis_run_with_every_check_finds_nothing` also runs the `schemathesis` command
itself with `--checks all` (its examples, coverage, fuzzing and stateful phases).

Generated ids and emails rarely name anything, so part of the valid requests are aimed at
real things (a signed-in user, another user, their groups, a 1:1 conversation); the rest,
and some requests without a token, probe the refusals.
"""
import copy
import os
import pathlib
import subprocess
import sys
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.edge import openapi
from tests.live import Api, unique_email

pytestmark = pytest.mark.stack

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,  # a request the document calls valid is never refused with a 400
    missing_required_header,
]
# Per operation, valid and invalid each: under a minute for the whole API. FUZZ_EXAMPLES=500
# digs deeper by hand.
EXAMPLES_PER_MODE = int(os.environ.get("FUZZ_EXAMPLES", "25"))
REQUEST_TIMEOUT = 10
FUZZ_SETTINGS = settings(
    max_examples=2 * EXAMPLES_PER_MODE,
    deadline=REQUEST_TIMEOUT * 1000,  # one example is one request
    database=None,  # the stack's data changes from run to run: nothing to replay
    phases=[Phase.explicit, Phase.generate],  # shrinking against a changing server only wastes time
    suppress_health_check=list(HealthCheck),
)
# Operations that end the session of the token they are sent with: fuzzed with a new session
# of a user of their own each time, so the rest keep a live token.
SESSION_ENDING = {"/logout", "/logout/all", "/sessions/{sessionId}"}
# Access tokens live 15 minutes and this module runs longer: the scene logs in again this often.
TOKEN_REFRESH_SECONDS = 5 * 60
# What the schema cannot judge, so a schema-valid request may still be refused with these 400
# codes (docs/api.md, "What the document cannot say"): the contract's 400s for a reset code or
# an attachment that is not the sender's, and values that name other things (a message replied
# to, members mentioned, oneself) or whose rule is Unicode's (an emoji, a name's characters,
# text that shows nothing).
JUDGED_BY_THE_SERVER = {
    ("POST", "/password/reset"): {"invalid_code"},
    **{(method, path): {"unknown_attachment", "attachment_mismatch", "attachment_not_uploaded", "attachment_expired",
                        "attachment_already_sent", "invalid_reply_to", "invalid_mentions", "empty_text"}
       for method, path in (("POST", "/messages/send"), ("PUT", "/messages"))},
    ("PATCH", "/messages/{conversationId}/{messageId}"): {"empty_text"},
    ("PUT", "/messages/{conversationId}/{messageId}/reactions/{emoji}"): {"invalid_emoji"},
    ("DELETE", "/messages/{conversationId}/{messageId}/reactions/{emoji}"): {"invalid_emoji"},
    ("POST", "/messages/{conversationId}/{messageId}/report"): {"not_a_group", "empty_reason"},
    ("PUT", "/users/{userId}/block"): {"self_block"},
    ("GET", "/users/search"): {"invalid_query"},
    **{(method, path): {"invalid_name"} for method, path in (
        ("POST", "/register"), ("POST", "/employees"), ("POST", "/groups/create"), ("PATCH", "/groups/{groupId}"),
        ("PATCH", "/me"), ("POST", "/attachments"))},
}
# schemathesis' own list for positive_data_acceptance, to which the CLI run adds 400 for these.
ACCEPTED_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


class Scene:
    """Real things to aim generated requests at, and the token of the user sending them."""

    def __init__(self, base):
        me = Api(base, unique_email("fuzz"), name="Fuzzer")
        other = Api(base, unique_email("fuzz-other"), name="Other")
        open_group = self._group(me, "open")
        private_group = self._group(other, "private")
        self._expect(other.call("POST", f"/groups/{open_group}/request/{other.id}"), 200)
        self._expect(me.call("POST", f"/groups/{private_group}/request/{me.id}"), 202)
        self._me, self._signed_in_at = me, time.monotonic()
        pair = [me.email, other.email]
        direct = self._expect(me.call("PUT", "/messages", {
            "participants": pair, "message": {"sender": me.email, "text": "hello"},
        }), 201)["conversationId"]
        self._auth = {"Authorization": f"Bearer {me.token}"}
        self._leaver = Api(base, unique_email("fuzz-leaver"), name="Leaver")
        people = {"participants": pair, "sender": me.email, "email": other.email}
        # Each request draws one: the values it names are swapped for these wherever they occur
        # (path, query, body). The first keeps what was generated.
        self.aims = [
            {},
            {"groupId": open_group, "conversationId": open_group, "userId": other.id, "ownerId": me.id,
             "newOwnerId": other.id, **people},  # my open group, acting on its other member
            {"groupId": private_group, "conversationId": direct, "userId": me.id, "ownerId": me.id,
             "newOwnerId": other.id, **people},  # someone else's private group, where I wait for approval
            {"groupId": open_group, "conversationId": direct, "userId": me.id, "ownerId": me.id,
             "newOwnerId": me.id, **people},  # my open group, acting on myself
        ]

    @property
    def auth(self):
        """The signed-in user's header, with a token young enough to outlive the next request."""
        if time.monotonic() - self._signed_in_at > TOKEN_REFRESH_SECONDS:
            login = requests.post(f"{self._me.base}/login", json={"email": self._me.email,
                                                                 "password": "a long password"}, timeout=10)
            self._auth = {"Authorization": f"Bearer {self._expect(login, 200)['token']}"}
            self._signed_in_at = time.monotonic()
        return self._auth

    def aim(self, case, aim):
        """Swap the generated values `aim` names for its real ones."""
        for values in (case.path_parameters, case.query, case.body):
            if isinstance(values, dict):
                for name in values.keys() & aim.keys():
                    values[name] = copy.copy(aim[name])
        message = case.body.get("message") if isinstance(case.body, dict) else None
        if aim and isinstance(message, dict):
            message["sender"] = aim["sender"]
            message.pop("timestamp", None)  # a generated one is rarely ISO 8601

    def throwaway_auth(self):
        """The header of a new session of a user whose sessions may all end."""
        login = requests.post(f"{self._leaver.base}/login", json={"email": self._leaver.email,
                                                                   "password": "a long password"}, timeout=10)
        return {"Authorization": f"Bearer {self._expect(login, 200)['token']}"}

    @staticmethod
    def _group(owner, group_type):
        made = owner.call("POST", "/groups/create", {"name": f"Fuzz {group_type}", "type": group_type})
        return Scene._expect(made, 201)["group"]["id"]

    @staticmethod
    def _expect(answer, status):
        assert answer.status_code == status, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def api_schema(stack):
    return schemathesis.openapi.from_url(f"{stack['http']}/openapi.json")


@pytest.fixture(scope="module")
def scene(stack):
    yield Scene(stack["http"])
    _forget_throttles(stack)


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        yield http


@pytest.mark.parametrize("path,method", sorted(openapi.operations()))
def test_every_answer_is_one_the_document_gives(stack, api_schema, scene, session, method, path):
    operation = api_schema[path][method]
    modes = [operation.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]

    @FUZZ_SETTINGS
    @given(case=st.one_of(modes), aim=st.sampled_from(scene.aims), signed_in=st.sampled_from([True, True, True, False]))
    def fuzz(case, aim, signed_in):
        if case.meta.generation.mode.is_positive:
            scene.aim(case, aim)
        # A case whose headers are the invalid part (say, no Authorization) is sent as generated.
        headers = scene.auth if signed_in and not case.meta.is_negative_at(ParameterLocation.HEADER) else {}
        if headers and path in SESSION_ENDING:
            headers = scene.throwaway_auth()
        response = case.call(base_url=stack["http"], session=session, headers=headers, timeout=REQUEST_TIMEOUT)
        checks = CHECKS
        if response.status_code == 400 and _code(response) in JUDGED_BY_THE_SERVER.get((method.upper(), path), ()):
            checks = [check for check in CHECKS if check is not positive_data_acceptance]
        case.validate_response(response, checks=checks, headers=headers)

    fuzz()


def test_schemathesis_run_with_every_check_finds_nothing(stack, scene, tmp_path):
    # A user of its own, so what the run does (log out, block, leave) touches nobody else, and
    # without the operations that end its own session (the per-operation test covers those).
    runner = Api(stack["http"], unique_email("fuzz-cli"), name="Runner")
    config = tmp_path / "schemathesis.toml"
    config.write_text("".join(
        f'[[operations]]\ninclude-method = "{method}"\ninclude-path = "{path}"\n'
        f'checks.positive_data_acceptance.expected-statuses = {[*ACCEPTED_STATUSES, "400"]!r}\n\n'.replace("'", '"')
        for method, path in JUDGED_BY_THE_SERVER))
    # One worker: with two threads, hypothesis' ast.parse of its lambdas now and then raises
    # CPython 3.11's spurious "AST constructor recursion depth mismatch" (python/cpython#106905).
    command = [
        str(pathlib.Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
        f"{stack['http']}/openapi.json",
        "--checks", "all", "--header", f"Authorization: Bearer {runner.token}",
        *[option for path in sorted(SESSION_ENDING) for option in ("--exclude-path", path)],
        "--max-examples", os.environ.get("FUZZ_CLI_EXAMPLES", "15"), "--workers", "1",
        
        "--seed", os.environ.get("FUZZ_SEED", "20261201"), "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(tmp_path), "--no-color",
    ]
    answer = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    summary = answer.stdout[-6000:]
    assert answer.returncode == 0, summary
    assert " passed" in summary and "failures" not in summary.rsplit("SUMMARY", 1)[-1].lower(), summary


@pytest.mark.parametrize("path,status,code", [
    ("/groups/abcdefgh%0A/members", 400, "invalid_id"),
    ("/no%0Asuch/route", 404, "not_found"),
])
def test_an_encoded_newline_in_a_path_gets_a_json_answer(stack, scene, path, status, code):
    # Found by fuzzing: the local gateway's catch-all route missed paths holding a newline
    # and aiohttp answered a text/plain 404 of its own.
    answer = requests.get(f"{stack['http']}{path}", headers=scene.auth, timeout=REQUEST_TIMEOUT)
    assert answer.status_code == status and answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["code"] == code


def _code(response):
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _forget_throttles(stack):
    """Generated logins fail by the dozen: clear the stack's counters for the tests after us."""
    from pymongo import MongoClient

    with MongoClient(stack["mongo_uri"]) as client:
        client[stack["db"]]["throttles"].delete_many({})
