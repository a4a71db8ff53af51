// Finding someone to chat with: "Start a chat" takes a name or an email. Typing two or more
// characters asks people search (GET /users/search: people who share a group with you, by
// name, any word of it, or email prefix) and offers them as "Chat with …" buttons; a full
// email starts the chat with anyone (GET /users/by-email, the seed's lookup).

import { $, busy, h, onSubmit } from "./dom.js";

const SEARCH_AFTER_MS = 250;
const SHOWN = 8;

export function mountPeopleSearch(chats) {
  const form = $("start-chat-form");
  const input = form.who;
  const results = h("ul", { id: "people-results", class: "plain-list people-results", "aria-label": "People found" });
  form.after(results);
  let timer = null;
  let found = [];
  let asked = "";

  const start = async (email) => {
    await chats.startDirect(email);
    form.reset();
    found = [];
    results.replaceChildren();
  };

  const show = (people) => {
    found = people;
    results.replaceChildren(...people.map((person) => h("li", {},
      h("span", { class: "person" }, person.name, " ", h("span", { class: "hint" }, person.email)),
      h("button", {
        type: "button",
        dataset: { key: `person:${person.id}` },
        onclick: (event) => busy(event.currentTarget, () => start(person.email)),
      }, "Chat", h("span", { class: "visually-hidden" }, ` with ${person.name}`)))));
  };

  const search = async () => {
    const q = input.value.trim();
    asked = q;
    if (q.length < 2) {
      show([]);
      return;
    }
    let people = [];
    try {
      ({ people } = await chats.api.request("GET", `/users/search?${new URLSearchParams({ q, limit: String(SHOWN) })}`));
    } catch {
      people = []; // suggestions only: a full email still works
    }
    if (asked === q) show(people);
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, SEARCH_AFTER_MS);
  });

  onSubmit(form, async () => {
    const value = input.value.trim();
    if (value.includes("@")) return start(value);
    if (found.length === 1) return start(found[0].email);
    throw new Error(found.length ? "Pick one of the people found below." : "Type their full email, or part of the name of someone in one of your groups.");
  });
}
