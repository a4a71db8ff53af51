"""Take docs/webclient.md's pictures of the web client at both viewports against a running stack:

    make run            # in one terminal
    .venv/bin/python -m tests.browser.screenshot [http://127.0.0.1:8000] [ws://127.0.0.1:8001]

It signs up four people, fills a group chat and a 1:1 chat, and photographs Alice's client
on a desktop (docs/webclient.png, 1280x720, with the group panel) and on a phone
(docs/webclient-phone-*.png, 390x844: the chat list, the conversation, the group details).
"""
import json
import sys
import time
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, VIEWPORTS, chromium_path
from tests.browser.pages import ChatPage
from tests.live import Api

DOCS = Path(__file__).resolve().parents[2] / "docs"


def main(http="http://127.0.0.1:8000", ws="ws://127.0.0.1:8001"):
    tag = uuid.uuid4().hex[:6]
    alice = Api(http, f"alice.{tag}@example.com", "Alice Moreau")
    bob = Api(http, f"bob.{tag}@example.com", "Bob Lindqvist")
    carol = Api(http, f"carol.{tag}@example.com", "Carol Chen")
    group = alice.call("POST", "/groups/create", {"name": "Design review", "type": "private"}).json()["group"]
    for member in (bob, carol):
        member.call("POST", f"/groups/{group['id']}/request/{member.id}")
        alice.call("POST", f"/groups/{group['id']}/approve/{member.id}")
    dave = Api(http, f"dave.{tag}@example.com", "Dave Okafor")
    dave.call("POST", f"/groups/{group['id']}/request/{dave.id}")
    sent = {}
    for sender, text in ((alice, "Morning! The new onboarding flow is up for review."),
                         (bob, "Looks great. Can we keep the password rules on one line?"),
                         (carol, "+1, and the error messages read well now."),
                         (alice, "Agreed. I'll merge it after lunch.")):
        sent[text] = sender.call("POST", "/messages/send", {"groupId": group["id"], "text": text}).json()["message"]
    merge = sent["Agreed. I'll merge it after lunch."]["id"]
    bob.call("PUT", f"/messages/{group['id']}/{merge}/reactions/👍")
    carol.call("PUT", "/messages", {"participants": [carol.email, alice.email],
                                    "message": {"sender": carol.email, "text": "Do you have a minute later?"}})

    config = f"export default {json.dumps({'apiBase': '', 'wsBase': ws})};"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)

        def client(person, viewport, size=None):
            options = {**VIEWPORTS[viewport], "device_scale_factor": 1}
            if size:
                options["viewport"] = size
            context = browser.new_context(**options)
            context.route("**/app/config.js", lambda route: route.fulfill(
                status=200, content_type="application/javascript", body=config))
            page = context.new_page()
            page.goto(f"{http}/app/")
            chat = ChatPage(page, [], viewport)
            chat.sign_in(person.email, name=person.user["name"])
            return chat

        typist = client(bob, "desktop")
        typist.open_chat("Design review")

        desktop = client(alice, "desktop", size={"width": 1280, "height": 720})
        desktop.open_chat("Design review")
        desktop.open_group_panel()
        typist.composer.press_sequentially("Sounds good")
        expect(desktop.typing).to_have_text("Bob Lindqvist is typing…")
        time.sleep(0.3)
        shoot(desktop, "webclient.png")

        phone = client(alice, "phone")
        expect(phone.chat_button("Carol Chen")).to_contain_text("1 unread message")
        shoot(phone, "webclient-phone-list.png")
        phone.open_chat("Design review")
        phone.send("I'll book the room for two.")
        expect(phone.message("I'll book the room for two.")).to_contain_text("Read by 1")  # Bob has it open
        shoot(phone, "webclient-phone-chat.png")
        phone.open_group_panel()
        shoot(phone, "webclient-phone-details.png")
        browser.close()


def shoot(chat, name):
    chat.page.wait_for_timeout(300)  # images and fonts settle
    chat.page.screenshot(path=str(DOCS / name))
    print(f"wrote {DOCS / name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
