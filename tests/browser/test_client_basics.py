"""Signing in and up, the API's error messages, keyboard use and labels, the session
across a reload, and the client served from another origin (CORS)."""
import pytest
import requests
from playwright.sync_api import expect

from tests.live import Api, unique_email

pytestmark = pytest.mark.stack


def test_errors_are_shown_in_the_api_s_own_words(stack, open_client):
    taken = Api(stack["http"], unique_email("taken"), "Taken")
    page = open_client()

    email_taken = requests.post(f"{stack['http']}/register",
                                json={"email": taken.email, "password": "another long one", "name": "X"}).json()
    form = page.page.locator("#sign-up-form")
    form.get_by_label("Name").fill("Someone else")
    form.get_by_label("Email").fill(taken.email)
    form.get_by_label("Password").fill("another long one")
    form.get_by_role("button", name="Create account").click()
    expect(page.alert).to_have_text(email_taken["error"]["message"])

    wrong = requests.post(f"{stack['http']}/login", json={"email": unique_email("nobody"), "password": "wrong password"})
    page.sign_in(unique_email("nobody"), "wrong password")
    expect(page.alert).to_have_text(wrong.json()["error"]["message"])

    page.sign_in(taken.email, name="Taken")
    unknown = taken.call("GET", f"/users/by-email?email={unique_email('ghost')}").json()["error"]["message"]
    page.start_chat(unique_email("ghost"))
    expect(page.alert).to_have_text(unknown)


@pytest.mark.viewports("desktop")  # a keyboard, and the desktop's focus order (sidebar beside the chat)
def test_keyboard_only_sign_in_open_a_chat_and_send(stack, open_client):
    user = Api(stack["http"], unique_email("keys"), "Kim")
    user.call("POST", "/groups/create", {"name": "Keyboard club", "type": "open"})
    page = open_client().page
    keyboard = page.keyboard

    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    keyboard.press("Tab")
    expect(page.locator("#sign-in-email")).to_be_focused()
    keyboard.type(user.email)
    keyboard.press("Tab")
    expect(page.locator("#sign-in-password")).to_be_focused()
    keyboard.type("a long password")
    keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text("Kim")

    chat = page.locator("#chat-list").get_by_role("button", name="Keyboard club")
    page.get_by_role("button", name="Sign out").focus()
    for _ in range(3):  # sign out -> (alert close is hidden) -> the first chat in the list
        if chat.evaluate("element => element === document.activeElement"):
            break
        keyboard.press("Tab")
    expect(chat).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("#conversation-title")).to_have_text("Keyboard club")
    page.get_by_role("link", name="Skip to the message box").focus()
    keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    keyboard.type("typed, never clicked")
    keyboard.press("Enter")
    expect(page.get_by_role("log", name="Messages")).to_contain_text("typed, never clicked")
    history = user.call("GET", f"/messages/{chat_id(user, 'Keyboard club')}").json()["messages"]
    assert [message["text"] for message in history] == ["typed, never clicked"]


def test_every_field_has_a_label(stack, open_client):
    user = Api(stack["http"], unique_email("labels"), "Lee")
    user.call("POST", "/groups/create", {"name": "Labelled", "type": "private"})
    page = open_client()
    unlabelled = """() => [...document.querySelectorAll("input, select, textarea")]
        .filter((field) => field.labels.length === 0 && !field.getAttribute("aria-label"))
        .map((field) => field.outerHTML)"""
    assert page.page.evaluate(unlabelled) == []
    page.sign_in(user.email, name="Lee")
    page.open_chat("Labelled")
    page.open_group_panel()
    for title in ("Start a chat", "New group", "Find groups"):
        page.section(title)
    assert page.page.evaluate(unlabelled) == []
    assert page.messages.get_attribute("aria-live") == "polite"


@pytest.mark.viewports("desktop")  # session storage, the same at any size
def test_the_session_survives_a_reload_and_ends_on_sign_out(stack, open_client):
    user = Api(stack["http"], unique_email("reload"), "Rae")
    page = open_client()
    page.sign_in(user.email, name="Rae")
    page.page.reload()
    page.expect_signed_in("Rae")
    assert page.page.evaluate("() => Object.keys(localStorage)") == []  # the token never goes to disk
    page.page.get_by_role("button", name="Sign out").click()
    expect(page.page.locator("#sign-in-form")).to_be_visible()
    expect(page.page.locator("#whoami")).to_be_hidden()
    assert page.page.evaluate("() => Object.keys(sessionStorage)") == []


@pytest.mark.viewports("desktop")  # nothing viewport-specific in CORS
def test_the_client_works_from_another_origin_through_cors(stack, open_client):
    """Served from the one allowed origin (CORS_ALLOW_ORIGIN) while the API is elsewhere,
    as when pointing the client at a deployed stage."""
    origin = stack["web_origin"]
    assert origin != stack["http"]  # localhost vs 127.0.0.1: another origin to the browser
    page = open_client(origin=origin, api_base=stack["http"])
    page.sign_up("Cora", unique_email("cora"))
    page.create_group("Across origins")
    page.send("hello from another origin")


@pytest.mark.viewports("desktop")  # the outbox logic; the phone journeys send too
def test_a_send_shows_sending_then_not_sent_and_is_sent_again(stack, open_client):
    user = Api(stack["http"], unique_email("sender"), "Sam")
    user.call("POST", "/groups/create", {"name": "Flaky line", "type": "open"})
    page = open_client()
    page.sign_in(user.email, name="Sam")
    page.open_chat("Flaky line")
    expect(page.page.get_by_text("No messages yet. Say hello!")).to_be_visible()
    outbox = page.page.locator("#outbox")
    page.page.route("**/messages/send", lambda route: route.abort())
    page.composer.fill("are you there?")
    page.composer.press("Enter")
    expect(outbox).to_contain_text("Not sent")
    expect(page.composer).to_have_value("are you there?")  # kept, to send again
    page.page.unroute("**/messages/send")
    page.composer.press("Enter")
    expect(page.message("are you there?")).to_contain_text("Sent")
    expect(outbox.locator("li")).to_have_count(0)
    expect(page.page.get_by_text("No messages yet. Say hello!")).to_be_hidden()
    expect(page.messages.get_by_role("separator", name="Today")).to_have_count(1)


def chat_id(user, name):
    return next(group["id"] for group in user.call("GET", "/groups").json()["groups"] if group["name"] == name)
