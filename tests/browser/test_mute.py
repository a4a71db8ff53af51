"""Muting a chat from its header: for how long, the list's muted mark, and unmuting."""
import pytest
from playwright.sync_api import expect

from tests.browser.pages import alice_and_bob

pytestmark = pytest.mark.stack


def test_a_chat_is_muted_for_an_hour_and_unmuted(stack, open_client):
    alice_api, bob_api, alice, bob = alice_and_bob(stack, open_client)
    group = alice_api.call("POST", "/groups/create", {"name": "Noisy room", "type": "open"}).json()["group"]
    bob_api.call("POST", f"/groups/{group['id']}/request/{bob_api.id}")
    bob_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "first!"})

    alice.open_chat("Noisy room")
    alice.page.get_by_role("button", name="Mute Noisy room").click()
    alice.page.get_by_role("group", name="Mute for how long").get_by_role("button", name="For 1 hour").click()
    expect(alice.page.get_by_role("button", name="Unmute Noisy room")).to_be_visible()
    [muted] = [c for c in alice_api.call("GET", "/conversations").json()["conversations"] if c["id"] == group["id"]]
    assert muted["muted"] is True and muted["mutedUntil"]
    expect(alice.chat_button("Noisy room")).to_contain_text("(muted)")

    # Still live and counted unread while muted, with a grey badge.
    alice.create_group("Quiet room")  # Noisy room is no longer the open chat
    bob_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "anyone?"})
    expect(alice.chat_button("Noisy room").locator(".badge.muted")).to_have_text("1 unread message")

    alice.open_chat("Noisy room")
    alice.page.get_by_role("button", name="Unmute Noisy room").click()
    expect(alice.page.get_by_role("button", name="Mute Noisy room")).to_be_visible()
    expect(alice.chat_button("Noisy room")).not_to_contain_text("(muted)")
    [unmuted] = [c for c in alice_api.call("GET", "/conversations").json()["conversations"] if c["id"] == group["id"]]
    assert unmuted["muted"] is False
