"""What a person does with the web client, in the words of its own labels and roles (so
the tests also prove that every control has an accessible name).

On the phone viewport the client shows one pane at a time (chat list, conversation, group
details); ChatPage moves between them with the client's own back buttons, as a person
would, so the same test drives both viewports."""
import re

from playwright.sync_api import expect

PASSWORD = "a long password"


class ChatPage:
    def __init__(self, page, errors, viewport="desktop"):
        self.page = page
        self.errors = errors  # uncaught script errors
        self.viewport = viewport

    @property
    def phone(self):
        """Whether the client shows one pane at a time (narrower than 700 px, as CSS decides)."""
        return self.page.evaluate("() => matchMedia('(max-width: 699.98px)').matches")

    # Panes (the phone's one-at-a-time layout) ---------------------------------------------

    @property
    def pane(self):
        """The pane the workspace shows: "list", "conversation" or "details"."""
        return self.page.locator("#workspace").get_attribute("data-pane")

    def show_list(self):
        """On a phone, go back to the chat list (closing the open chat)."""
        if not self.phone:
            return
        if self.pane == "details":
            self.page.get_by_role("button", name="Back to the conversation").click()
        if self.pane == "conversation":
            self.page.get_by_role("button", name="Back to chats").click()
        expect(self.page.locator("#workspace")).to_have_attribute("data-pane", "list")

    def show_conversation(self):
        """On a phone, go back from the group details to the open conversation."""
        if self.phone and self.pane == "details":
            self.page.get_by_role("button", name="Back to the conversation").click()
            expect(self.page.locator("#workspace")).to_have_attribute("data-pane", "conversation")

    def message_action(self, message, name):
        """Click `name` (Reply, React, Edit, Delete, Report…) in a message's menu (folded behind "⋯" on a phone)."""
        expect(message).to_be_visible()
        toggle = message.get_by_role("button", name="Message actions")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        message.get_by_role("button", name=name, exact=True).click()

    # Signing in ---------------------------------------------------------------------------

    def sign_up(self, name, email, password=PASSWORD, department=None):
        form = self.page.locator("#sign-up-form")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Email").fill(email)
        form.get_by_label("Password").fill(password)
        if department:
            form.get_by_label("Department").fill(department)
        form.get_by_role("button", name="Create account").click()
        self.expect_signed_in(name)

    def sign_in(self, email, password=PASSWORD, name=None):
        form = self.page.locator("#sign-in-form")
        form.get_by_label("Email").fill(email)
        form.get_by_label("Password").fill(password)
        form.get_by_role("button", name="Sign in").click()
        if name:
            self.expect_signed_in(name)

    def expect_signed_in(self, name):
        expect(self.page.locator("#whoami")).to_contain_text(name)
        expect(self.connection).to_have_text("Live")

    # Finding and starting chats -----------------------------------------------------------

    def section(self, title):
        """Open a collapsible sidebar section by its summary."""
        self.show_list()
        details = self.page.locator("details", has=self.page.locator("summary", has_text=title))
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        return details

    def create_group(self, name, group_type="open"):
        box = self.section("New group")
        box.get_by_label("Group name").fill(name)
        box.get_by_label("Who can join").select_option(group_type)
        box.get_by_role("button", name="Create group").click()
        expect(self.title).to_have_text(name)

    def find_and_join(self, name):
        box = self.section("Find groups")
        box.get_by_label("Open groups whose name starts with").fill(name)
        box.get_by_role("button", name="Search").click()
        box.get_by_role("button", name=f"Join {name}").click()
        expect(self.title).to_have_text(name)

    def ask_to_join(self, group_id):
        box = self.section("Find groups")
        box.get_by_label("Invite link or group id").fill(group_id)
        box.get_by_role("button", name="Join", exact=True).click()

    def start_chat(self, email):
        box = self.section("Start a chat")
        box.get_by_label("Name or email").fill(email)
        box.get_by_role("button", name="Start chat").click()

    def chat_button(self, name):
        """The chat list's button for the chat called exactly `name`."""
        exact = self.page.locator(".chat-name", has_text=re.compile(f"^{re.escape(name)}$"))
        return self.page.locator("#chat-list button.chat").filter(has=exact)

    def open_chat(self, name):
        self.show_list()
        self.chat_button(name).click()
        expect(self.title).to_have_text(name)

    # The conversation ---------------------------------------------------------------------

    @property
    def title(self):
        return self.page.locator("#conversation-title")

    @property
    def composer(self):
        return self.page.get_by_role("textbox", name="Message")

    @property
    def messages(self):
        return self.page.get_by_role("log", name="Messages", include_hidden=True)  # also behind another pane

    def message(self, text):
        return self.messages.locator("li", has_text=text)

    @property
    def typing(self):
        return self.page.locator("#typing")

    @property
    def presence(self):
        return self.page.locator("#presence")

    @property
    def connection(self):
        return self.page.locator("#connection")

    @property
    def alert(self):
        """The error shown (the API's error.message): inline in the form it is about, or in
        the page's alert region. One shows at a time."""
        return self.page.locator("#alert:visible #alert-text, .inline-error:visible")

    def send(self, text):
        self.show_conversation()
        self.composer.fill(text)
        self.composer.press("Enter")
        expect(self.message(text)).to_be_visible()

    # The group panel ----------------------------------------------------------------------

    def open_group_panel(self):
        self.show_conversation()
        toggle = self.page.get_by_role("button", name="Group details")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        panel = self.page.get_by_role("complementary", name="Group details")
        expect(panel.locator("#group-members li").first).to_be_visible()
        return panel


