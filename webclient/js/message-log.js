// What the conversation's message log shows besides the messages: a day separator before
// the first message of each day, a "New messages" line where the unread ones start, and my messages still on their way ("Sending…",
// then "Not sent" with the reason), kept below the log because the log holds only what the
// server stored.

import { $, h } from "./dom.js";
import { dayLabel, dayOf } from "./time.js";

/** Put a separator ("Today", "Yesterday", a date) before the first message of each day. */
export function markDays(list, chats) {
  for (const old of list.querySelectorAll(":scope > .day-separator")) old.remove();
  let previous = null;
  let messages = 0;
  for (const element of [...list.children]) {
    const stamp = element.querySelector(".meta time")?.getAttribute("datetime");
    if (!stamp) continue;
    messages += 1;
    const day = dayOf(stamp);
    if (day !== previous) {
      const before = element.previousElementSibling?.classList.contains("unread-separator") ? element.previousElementSibling : element;
      before.before(h("li", { class: "day-separator", role: "separator", "aria-label": dayLabel(stamp) },
        h("span", { "aria-hidden": "true" }, dayLabel(stamp))));
    }
    previous = day;
  }
  $("messages-empty").hidden = messages > 0 || !chats.active;
}

/** A "New messages" line before the first message with seq >= `fromSeq` (none when null). */
export function markUnread(list, fromSeq) {
  list.querySelector(":scope > .unread-separator")?.remove();
  if (fromSeq === null) return;
  const first = [...list.querySelectorAll(":scope > .message")].find((element) => Number(element.dataset.seq) >= fromSeq);
  if (first) first.before(h("li", { class: "unread-separator", role: "separator", "aria-label": "New messages" },
    h("span", { "aria-hidden": "true" }, "New messages")));
}

/** Show `text` as being sent in `outbox`; answers {remove(), fail(reason)}. */
export function showSending(outbox, text, scroll) {
  outbox.replaceChildren(); // an earlier failure is retried by this send, or abandoned
  const state = h("span", { class: "status", dataset: { status: "sending" } }, "Sending…");
  const item = h("li", { class: "message mine pending" },
    h("p", { class: "meta" }, h("span", { class: "sender" }, "You"), " ", state),
    text ? h("p", { class: "text" }, text) : null);
  outbox.append(item);
  scroll();
  return {
    remove: () => item.remove(),
    fail: (reason) => {
      state.dataset.status = "failed";
      state.textContent = `Not sent: ${reason} Press Send to try again.`;
    },
  };
}
