"""Take the README's picture of the web client (docs/webclient.png) against a running stack:

    make run            # in one terminal
    .venv/bin/python -m tests.browser.screenshot [http://127.0.0.1:8000] [ws://127.0.0.1:8001]

It signs up three people, fills a group chat and a 1:1 chat, and photographs one of them.
"""
import json
import sys
import time
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.pages import ChatPage
from tests.live import Api

OUT = Path(__file__).resolve().parents[2] / "docs" / "webclient.png"


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
    for sender, text in ((alice, "Morning! The new onboarding flow is up for review."),
                         (bob, "Looks great. Can we keep the password rules on one line?"),
                         (carol, "+1, and the error messages read well now."),
                         (alice, "Agreed. I'll merge it after lunch.")):
        sender.call("POST", "/messages/send", {"groupId": group["id"], "text": text})
    carol.call("PUT", "/messages", {"participants": [carol.email, alice.email],
                                    "message": {"sender": carol.email, "text": "Do you have a minute later?"}})

    config = f"export default {json.dumps({'apiBase': '', 'wsBase': ws})};"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        contexts = []
        pages = []
        for person in (alice, bob):
            context = browser.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
            context.route("**/app/config.js", lambda route: route.fulfill(
                status=200, content_type="application/javascript", body=config))
            page = context.new_page()
            page.goto(f"{http}/app/")
            chat = ChatPage(page, [])
            chat.sign_in(person.email, name=person.user["name"])
            contexts.append(context)
            pages.append(chat)
        photographed, typist = pages
        photographed.open_chat("Design review")
        photographed.open_group_panel()
        typist.open_chat("Design review")
        typist.composer.press_sequentially("Sounds good")
        expect(photographed.typing).to_have_text("Bob Lindqvist is typing…")
        time.sleep(0.3)
        photographed.page.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:])
