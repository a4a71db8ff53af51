"""Private groups and their owner's tools in the browser: a join request approved live,
and kicking, banning, handing over ownership and leaving."""
import pytest
from playwright.sync_api import expect

from tests.browser.pages import alice_and_bob
from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def test_an_owner_approves_a_join_request_live(stack, open_client):
    alice_api, bob_api, alice, bob = alice_and_bob(stack, open_client)

    alice.create_group("Inner circle", "private")
    panel = alice.open_group_panel()
    expect(panel.get_by_text("No requests waiting.")).to_be_visible()
    # The panel shows no raw id (invite links instead); Bob got the id some other way.
    group_id = next(g["id"] for g in alice_api.call("GET", "/groups").json()["groups"] if g["name"] == "Inner circle")

    bob.ask_to_join(group_id)
    expect(bob.page.locator("#pending-list")).to_contain_text("Inner circle")

    # Alice sees the request arrive without reloading, in the panel and on the chat list.
    expect(panel.locator("#group-requests")).to_contain_text("Bob")
    expect(alice.chat_button("Inner circle")).to_contain_text("1 join request")
    panel.get_by_role("button", name="Approve Bob").click()
    expect(panel.locator("#group-members")).to_contain_text("Bob")
    expect(panel.get_by_text("No requests waiting.")).to_be_visible()

    # Bob's side changes live too: the request is gone and the group is his to open.
    expect(bob.page.locator("#pending-box")).to_be_hidden()
    bob.open_chat("Inner circle")
    bob.send("Thanks for letting me in")
    expect(alice.message("Thanks for letting me in")).to_contain_text("Bob")


@pytest.mark.viewports("desktop")  # the approval journey runs at both sizes
def test_a_requester_can_withdraw_and_an_owner_can_reject(stack, open_client):
    owner = Api(stack["http"], unique_email("owner"), "Olive")
    group = owner.call("POST", "/groups/create", {"name": "Quiet room", "type": "private"}).json()["group"]
    carol_api = Api(stack["http"], unique_email("carol"), "Carol")
    carol = open_client()
    carol.sign_in(carol_api.email, name="Carol")
    carol.ask_to_join(group["id"])
    pending = carol.page.locator("#pending-list")
    expect(pending).to_contain_text("Quiet room")
    pending.get_by_role("button", name="Withdraw request to join Quiet room").click()
    expect(carol.page.locator("#pending-box")).to_be_hidden()
    assert owner.call("GET", f"/groups/{group['id']}/requests").json()["requests"] == []

    carol.ask_to_join(group["id"])
    expect(pending).to_contain_text("Quiet room")
    olive = open_client()
    olive.sign_in(owner.email, name="Olive")
    olive.open_chat("Quiet room")
    panel = olive.open_group_panel()
    panel.get_by_role("button", name="Reject Carol").click()
    expect(panel.get_by_text("No requests waiting.")).to_be_visible()
    expect(carol.page.locator("#pending-box")).to_be_hidden()  # told live that it was declined


def test_an_owner_kicks_bans_hands_over_and_leaves(stack, open_client):
    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    carol = Api(stack["http"], unique_email("carol"), "Carol")
    dave = Api(stack["http"], unique_email("dave"), "Dave")
    group = alice_api.call("POST", "/groups/create", {"name": "Committee", "type": "open"}).json()["group"]
    for member in (bob_api, carol):
        assert member.call("POST", f"/groups/{group['id']}/request/{member.id}").status_code == 200
    alice, bob = open_client(), open_client()
    alice.sign_in(alice_api.email, name="Alice")
    bob.sign_in(bob_api.email, name="Bob")
    alice.open_chat("Committee")
    panel = alice.open_group_panel()
    members = panel.locator("#group-members")
    expect(members.locator("li")).to_have_count(3)

    # The owner cannot leave yet: the API's own explanation is shown.
    refusal = alice_api.call("POST", f"/groups/{group['id']}/leave/{alice_api.id}").json()["error"]["message"]
    panel.get_by_role("button", name="Leave group").click()
    expect(alice.alert).to_contain_text(refusal)

    panel.get_by_role("button", name="Remove Carol").click()
    expect(members).not_to_contain_text("Carol")
    assert carol.call("GET", f"/groups/{group['id']}/members").status_code == 403

    bans = panel.get_by_role("region", name="Banned")
    bans.get_by_label("Ban someone by email").fill(dave.email)
    bans.get_by_role("button", name="Ban", exact=True).click()
    expect(bans.locator("#group-bans")).to_contain_text("Dave")
    assert dave.call("POST", f"/groups/{group['id']}/request/{dave.id}").json()["error"]["code"] == "banned"

    panel.get_by_role("button", name="Make owner Bob").click()
    expect(members).to_contain_text("Bob, owner")
    panel.get_by_role("button", name="Leave group").click()
    expect(alice.chat_button("Committee")).to_have_count(0)

    # Bob, now the owner, sees the group as its owner.
    bob.open_chat("Committee")
    bob_panel = bob.open_group_panel()
    expect(bob_panel.locator("#group-members")).to_contain_text("Bob (you), owner")
    expect(bob_panel.locator("#group-members")).not_to_contain_text("Alice")
    expect(bob_panel.get_by_role("region", name="Banned")).to_contain_text("Dave")


def test_after_a_ban_nothing_of_the_group_stays_on_screen_and_the_owner_still_sees_his_name(stack, open_client):
    alice_api, bob_api, alice, bob = alice_and_bob(stack, open_client)
    group = alice_api.call("POST", "/groups/create", {"name": "Strict club", "type": "private"}).json()["group"]
    bob_api.call("POST", f"/groups/{group['id']}/request/{bob_api.id}")
    alice_api.call("POST", f"/groups/{group['id']}/approve/{bob_api.id}")
    bob_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "my last words here"})
    bob.open_chat("Strict club")
    expect(bob.message("my last words here")).to_be_visible()

    alice.open_chat("Strict club")
    alice.open_group_panel().get_by_role("button", name="Ban Bob").click()
    expect(bob.alert).to_contain_text("You were banned from Strict club")
    expect(bob.title).to_have_text("Pick a chat")
    expect(bob.messages.locator("li")).to_have_count(0)  # not the group's messages under "Pick a chat"
    expect(bob.chat_button("Strict club")).to_have_count(0)

    # The owner still reads who wrote it, now and after a reload (the members list no longer has him).
    alice.show_conversation()
    expect(alice.message("my last words here").locator(".sender")).to_have_text("Bob")
    alice.page.reload()
    alice.open_chat("Strict club")
    expect(alice.message("my last words here").locator(".sender")).to_have_text("Bob")
