"""Two people in two browsers: edit and delete from a message's menu, the reactions bar,
replies with their preview, and @mention autocomplete, all live on the other side."""
import pytest
from playwright.sync_api import expect

from tests.live import unique_email

pytestmark = pytest.mark.stack


def test_edit_react_reply_mention_and_delete_live(stack, open_client):
    alice, bob = open_client(), open_client()
    alice.sign_up("Alice", unique_email("alice"))
    bob.sign_up("Bob", unique_email("bob"))
    name = f"Lifecycle {unique_email('g')[:10]}"
    alice.create_group(name)
    bob.find_and_join(name)
    expect(bob.presence).to_have_text("2 of 2 members online")

    alice.send("Lunch at noon?")
    original = bob.message("Lunch at noon?")
    expect(original).to_be_visible()

    # Bob reacts from the message's menu; Alice's reactions bar shows it.
    bob.message_action(original, "React")
    original.get_by_role("button", name="React with 👍").click()
    expect(original.get_by_role("button", name="👍 1, including you")).to_be_visible()
    expect(alice.message("Lunch at noon?").get_by_role("button", name="👍 1", exact=True)).to_be_visible()

    # Alice edits her message; Bob sees the new text, marked edited, with his reaction kept.
    mine = alice.message("Lunch at noon?")
    alice.message_action(mine, "Edit")
    mine.get_by_role("textbox", name="New text").fill("Lunch at one?")
    mine.get_by_role("button", name="Save").click()
    edited = bob.message("Lunch at one?")
    expect(edited).to_contain_text("(edited)")
    expect(edited.get_by_role("button", name="👍 1, including you")).to_be_visible()

    # Bob replies, mentioning Alice through the autocomplete.
    bob.message_action(edited, "Reply")
    expect(bob.page.locator("#reply-bar")).to_contain_text("Replying to Alice: Lunch at one?")
    bob.composer.press_sequentially("Sure @Al")
    bob.page.get_by_role("option", name="Alice").click()
    bob.composer.press_sequentially("see you")
    bob.composer.press("Enter")
    reply = alice.message("Sure @Alice see you")
    expect(reply).to_contain_text("Replying to You: Lunch at one?")
    expect(reply).to_have_class("message mentions-me")

    # Alice deletes her message for everyone; both see the tombstone, and the reply's preview follows.
    alice.message_action(alice.message("Lunch at one?").first, "Delete")
    alice.page.get_by_role("group", name="Delete for everyone?").get_by_role("button", name="Delete").click()
    expect(bob.messages.locator("li", has_text="This message was deleted.")).to_be_visible()
    expect(bob.message("Lunch at one?")).to_have_count(0)
    expect(bob.message("Sure @Alice see you")).to_contain_text("Replying to a deleted message")
    assert alice.errors == [] and bob.errors == []
