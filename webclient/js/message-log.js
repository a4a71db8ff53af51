// Two things the conversation's message log shows besides the messages: a day separator
// before the first message of each day, and my messages still on their way ("Sending…",
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
      element.before(h("li", { class: "day-separator", role: "separator", "aria-label": dayLabel(stamp) },
        h("span", { "aria-hidden": "true" }, dayLabel(stamp))));
    }
    previous = day;
  }
  $("messages-empty").hidden = messages > 0 || !chats.active;
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