def horizontal_overflow(page):
    """What sticks out to the right of the viewport (empty when nothing does): the page's own
    scroll width, and every visible element whose box ends past the viewport's edge."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const out = [];
        if (document.documentElement.scrollWidth > width) out.push(`page scrollWidth ${document.documentElement.scrollWidth} > ${width}`);
        for (const element of document.querySelectorAll("body *")) {
            const box = element.getBoundingClientRect();
            if (!box.width || !box.height || getComputedStyle(element).visibility === "hidden") continue;
            if (element.closest(".visually-hidden, .skip-link")) continue;
            if (box.right > width + 0.5) out.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className}: right ${Math.round(box.right)}`);
        }
        return out;
    }""")


def small_touch_targets(page, minimum=44):
    """Visible controls smaller than `minimum` CSS pixels either way: [description, ...]."""
    return page.evaluate("""(minimum) => {
        const small = [];
        for (const element of document.querySelectorAll("button, a[href], input, select, textarea, summary, [role=option]")) {
            if (element.type === "file" || element.closest(".visually-hidden, .skip-link")) continue;
            const box = element.getBoundingClientRect();
            if (!box.width || !box.height) continue;  // not shown
            if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
                small.push(`${element.tagName.toLowerCase()} "${(element.getAttribute("aria-label") || element.textContent).trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
            }
        }
        return small;
    }""", minimum)


def rows_of(page, selector):
    """How many rows the shown children of `selector` take (1 when they sit on one line;
    what is taken out of the flow, such as a visually hidden heading, does not count)."""
    return page.evaluate("""(selector) => {
        const boxes = [...document.querySelector(selector).children]
            .filter((element) => getComputedStyle(element).position !== "absolute")
            .map((element) => element.getBoundingClientRect())
            .filter((box) => box.width && box.height)
            .sort((a, b) => a.top - b.top);
        let rows = 0;
        let bottom = -Infinity;
        for (const box of boxes) {
            if (box.top >= bottom - 0.5) {
                rows += 1;
                bottom = box.bottom;
            } else bottom = Math.max(bottom, box.bottom);
        }
        return rows;
    }""", selector)


def alice_and_bob(stack, open_client):
    """Alice and Bob, signed up over REST and each signed in in a browser of their own:
    (alice's Api, bob's Api, alice's ChatPage, bob's ChatPage)."""
    from tests.live import Api, unique_email

    alice_api = Api(stack["http"], unique_email("alice"), "Alice")
    bob_api = Api(stack["http"], unique_email("bob"), "Bob")
    alice, bob = open_client(), open_client()
    alice.sign_in(alice_api.email, name="Alice")
    bob.sign_in(bob_api.email, name="Bob")
    return alice_api, bob_api, alice, bob
