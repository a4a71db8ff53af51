"""Two people in two browsers: a group chat and a 1:1 chat, live messages, typing,
presence, unread counts, history paging, and catching up after a reconnect."""
import time

import pymongo
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.pages import alice_and_bob
from tests.live import Api, Listener, unique_email

pytestmark = pytest.mark.stack


def test_two_people_sign_up_meet_in_a_group_and_talk_live(stack, open_client):
    alice, bob = open_client(), open_client()
    alice.sign_up("Alice", unique_email("alice"))
    bob_email = unique_email("bob")
    bob.sign_up("Bob", bob_email, department="Analytics")  # the 1:1 seed's sign-up, POST /employees
    login = requests.post(f"{stack['http']}/login", json={"email": bob_email, "password": "a long password"})
    assert login.json()["user"]["department"] == "Analytics"
    name = f"Book club {unique_email('g')[:10]}"

    alice.create_group(name)
    bob.find_and_join(name)
    expect(bob.presence).to_have_text("2 of 2 members online")

    alice.send("Welcome, Bob!")
    expect(bob.message("Welcome, Bob!")).to_contain_text("Alice")
    expect(alice.message("Welcome, Bob!")).to_contain_text("Read by 1")  # Bob has the chat open

    bob.composer.press_sequentially("Thanks")
    expect(alice.typing).to_have_text("Bob is typing…")
    bob.composer.press("Enter")
    expect(alice.message("Thanks")).to_contain_text("Bob")
    expect(alice.typing).to_have_text("")  # a message from the typist ends the indicator

    alice.composer.press_sequentially("See you")
    expect(bob.typing).to_have_text("Alice is typing…")


def test_a_one_to_one_chat_shows_unread_counts_typing_and_presence(stack, open_client):
    alice_api, bob_api, alice, bob = alice_and_bob(stack, open_client)

    alice.start_chat(bob_api.email)
    expect(alice.title).to_have_text("Bob")
    expect(alice.presence).to_have_text(bob_api.email)  # no conversation yet: nothing to ask
    alice.send("Hi Bob, got a minute?")
    alice.send("It is about the report.")
    expect(alice.presence).to_have_text("Bob is online")  # asked once the conversation exists

    # Bob's list gains the chat live, with both messages unread.
    chat = bob.chat_button("Alice")
    expect(chat).to_contain_text("2 unread messages")
    bob.open_chat("Alice")
    expect(bob.message("Hi Bob, got a minute?")).to_be_visible()
    new = bob.messages.get_by_role("separator", name="New messages")  # where the two unread ones start
    expect(new).to_have_count(1)
    assert new.evaluate("line => line.nextElementSibling.textContent").endswith("Hi Bob, got a minute?")
    expect(chat).not_to_contain_text("unread")
    expect(bob.presence).to_have_text("Alice is online")
    # Marked read on the server (over the socket, so a moment later than on screen).
    assert _eventually(lambda: [c["unreadCount"] for c in bob_api.call("GET", "/conversations").json()["conversations"]
                                if c["kind"] == "direct"] == [0])

    bob.composer.press_sequentially("Sure")
    expect(alice.typing).to_have_text("Bob is typing…")
    bob.composer.press("Enter")
    expect(alice.message("Sure")).to_contain_text("Bob")
    expect(bob.message("Sure")).to_contain_text("Read")  # Alice has it open: her client said so
    expect(alice.chat_button("Bob")).not_to_contain_text("unread")  # the open chat stays read

    # A message elsewhere counts as unread in its own chat only.
    group = bob_api.call("POST", "/groups/create", {"name": "Side room", "type": "open"}).json()["group"]
    alice_api.call("POST", f"/groups/{group['id']}/request/{alice_api.id}")
    expect(alice.chat_button("Side room")).to_have_count(1)
    bob_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "over here"})
    expect(alice.chat_button("Side room")).to_contain_text("1 unread message")
    expect(alice.chat_button("Bob")).not_to_contain_text("unread")


