// The open conversation: title and presence, the message log (live, de-duplicated,
// ordered by seq), older pages, who is typing, and the composer.

import { attachmentsElement, mountAttachmentPicker } from "./attachments.js";
import { $, busy, formatTime, h, showError } from "./dom.js";

export function mountConversation(chats) {
  const list = $("messages");
  const elements = new Map(); // message id -> <li>

  const render = () => {
    const chat = chats.active;
    $("conversation-title").textContent = chat ? chat.name : "Pick a chat";
    $("composer").hidden = !chat;
    $("group-panel-toggle").hidden = !chat || chat.kind !== "group";
    if (!chat) {
      $("group-panel").hidden = true;
      $("group-panel-toggle").setAttribute("aria-expanded", "false");
    }
    renderPresence();
    renderTyping();
  };

  const renderPresence = () => {
    const chat = chats.active;
    const online = chat ? chats.online.get(chat.id) : null;
    let text = "";
    if (chat && chat.kind === "direct") {
      text = online && online[chat.peer.id] ? `${chat.peer.name} is online` : `${chat.peer.email}`;
    } else if (chat && online) {
      const ids = Object.keys(online);
      text = `${ids.filter((id) => online[id]).length} of ${ids.length} members online`;
    } else if (chat) {
      text = chat.group.type === "private" ? "Private group" : "Open group";
    }
    $("presence").textContent = text;
  };

  const renderTyping = () => {
    const names = chats.activeId ? chats.typists(chats.activeId) : [];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names.length} people are typing…`;
    $("typing").textContent = text;
  };

  const messageElement = (message) => {
    const mine = message.senderId === chats.me.id;
    const sender = chats.nameOf(message.senderId) || message.sender;
    const text = message.undecryptable || message.text === null
      ? h("p", { class: "text undecryptable" }, "This message cannot be decrypted.")
      : h("p", { class: "text" }, message.text);
    return h("li", { class: mine ? "message mine" : "message", dataset: { id: message.id, seq: message.seq } },
      h("p", { class: "meta" },
        h("span", { class: "sender" }, sender), " ",
        h("time", { datetime: message.createdAt }, formatTime(message.createdAt))),
      message.text === "" && message.attachments?.length ? null : text,
      attachmentsElement(message, chats.api));
  };

  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;

  const showOlderButton = () => {
    const timeline = chats.timelines.get(chats.activeId);
    $("older").hidden = !timeline || !timeline.hasOlder;
  };

  chats.on("active", render);
  chats.on("presence", (chatId) => { if (chatId === chats.activeId) renderPresence(); });
  chats.on("typing", (chatId) => { if (chatId === chats.activeId) renderTyping(); });
  chats.on("members", (chatId) => {
    if (chatId !== chats.activeId) return;
    // Names arrive after the first page: put them on the messages already shown.
    for (const [id, element] of elements) {
      const message = chats.timelines.get(chatId)?.byId.get(id);
      if (message) element.querySelector(".sender").textContent = chats.nameOf(message.senderId) || message.sender;
    }
    renderTyping();
  });

  chats.on("messages", (chatId, messages, reset) => {
    if (chatId !== chats.activeId) return;
    const timeline = chats.timelines.get(chatId);
    const stick = reset || nearBottom();
    if (reset) {
      list.setAttribute("aria-busy", "true"); // one announcement for a whole page, not one per message
      list.replaceChildren();
      elements.clear();
    }
    for (const message of messages) {
      if (elements.has(message.id)) continue;
      const element = messageElement(message);
      const next = timeline.next(message);
      list.insertBefore(element, next ? elements.get(next.id) || null : null);
      elements.set(message.id, element);
    }
    if (reset) list.removeAttribute("aria-busy");
    showOlderButton();
    renderTyping();
    if (stick) list.scrollTop = list.scrollHeight;
  });

  chats.on("older", (chatId, messages) => {
    if (chatId !== chats.activeId) return;
    const fromBottom = list.scrollHeight - list.scrollTop;
    list.setAttribute("aria-busy", "true");
    const first = list.firstElementChild;
    for (const message of messages) {
      if (elements.has(message.id)) continue;
      const element = messageElement(message);
      list.insertBefore(element, first);
      elements.set(message.id, element);
    }
    list.removeAttribute("aria-busy");
    list.scrollTop = list.scrollHeight - fromBottom; // keep what the reader was looking at in place
    const hadFocus = document.activeElement === $("older");
    showOlderButton();
    if (hadFocus && $("older").hidden) list.focus(); // the button went away: keep focus nearby
  });

  $("older").addEventListener("click", (event) => busy(event.currentTarget, () => chats.loadOlder()));

  const composer = $("composer");
  const input = $("composer-text");
  const files = mountAttachmentPicker(composer, chats);
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() && !files.pending()) {
      showError("Type a message first.");
      return;
    }
    busy(composer.querySelector("button[type=submit]"), async () => {
      await (files.pending() ? files.send(text) : chats.send(text));
      if (input.value === text) input.value = ""; // kept on failure, so sending again retries it
    });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => chats.typed());

  $("group-panel-toggle").addEventListener("click", (event) => {
    const open = event.currentTarget.getAttribute("aria-expanded") !== "true";
    event.currentTarget.setAttribute("aria-expanded", String(open));
    $("group-panel").hidden = !open;
    if (open) busy(null, () => chats.loadPanel(chats.activeId));
  });

  render();
}
