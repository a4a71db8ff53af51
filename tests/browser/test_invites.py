"""Invite links in the browser: the group panel offers them instead of a raw group id, and
a link joins whoever opens it, whether they sign in afterwards, create an account from it,
or are signed in already (the link pasted into the address bar of an open tab)."""
import re

import pytest
from playwright.sync_api import expect

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def private_group_with_invite(stack, name):
    """Olive's private group `name` and an invite link to it: (olive's Api, group, link)."""
    olive = Api(stack["http"], unique_email("olive"), "Olive")
    group = olive.call("POST", "/groups/create", {"name": name, "type": "private"}).json()["group"]
    invite = olive.call("POST", f"/groups/{group['id']}/invites", {}).json()["invite"]
    return olive, group, f"{stack['http']}/app/#invite={invite['code']}"


def is_member(owner_api, group_id, user_id):
    members = owner_api.call("GET", f"/groups/{group_id}/members").json()["members"]
    return any(member["userId"] == user_id for member in members)


def group_panel_of(open_client, api, name, group_name):
    """`api`'s person signed in a browser of their own, with `group_name`'s panel open."""
    client = open_client()
    client.sign_in(api.email, name=name)
    client.open_chat(group_name)
    return client.open_group_panel()


def test_the_group_panel_offers_invite_links_instead_of_a_raw_id(stack, open_client):
    olive_api = Api(stack["http"], unique_email("olive"), "Olive")
    pat_api = Api(stack["http"], unique_email("pat"), "Pat")
    group = olive_api.call("POST", "/groups/create", {"name": "Allotment", "type": "private"}).json()["group"]
    pat_api.call("POST", f"/groups/{group['id']}/request/{pat_api.id}")
    olive_api.call("POST", f"/groups/{group['id']}/approve/{pat_api.id}")

    panel = group_panel_of(open_client, olive_api, "Olive", "Allotment")
    expect(panel.get_by_text("create an invite link below")).to_be_visible()
    expect(panel).not_to_contain_text(group["id"])
    expect(panel).not_to_contain_text("group id")
    panel.get_by_role("button", name="Create invite link").click()
    expect(panel.get_by_label("Invite link", exact=True)).to_have_value(re.compile(r"#invite=[A-Za-z0-9_-]{40,}$"))

    # A plain member is told whom to ask, and sees no id either.
    panel = group_panel_of(open_client, pat_api, "Pat", "Allotment")
    expect(panel.get_by_text("ask the owner or a moderator for an invite link")).to_be_visible()
    expect(panel).not_to_contain_text(group["id"])
    expect(panel.get_by_role("button", name="Create invite link")).to_have_count(0)


def test_a_link_opened_signed_out_joins_after_signing_in(stack, open_client):
    olive_api, group, link = private_group_with_invite(stack, "Reading room")
    sam_api = Api(stack["http"], unique_email("sam"), "Sam")

    sam = open_client()
    sam.page.goto(link)
    sam.page.reload()  # a link opens a fresh page (the fixture had loaded the client already)
    expect(sam.page.get_by_text("Sign in or create an account to join the group")).to_be_visible()
    sam.sign_in(sam_api.email, name="Sam")
    expect(sam.title).to_have_text("Reading room")  # the group opens at once
    assert is_member(olive_api, group["id"], sam_api.id)
    assert "#invite=" not in sam.page.url  # the code does not stay in the address bar


def test_a_person_who_signs_up_from_a_link_joins(stack, open_client):
    olive_api, group, link = private_group_with_invite(stack, "Choir")
    email = unique_email("una")

    una = open_client()
    una.page.goto(link)
    una.page.reload()
    una.sign_up("Una", email)
    expect(una.title).to_have_text("Choir")
    una.show_list()
    expect(una.chat_button("Choir")).to_be_visible()
    members = olive_api.call("GET", f"/groups/{group['id']}/members").json()["members"]
    assert any(member["name"] == "Una" for member in members)


def test_a_link_opened_in_a_signed_in_tab_joins_at_once(stack, open_client):
    olive_api, group, link = private_group_with_invite(stack, "Chess club")
    vic_api = Api(stack["http"], unique_email("vic"), "Vic")

    vic = open_client()
    vic.sign_in(vic_api.email, name="Vic")
    vic.page.goto(link)  # only the fragment changes: the page is not reloaded
    expect(vic.title).to_have_text("Chess club")
    expect(vic.page.locator("#whoami")).to_contain_text("Vic")  # still the same session
    assert is_member(olive_api, group["id"], vic_api.id)
    assert "#invite=" not in vic.page.url
