"""What the local gateway answers for requests it cannot hand to a handler (issue 13): the
contract's error body, and nothing of the Authorization header in its answer or its log."""
import gzip

import pytest
import requests

pytestmark = pytest.mark.stack

TOKEN = "Bearer never-log-this-token-0123456789"


def _log(stack):
    with open(stack["log"], encoding="utf-8", errors="replace") as file:
        return file.read()


def test_an_oversized_header_gets_a_contract_error_and_the_token_is_not_logged(stack):
    answer = requests.get(f"{stack['http']}/me", headers={"Authorization": TOKEN + "x" * 10_000}, timeout=10)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "headers_too_large"
    assert "never-log-this" not in answer.text
    assert "never-log-this" not in _log(stack)


def test_a_body_that_is_not_the_gzip_it_claims_gets_a_contract_error(stack):
    answer = requests.post(f"{stack['http']}/login", data=b"plainly not gzip",
                           headers={"Content-Encoding": "gzip", "Content-Type": "application/json",
                                    "Authorization": TOKEN}, timeout=10)
    assert answer.status_code == 400
    assert set(answer.json()["error"]) == {"code", "message"}
    assert "never-log-this" not in _log(stack)


def test_a_gzip_body_reaches_the_handler_decoded(stack):
    answer = requests.post(f"{stack['http']}/login", data=gzip.compress(b'{"email": "x@example.com"}'),
                           headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_input"  # password is missing
