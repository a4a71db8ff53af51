"""Red-team findings on accounts (issue 13): failed-login limits that hold under parallel
attempts (F1), and look-alike identities (F4)."""
import concurrent.futures
import threading

import pytest

from chalicelib import services
from chalicelib.accounts.passwords import Passwords
from chalicelib.core.errors import InvalidInput, NotAuthenticated, RateLimited
from chalicelib.core.limits import LOGIN_FAILURES_PER_ACCOUNT
from chalicelib.core.validation import clean_name, is_blank, normalise_email
from tests.helpers import call

PASSWORD = "correct horse battery"


class CountingPasswords(Passwords):
    """Real bcrypt, counting how often a password reaches it."""

    def __init__(self, rounds):
        super().__init__(rounds)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, password, stored_hash):
        with self._lock:
            self.verified += 1
        return super().verify(password, stored_hash)


def test_forty_parallel_wrong_passwords_reach_bcrypt_at_most_the_limit(db):
    """F1: the limit was checked before the failures were counted, so parallel attempts all
    passed the check; now each attempt is counted first, atomically."""
    passwords = CountingPasswords(4)
    accounts = services.build(db, passwords=passwords).accounts
    accounts.register(email="target@example.com", password=PASSWORD, name="Target")
    passwords.verified = 0
    barrier = threading.Barrier(40)

    def attempt(index):
        barrier.wait()
        try:
            accounts.login(email="target@example.com", password=f"wrong-{index}", source_address=f"10.0.0.{index}")
        except (NotAuthenticated, RateLimited) as refused:
            return type(refused).__name__
        return "logged in"

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert passwords.verified <= LOGIN_FAILURES_PER_ACCOUNT.max_hits
    assert outcomes.count("RateLimited") >= 40 - LOGIN_FAILURES_PER_ACCOUNT.max_hits
    assert "logged in" not in outcomes


def test_a_right_password_still_logs_in_after_fewer_failures_than_the_limit(db):
    accounts = services.build(db).accounts
    accounts.register(email="almost@example.com", password=PASSWORD, name="Almost")
    for _ in range(LOGIN_FAILURES_PER_ACCOUNT.max_hits - 1):
        with pytest.raises(NotAuthenticated):
            accounts.login(email="almost@example.com", password="wrong password", source_address="10.1.1.1")
    assert accounts.login(email="almost@example.com", password=PASSWORD, source_address="10.1.1.1")["token"]
    # The success forgave the account's failures: a full allowance again.
    for _ in range(LOGIN_FAILURES_PER_ACCOUNT.max_hits):
        with pytest.raises(NotAuthenticated):
            accounts.login(email="almost@example.com", password="wrong password", source_address="10.1.1.2")
    with pytest.raises(RateLimited):
        accounts.login(email="almost@example.com", password=PASSWORD, source_address="10.1.1.2")


@pytest.mark.parametrize("email", [
    "zero\u200bwidth@example.com", "nul\u0000@example.com", "esc\u001b@example.com",
    "rtl\u202e@example.com", "bom\ufeff@example.com", "soft\u00adhyphen@example.com",
])
def test_emails_with_invisible_or_control_characters_are_refused(client, email):
    status, body, _ = call(client, "POST", "/register", {"email": email, "password": PASSWORD, "name": "Eve"})
    assert status == 400, body


def test_emails_are_compared_in_their_nfkc_form(client):
    status, body, _ = call(client, "POST", "/register",
                           {"email": "ｆｕｌｌ@example.com", "password": PASSWORD, "name": "Full"})
    assert status == 201 and body["user"]["email"] == "full@example.com"
    status, _, _ = call(client, "POST", "/register", {"email": "full@example.com", "password": PASSWORD, "name": "F"})
    assert status == 409
    assert normalise_email("  Ａda@Example.COM ") == "ada@example.com"


@pytest.mark.parametrize("name", [
    "Ad\u202emin", "evil\u001b[31m", "two\nlines", "nul\u0000", "\u200b\u200b", "\u3164", "\u2800\u2800", " \u00a0 ",
    "zero\u200bwidth",
])
def test_names_with_control_or_formatting_characters_or_nothing_visible_are_refused(client, name):
    status, body, _ = call(client, "POST", "/register",
                           {"email": "named@example.com", "password": PASSWORD, "name": name})
    assert status == 400, body
    assert body["error"]["code"] in ("invalid_name", "invalid_input")


def test_names_are_stored_in_nfkc_form_and_joiners_between_letters_stay():
    assert clean_name("  ＡＤＡ ") == "ADA"
    assert clean_name("می\u200cخواهم") == "می\u200cخواهم"  # Persian needs the zero-width non-joiner
    with pytest.raises(InvalidInput):
        clean_name("\u200d")


@pytest.mark.parametrize("text", ["\u200b", "\u200b \u200c\u2060", "\u3164", "\ufeff\n\t", "\u202e\u202c"])
def test_invisible_only_message_text_is_empty(text):
    assert is_blank(text)


def test_invisible_only_message_text_is_refused_as_empty_text(client, alice, group):
    _, token = alice
    status, body, _ = call(client, "POST", "/messages/send", {"groupId": group, "text": "\u200b\u2060 \u200b"},
                           token=token)
    assert status == 400 and body["error"]["code"] == "empty_text"
