"""The phone layout: one pane at a time with back navigation (the client's buttons and the
browser's Back), nothing wider than the screen at 360-430 px in either orientation, touch
targets of at least 44 px, the top bar on one row, and the composer at the bottom of the
screen."""
import pytest
from playwright.sync_api import expect

from tests.browser.pages import horizontal_overflow, rows_of, small_touch_targets
from tests.live import Api, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.viewports("phone")]


@pytest.fixture
def group_with_history(stack):
    """Alice owns a private group where Bob has written, and a long 1:1 message is waiting."""
    alice = Api(stack["http"], unique_email("alice"), "Alice Avery-Lindqvist-Okafor")
    bob = Api(stack["http"], unique_email("bob"), "Bob")
    group = alice.call("POST", "/groups/create", {"name": "A group whose name is long enough to be cut short",
                                                   "type": "private"}).json()["group"]
    bob.call("POST", f"/groups/{group['id']}/request/{bob.id}")
    alice.call("POST", f"/groups/{group['id']}/approve/{bob.id}")
    bob.call("POST", "/messages/send", {"groupId": group["id"],
                                        "text": "https://example.com/" + "a-very-long-unbroken-path-" * 6})
    bob.call("PUT", "/messages", {"participants": [bob.email, alice.email],
                                  "message": {"sender": bob.email, "text": "word " * 80}})
    return alice, bob, group


def test_one_pane_at_a_time_with_back_navigation_and_nothing_overflows(stack, open_client, group_with_history):
    alice_api, _, group = group_with_history
    alice = open_client()
    alice.sign_in(alice_api.email, name="Alice")
    workspace = alice.page.locator("#workspace")
    assert horizontal_overflow(alice.page) == []
    assert small_touch_targets(alice.page) == []
    expect(alice.page.get_by_role("button", name="Sign out")).to_be_in_viewport()

    alice.open_chat(group["name"])
    expect(workspace).to_have_attribute("data-pane", "conversation")
    expect(alice.page.locator("#chat-list")).to_be_hidden()
    expect(alice.message("a-very-long-unbroken-path")).to_be_visible()
    message = alice.message("a-very-long-unbroken-path")
    message.get_by_role("button", name="Message actions").click()
    expect(message.get_by_role("button", name="Reply")).to_be_visible()
    assert horizontal_overflow(alice.page) == []
    assert small_touch_targets(alice.page) == []
    # The composer sits at the bottom of the screen.
    box = alice.composer.bounding_box()
    assert box["y"] + box["height"] > 844 - 120

    alice.open_group_panel()
    expect(workspace).to_have_attribute("data-pane", "details")
    expect(alice.page.get_by_role("complementary", name="Group details")).to_be_in_viewport()
    assert horizontal_overflow(alice.page) == []
    assert small_touch_targets(alice.page) == []

    # The browser's Back (a phone's back gesture) walks back through the panes.
    alice.page.go_back()
    expect(workspace).to_have_attribute("data-pane", "conversation")
    expect(alice.page.get_by_role("button", name="Group details")).to_have_attribute("aria-expanded", "false")
    alice.page.go_back()
    expect(workspace).to_have_attribute("data-pane", "list")
    expect(alice.page.locator("#conversation-title")).to_have_text("Pick a chat")

    # The back buttons do the same; a 1:1 chat's long message wraps.
    alice.open_chat("Bob")
    expect(alice.message("word word")).to_be_visible()
    assert horizontal_overflow(alice.page) == []
    alice.page.get_by_role("button", name="Back to chats").click()
    expect(workspace).to_have_attribute("data-pane", "list")
    expect(alice.page.locator("#chats-title")).to_be_focused()


@pytest.mark.parametrize("size", [(360, 740), (430, 932), (844, 390), (740, 360)],
                         ids=["360-portrait", "430-portrait", "390-landscape", "360-landscape"])
def test_no_horizontal_scrolling_at_phone_widths_in_both_orientations(stack, open_client, group_with_history, size):
    alice_api, _, group = group_with_history
    alice = open_client()
    alice.page.set_viewport_size({"width": size[0], "height": size[1]})
    assert horizontal_overflow(alice.page) == []  # the sign-in page
    alice.sign_in(alice_api.email, name="Alice")
    alice.open_chat(group["name"])
    expect(alice.message("a-very-long-unbroken-path")).to_be_visible()
    assert horizontal_overflow(alice.page) == []
    expect(alice.composer).to_be_in_viewport()
    alice.open_group_panel()
    assert horizontal_overflow(alice.page) == []


@pytest.mark.parametrize("width", [360, 390, 430])
def test_the_top_bar_is_one_row_at_phone_widths(stack, open_client, group_with_history, width):
    alice_api, _, _ = group_with_history  # Alice Avery-Lindqvist-Okafor: a name too long for the bar
    alice = open_client()
    alice.page.set_viewport_size({"width": width, "height": 844})
    alice.sign_in(alice_api.email, name="Alice")
    bar = alice.page.locator(".topbar")
    assert rows_of(alice.page, ".topbar") == 1
    assert bar.bounding_box()["height"] < 70  # one row of 44 px controls and the bar's padding
    for name in ("Devices", "Sign out"):
        expect(alice.page.get_by_role("button", name=name)).to_be_in_viewport(ratio=1)
    expect(bar.locator("#whoami")).to_be_visible()  # who is signed in, cut short if need be
    expect(alice.page.get_by_role("heading", name="Secure messaging", level=1)).to_have_count(1)  # still for screen readers
    assert horizontal_overflow(alice.page) == []
    assert small_touch_targets(alice.page) == []
