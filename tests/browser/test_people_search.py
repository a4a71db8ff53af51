"""Finding someone to chat with by name: "Start a chat" suggests the people of your groups
whose name starts like what you type ("People found"), and choosing one opens the 1:1."""
import uuid

import pytest
from playwright.sync_api import expect

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def test_a_name_prefix_suggests_a_group_mate_and_choosing_them_opens_the_chat(stack, open_client):
    surname = f"Quill{uuid.uuid4().hex[:6]}"  # unique, so the stack's other people never match
    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bram_api = Api(stack["http"], unique_email("bram"), f"Bram {surname}")
    stranger = Api(stack["http"], unique_email("stranger"), f"Bea {surname}")  # shares no group with Alice
    group = alice_api.call("POST", "/groups/create", {"name": "Book club", "type": "open"}).json()["group"]
    bram_api.call("POST", f"/groups/{group['id']}/request/{bram_api.id}")

    alice = open_client()
    alice.sign_in(alice_api.email, name="Alice")
    box = alice.section("Start a chat")
    box.get_by_label("Name or email").press_sequentially(surname[:7].lower())  # a prefix of a later word
    found = alice.page.get_by_role("list", name="People found")
    expect(found.get_by_role("listitem")).to_have_count(1)
    expect(found).to_contain_text(f"Bram {surname}")
    expect(found).to_contain_text(bram_api.email)
    expect(found).not_to_contain_text(stranger.email)

    found.get_by_role("button", name=f"Chat with Bram {surname}").click()
    expect(alice.title).to_have_text(f"Bram {surname}")
    expect(alice.presence).to_have_text(bram_api.email)  # the 1:1 of that person, not a group
    expect(found.get_by_role("listitem")).to_have_count(0)  # the suggestions are gone
    alice.send("Hi Bram, about the book club")
    assert bram_api.call("POST", "/messages", {"participants": [bram_api.email, alice_api.email]}).json()[
        "messages"][-1]["text"] == "Hi Bram, about the book club"
