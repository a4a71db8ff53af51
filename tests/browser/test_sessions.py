"""The web client's sessions: signing out on the server, the devices list with "sign out
everywhere else" (the other browser is signed out through its closed socket), and an expired
access token renewed silently with the refresh token."""
import json
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def _signed_in_twice(stack, open_client, name):
    """A new account `name` signed in on two browsers: (its Api, the laptop, the phone)."""
    user = Api(stack["http"], unique_email(name.lower()), name)
    laptop, phone = open_client(), open_client()
    for browser in (laptop, phone):
        browser.sign_in(user.email, name=name)
    return user, laptop, phone


def test_signing_out_elsewhere_signs_the_other_browser_out(stack, open_client):
    user, laptop, phone = _signed_in_twice(stack, open_client, "Devi")

    laptop.page.get_by_role("button", name="Devices").click()
    devices = laptop.page.locator("#devices-list li")
    expect(devices).to_have_count(3)  # the two browsers and the Api's own login
    expect(laptop.page.locator("#devices-list")).to_contain_text("this device")
    laptop.page.get_by_role("button", name="Sign out everywhere else").click()
    expect(devices).to_have_count(1)

    expect(phone.page.locator("#sign-in-form")).to_be_visible()
    expect(phone.page.locator("#alert-text")).to_contain_text("Your session has ended")
    expect(laptop.connection).to_have_text("Live")
    assert user.call("GET", "/me").status_code == 401


def test_sign_out_ends_the_session_on_the_server(stack, open_client):
    user = Api(stack["http"], unique_email("signout"), "Sig")
    page = open_client()
    page.sign_in(user.email, name="Sig")
    stored = json.loads(page.page.evaluate("() => sessionStorage.getItem('secure-messaging.session')"))
    page.page.get_by_role("button", name="Sign out").click()
    expect(page.page.locator("#sign-in-form")).to_be_visible()
    deadline = time.monotonic() + 5
    while requests.get(f"{stack['http']}/me", headers={"Authorization": f"Bearer {stored['token']}"}).status_code != 401:
        assert time.monotonic() < deadline, "the token still works after signing out"
        time.sleep(0.2)


def test_an_expired_access_token_is_renewed_silently(stack, open_client):
    from chalicelib.accounts.tokens import Tokens
    from chalicelib.core.config import DEV_JWT_SECRET

    user = Api(stack["http"], unique_email("renew"), "Ren")
    page = open_client()
    page.sign_in(user.email, name="Ren")
    key = "secure-messaging.session"
    stored = json.loads(page.page.evaluate(f"() => sessionStorage.getItem('{key}')"))
    # An access token of the same session that expired an hour ago (the stack signs with the dev secret).
    expired = Tokens(DEV_JWT_SECRET, "secure-messaging", "secure-messaging-clients", 900).issue(
        user.id, stored["sessionId"], now=time.time() - 3600)
    stored.update(token=expired, expiresAt=int(time.time() * 1000) - 1000)
    page.page.evaluate(f"(value) => sessionStorage.setItem('{key}', value)", json.dumps(stored))
    page.page.reload()

    page.expect_signed_in("Ren")
    renewed = json.loads(page.page.evaluate(f"() => sessionStorage.getItem('{key}')"))
    assert renewed["token"] != expired and renewed["refreshToken"] != stored["refreshToken"]
    assert renewed["sessionId"] == stored["sessionId"]


def test_signing_out_everywhere_signs_out_this_browser_and_the_others(stack, open_client):
    user, laptop, phone = _signed_in_twice(stack, open_client, "Eve")
    laptop.page.get_by_role("button", name="Devices").click()
    laptop.page.get_by_role("button", name="Sign out everywhere", exact=True).click()
    for page in (laptop, phone):
        expect(page.page.locator("#sign-in-form")).to_be_visible()
    assert user.call("GET", "/me").status_code == 401  # the REST client's session ended too
