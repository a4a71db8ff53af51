"""Moderation and safety in the browser: the owner names a moderator, who approves a
request, makes an invite link that a newcomer opens to join, and reads a report sent from a
message's one menu; blocking in a 1:1 chat."""
import re

import pytest
from playwright.sync_api import expect

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def test_a_moderator_runs_the_group(stack, open_client):
    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    carol_api = Api(stack["http"], unique_email("carol"), "Carol")
    dave_api = Api(stack["http"], unique_email("dave"), "Dave")
    eve_api = Api(stack["http"], unique_email("eve"), "Eve")
    group_id = alice_api.call("POST", "/groups/create", {"name": "Garden", "type": "private"}).json()["group"]["id"]
    for api in (bob_api, carol_api, dave_api):
        api.call("POST", f"/groups/{group_id}/request/{api.id}")
    for api in (bob_api, carol_api):
        assert alice_api.call("POST", f"/groups/{group_id}/approve/{api.id}").status_code == 200

    alice = open_client()
    alice.sign_in(alice_api.email, name="Alice")
    alice.open_chat("Garden")
    panel = alice.open_group_panel()
    panel.get_by_role("button", name="Make moderator Bob").click()
    expect(panel.locator("#group-members")).to_contain_text("Bob, moderator")

    bob = open_client()
    bob.sign_in(bob_api.email, name="Bob")
    bob.open_chat("Garden")
    panel = bob.open_group_panel()
    expect(panel.get_by_role("button", name="Remove Carol")).to_be_visible()
    expect(panel.get_by_role("button", name="Remove Alice")).to_have_count(0)
    panel.get_by_role("button", name="Approve Dave").click()
    expect(panel.locator("#group-members")).to_contain_text("Dave")

    panel.get_by_role("button", name="Create invite link").click()
    link = panel.get_by_label("Invite link", exact=True)
    expect(link).to_have_value(re.compile(r"#invite=[A-Za-z0-9_-]{40,}$"))
    panel.get_by_role("button", name="Copy link").click()
    url = link.input_value()

    eve = open_client()
    eve.page.goto(url)
    eve.page.reload()
    eve.sign_in(eve_api.email, name="Eve")
    expect(eve.title).to_have_text("Garden")  # the link opens the group it joined
    assert any(m["userId"] == eve_api.id for m in alice_api.call("GET", f"/groups/{group_id}/members").json()["members"])

    carol_api.call("POST", "/messages/send", {"groupId": group_id, "text": "buy cheap pills"})
    message = eve.message("buy cheap pills")
    expect(message).to_be_visible()
    # One menu per message (folded behind one "⋯" on a phone): Report is in it.
    expect(message.locator(".message-menu")).to_have_count(1)
    expect(message.locator("details, summary")).to_have_count(0)
    eve.message_action(message, "Report…")
    message.get_by_label("Reason").select_option("Spam")
    message.get_by_role("button", name="Report this message to the moderators").click()
    expect(message.get_by_role("group", name="Report this message")).to_be_hidden()
    expect(panel.locator("#group-reports")).to_contain_text("buy cheap pills")
    expect(panel.locator("#group-reports")).to_contain_text("Spam")
    panel.get_by_role("button", name="Resolve report from Eve").click()
    expect(panel.get_by_text("No open reports.")).to_be_visible()


def test_blocking_in_a_direct_chat(stack, open_client):
    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    pair = [alice_api.email, bob_api.email]
    alice_api.call("PUT", "/messages", {"participants": pair, "message": {"sender": alice_api.email, "text": "hello"}})

    bob = open_client()
    bob.sign_in(bob_api.email, name="Bob")
    bob.open_chat("Alice")
    bob.page.get_by_role("button", name="Block Alice").click()
    expect(bob.page.get_by_role("button", name="Unblock Alice")).to_be_visible()

    answer = alice_api.call("PUT", "/messages", {"participants": pair,
                                                 "message": {"sender": alice_api.email, "text": "again"}})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "blocked"