def test_read_state_of_my_messages_survives_a_reload(stack, open_client):
    """Who read what comes back after a reload: from the read receipts (someone who only
    read), and from the messages (sending moves the sender's read marker to their message)."""
    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    carol_api = Api(stack["http"], unique_email("carol"), "Carol")
    pair = [alice_api.email, bob_api.email]

    def direct(api, text):
        api.call("PUT", "/messages", {"participants": pair, "message": {"sender": api.email, "text": text}})

    direct(alice_api, "Are you coming tonight?")
    direct(bob_api, "Yes, at eight")
    direct(alice_api, "See you then")  # nobody has answered this one
    group = alice_api.call("POST", "/groups/create", {"name": "Supper club", "type": "open"}).json()["group"]
    for api in (bob_api, carol_api):
        api.call("POST", f"/groups/{group['id']}/request/{api.id}")
    alice_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "Soup or salad?"})
    bob_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "Soup"})
    alice_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "Noted, Bob"})
    carol_api.call("POST", "/messages/send", {"groupId": group["id"], "text": "Salad for me"})
    dave_api = Api(stack["http"], unique_email("dave"), "Dave")  # reads everything, never writes
    dave_api.call("POST", f"/groups/{group['id']}/request/{dave_api.id}")
    assert dave_api.call("POST", f"/conversations/{group['id']}/read", {"seq": 4}).status_code == 200

    alice = open_client()
    alice.sign_in(alice_api.email, name="Alice")
    for reloaded in (False, True):
        if reloaded:
            alice.page.reload()
            expect(alice.connection).to_have_text("Live")
        alice.open_chat("Bob")
        expect(alice.message("Are you coming tonight?").locator(".status")).to_have_text(" · Read")
        expect(alice.message("See you then").locator(".status")).to_have_text(" · Sent")
        alice.open_chat("Supper club")
        expect(alice.message("Soup or salad?").locator(".status")).to_have_text(" · Read by 3")
        # Carol wrote after it; Dave only read it (the read receipts say so).
        expect(alice.message("Noted, Bob").locator(".status")).to_have_text(" · Read by 2")

    # An answer arriving live says the same at once.
    alice.open_chat("Bob")
    direct(bob_api, "Great")
    expect(alice.message("Great")).to_be_visible()
    expect(alice.message("See you then").locator(".status")).to_have_text(" · Read")


@pytest.mark.viewports("desktop")  # paging logic; the phone journeys read history too
def test_history_pages_back_in_time(stack, open_client):
    owner = Api(stack["http"], unique_email("owner"), "Owner")
    group = owner.call("POST", "/groups/create", {"name": "Archive", "type": "open"}).json()["group"]
    for number in range(1, 36):
        assert owner.call("POST", "/messages/send", {"groupId": group["id"], "text": f"note {number:02d}"}).status_code == 201
    page = open_client()
    page.sign_in(owner.email, name="Owner")
    page.open_chat("Archive")

    items = page.messages.locator("li.message")
    expect(items).to_have_count(30)  # the newest page
    expect(items.first).to_contain_text("note 06")
    expect(items.last).to_contain_text("note 35")
    older = page.page.get_by_role("button", name="Load older messages")
    older.click()
    expect(items).to_have_count(35)
    expect(items.first).to_contain_text("note 01")
    expect(older).to_be_hidden()  # nothing older left
    texts = [text.split("\n")[-1] for text in items.all_inner_texts()]
    assert texts == [f"note {number:02d}" for number in range(1, 36)]


def test_after_a_reconnect_the_client_catches_up_on_what_it_missed(stack, open_client):
    alice = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    group = alice.call("POST", "/groups/create", {"name": "Night shift", "type": "open"}).json()["group"]
    bob_api.call("POST", f"/groups/{group['id']}/request/{bob_api.id}")
    alice.call("POST", "/messages/send", {"groupId": group["id"], "text": "before the outage"})
    bob = open_client()
    bob.sign_in(bob_api.email, name="Bob")
    bob.open_chat("Night shift")
    expect(bob.message("before the outage")).to_be_visible()

    # The network goes away: new tickets fail, and the gateway closes Bob's connection.
    bob.page.context.route("**/realtime/ticket", lambda route: route.abort())
    for connection_id in _connections_of(stack, bob_api.id):
        assert requests.delete(f"{_ws_http(stack)}/local/@connections/{connection_id}", timeout=10).status_code == 204
    expect(bob.connection).to_have_text("Reconnecting…")
    listener = Listener(f"{stack['ws']}/?token={alice.token}")
    try:
        sent = alice.call("POST", "/messages/send", {"groupId": group["id"], "text": "while you were away"})
        assert sent.status_code == 201
        # One fan-out job reaches every member: once Alice has it, Bob (offline) has missed it.
        listener.wait_for(lambda frame: frame.get("message", {}).get("id") == sent.json()["message"]["id"])
    finally:
        listener.close()
    expect(bob.message("while you were away")).to_have_count(0)

    bob.page.context.unroute("**/realtime/ticket")
    expect(bob.connection).to_have_text("Live")
    expect(bob.message("while you were away")).to_be_visible()
    alice.call("POST", "/messages/send", {"groupId": group["id"], "text": "after the outage"})
    expect(bob.message("after the outage")).to_be_visible()
    texts = [text.split("\n")[-1] for text in bob.messages.locator("li.message").all_inner_texts()]
    assert texts == ["before the outage", "while you were away", "after the outage"]


