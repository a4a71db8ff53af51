// Muting a conversation (PUT/DELETE /conversations/{id}/mute, docs/push.md): a "Mute" button
// in the conversation's header with how long, "Unmute" while muted. A muted chat still gets
// every message live and counts it unread, but its badge is grey, it shows 🔕 in the list,
// and its messages are not announced, unless they mention you (as a phone's push would not).

import { isMuted } from "./chat-list.js";
import { $, announce, busy, h } from "./dom.js";

const DURATIONS = [["3600", "For 1 hour"], ["28800", "For 8 hours"], ["604800", "For a week"], ["", "Until I unmute"]];
const seg = encodeURIComponent;

export function mountMute(chats) {
  const button = h("button", { id: "mute-toggle", type: "button", "aria-haspopup": "true", "aria-expanded": "false", hidden: true });
  const menu = h("div", { id: "mute-menu", class: "mute-menu", role: "group", "aria-label": "Mute for how long", hidden: true },
    DURATIONS.map(([seconds, label]) => h("button", {
      type: "button",
      onclick: (event) => busy(event.currentTarget, async () => {
        const chat = chats.active;
        const body = seconds ? { until: new Date(Date.now() + Number(seconds) * 1000).toISOString() } : {};
        const answer = await chats.api.request("PUT", `/conversations/${seg(chat.id)}/mute`, body);
        Object.assign(chat, { muted: true, mutedUntil: answer.mutedUntil ?? null });
        closeMenu();
        announce(`${chat.name} is muted${answer.mutedUntil ? ` until ${new Date(answer.mutedUntil).toLocaleString()}` : ""}.`);
        chats.emit("list");
        render();
      }),
    }, label)));
  $("group-panel-toggle").before(button);
  button.after(menu);

  const closeMenu = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  const render = () => {
    const chat = chats.active;
    button.hidden = !chat || !chat.exists;
    closeMenu();
    if (!chat) return;
    const muted = isMuted(chat);
    button.textContent = muted ? "Unmute" : "Mute";
    button.setAttribute("aria-label", `${muted ? "Unmute" : "Mute"} ${chat.name}`);
    button.toggleAttribute("aria-haspopup", !muted);
  };

  button.addEventListener("click", (event) => {
    const chat = chats.active;
    if (!chat) return;
    if (!isMuted(chat)) {
      const open = menu.hidden;
      menu.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) menu.querySelector("button").focus();
      return;
    }
    busy(event.currentTarget, async () => {
      await chats.api.request("DELETE", `/conversations/${seg(chat.id)}/mute`);
      Object.assign(chat, { muted: false, mutedUntil: null });
      announce(`${chat.name} is no longer muted.`);
      chats.emit("list");
      render();
    });
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeMenu();
      button.focus();
    }
  });
  chats.on("active", render);
  chats.on("list", () => { if (chats.active && menu.hidden) render(); });
}