@pytest.mark.viewports("desktop")  # the socket's logic, no layout
def test_a_connection_the_server_forgot_is_replaced_at_its_next_frame(stack, open_client):
    """The server lost the record of an open socket (it was pruned on a stale Gone): the
    socket's next frame is refused as unknown_connection, and the client reconnects quietly
    instead of showing the error and staying deaf."""
    alice = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    group = alice.call("POST", "/groups/create", {"name": "Lost and found", "type": "open"}).json()["group"]
    bob_api.call("POST", f"/groups/{group['id']}/request/{bob_api.id}")
    bob = open_client()
    bob.sign_in(bob_api.email, name="Bob")
    bob.open_chat("Lost and found")
    expect(bob.connection).to_have_text("Live")
    (forgotten,) = _connections_of(stack, bob_api.id)
    with pymongo.MongoClient(stack["mongo_uri"]) as client:
        client[stack["db"]]["connections"].delete_one({"_id": forgotten})

    bob.composer.press_sequentially("hi")  # a typing frame on the forgotten connection
    assert _eventually(lambda: _connection_ids(stack, bob_api.id) not in ([], [forgotten]))
    expect(bob.connection).to_have_text("Live")
    alice.call("POST", "/messages/send", {"groupId": group["id"], "text": "found you"})
    expect(bob.message("found you")).to_be_visible()
    expect(bob.alert).to_be_hidden()


def _connection_ids(stack, user_id):
    with pymongo.MongoClient(stack["mongo_uri"]) as client:
        return [doc["_id"] for doc in client[stack["db"]]["connections"].find({"userId": user_id})]


@pytest.mark.viewports("desktop")  # a module's logic, no layout
def test_the_timeline_drops_duplicates_and_orders_by_seq(open_client):
    page = open_client().page
    result = page.evaluate("""async () => {
        const { Timeline } = await import("./js/timeline.js");
        const timeline = new Timeline();
        const m = (id, seq) => ({ id, seq, text: id });
        const first = timeline.add([m("c", 3), m("a", 1)]);
        const again = timeline.add([m("a", 1), m("c", 3)]);  // at-least-once delivery
        const gapBefore = timeline.hasGap;
        const late = timeline.add([m("b", 2)]);
        return { first: first.map((x) => x.id), again: again.length, gapBefore, late: late.map((x) => x.id),
                 order: timeline.ordered.map((x) => x.id), gapAfter: timeline.hasGap,
                 lastSeq: timeline.lastSeq, firstSeq: timeline.firstSeq };
    }""")
    assert result == {"first": ["a", "c"], "again": 0, "gapBefore": True, "late": ["b"],
                      "order": ["a", "b", "c"], "gapAfter": False, "lastSeq": 3, "firstSeq": 1}


def _eventually(check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _connections_of(stack, user_id):
    ids = _connection_ids(stack, user_id)
    assert ids, "the user has no open connection"
    return ids


def _ws_http(stack):
    return stack["ws"].replace("ws://", "http://", 1)


@pytest.mark.viewports("desktop")  # a module's logic, no layout
def test_times_read_as_days_and_relative_times(open_client):
    page = open_client().page
    result = page.evaluate("""async () => {
        const { dayLabel, listTime } = await import("./js/time.js");
        const now = new Date(2026, 11, 1, 15, 0).getTime();  // Tuesday 1 December 2026, 15:00 local
        const at = (days, hours = 12, minutes = 0) => new Date(2026, 11, 1 - days, hours, minutes).toISOString();
        return {
            today: dayLabel(at(0), now), yesterday: dayLabel(at(1), now), weekday: dayLabel(at(3), now),
            older: dayLabel(at(30), now),
            now: listTime(new Date(now - 20000).toISOString(), now),
            minutes: listTime(new Date(now - 5 * 60000).toISOString(), now),
            earlier: listTime(at(0, 9, 5), now), listYesterday: listTime(at(1), now),
            listWeekday: listTime(at(3), now), listOlder: listTime(at(30), now),
        };
    }""")
    assert (result["today"], result["yesterday"]) == ("Today", "Yesterday")
    assert result["weekday"] == "Saturday" and "2026" in result["older"]
    assert (result["now"], result["minutes"], result["listYesterday"]) == ("now", "5 min", "Yesterday")
    assert "09" in result["earlier"] and "05" in result["earlier"]
    assert result["listWeekday"] == "Sat" and "Nov" in result["listOlder"]
