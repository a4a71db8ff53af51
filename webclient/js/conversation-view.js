// The open conversation: title and presence, the message log (live, de-duplicated,
// ordered by seq), older pages, who is typing, and the composer. Each message has one menu
// (reply, react, edit, delete, and what other views add: report), a reactions bar and, for
// a reply, a preview of what it answers; the composer completes @mentions (state in
// message-lifecycle.js).

import { attachmentsElement, mountAttachmentPicker } from "./attachments.js";
import { $, busy, h, showError } from "./dom.js";
import { MessageLifecycle, QUICK_REACTIONS } from "./message-lifecycle.js";
import { ReadReceipts } from "./receipts.js";
import { markDays, markUnread, showSending } from "./message-log.js";
import { clockTime, fullTime } from "./time.js";

export function mountConversation(chats) {
  const list = $("messages");
  const elements = new Map(); // message id -> <li>
  const lifecycle = new MessageLifecycle(chats).install();
  const receipts = new ReadReceipts(chats).install();
  const outbox = $("outbox"); // my messages on their way (Sending…, or Not sent)
  const compose = { replyTo: null, mentions: new Map() }; // mention name -> user id
  const moreActions = []; // (message, menu) -> items for its menu, from other views (Report: safety-view.js)

  const render = () => {
    const chat = chats.active;
    $("conversation-title").textContent = chat ? chat.name : "Pick a chat";
    $("composer").hidden = !chat;
    $("conversation-empty").hidden = Boolean(chat);
    $("messages").hidden = !chat;
    outbox.replaceChildren(); // a send still on its way belongs to the chat it was sent in
    if (!chat) {
      // Nothing of a chat left behind (after a ban, a kick or leaving, the chat is gone).
      list.replaceChildren();
      elements.clear();
      $("older").hidden = true;
      $("messages-empty").hidden = true;
    }
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
    const sender = chats.nameOf(message.senderId) || message.senderName || message.sender;
    const status = receipts.statusOf(message);
    let text;
    if (message.deleted) text = h("p", { class: "text deleted" }, "This message was deleted.");
    else if (message.undecryptable || message.text === null) {
      text = h("p", { class: "text undecryptable" }, "This message cannot be decrypted.");
    } else text = h("p", { class: "text" }, message.text);
    const classes = ["message", mine ? "mine" : "", message.deleted ? "tombstone" : "",
      (message.mentions || []).includes(chats.me.id) ? "mentions-me" : ""].filter(Boolean).join(" ");
    return h("li", { class: classes, dataset: { id: message.id, seq: message.seq } },
      message.deleted ? null : messageMenu(message),
      h("p", { class: "meta" },
        h("span", { class: "sender" }, sender), " ",
        h("time", { datetime: message.createdAt, title: fullTime(message.createdAt) }, clockTime(message.createdAt)),
        message.editedAt && !message.deleted ? h("span", { class: "edited" }, " (edited)") : null,
        status ? h("span", { class: "status", dataset: { status: status === "Sent" ? "sent" : "read" } }, ` · ${status}`) : null),
      replyPreview(message),
      message.text === "" && message.attachments?.length ? null : text,
      message.deleted ? null : attachmentsElement(message, chats.api),
      reactionsBar(message));
  };

  const replyPreview = (message) => {
    if (!message.replyTo) return null;
    const original = lifecycle.repliedTo(message);
    const quoted = !original ? "an earlier message" : original.deleted ? "a deleted message"
      : `${chats.nameOf(original.senderId) || original.senderName || original.sender}: ${(original.text || "").slice(0, 80)}`;
    return h("p", { class: "reply-preview" }, "↪ Replying to ", quoted);
  };

  const reactionsBar = (message) => {
    if (!message.reactions || !message.reactions.length) return null;
    return h("div", { class: "reactions", role: "group", "aria-label": "Reactions" },
      message.reactions.map((reaction) => h("button", {
        type: "button", class: "reaction", "aria-pressed": String(reaction.me),
        "aria-label": `${reaction.emoji} ${reaction.count}${reaction.me ? ", including you" : ""}`,
        onclick: (event) => busy(event.currentTarget, () => lifecycle.toggleReaction(current(message), reaction.emoji)),
      }, `${reaction.emoji} ${reaction.count}`)));
  };

  // The message as held now (a menu built for an older version acts on the newest).
  const current = (message) => chats.timelines.get(message.conversationId)?.byId.get(message.id) || message;

  const messageMenu = (message) => {
    const palette = h("div", { class: "reaction-palette", role: "group", "aria-label": "Pick a reaction", hidden: true },
      QUICK_REACTIONS.map((emoji) => h("button", {
        type: "button", "aria-label": `React with ${emoji}`,
        onclick: (event) => busy(event.currentTarget, async () => {
          palette.hidden = true;
          const held = current(message);
          if (!(held.reactions || []).some((r) => r.emoji === emoji && r.me)) await lifecycle.toggleReaction(held, emoji);
        }),
      }, emoji)));
    // On a narrow screen the items hide behind one "⋯" button (CSS shows them all when wide).
    const toggle = h("button", { type: "button", class: "menu-toggle", "aria-expanded": "false", "aria-label": `Message actions: ${chats.nameOf(message.senderId) || message.senderName || message.sender}, ${clockTime(message.createdAt)}`,
      onclick: () => fold(toggle.getAttribute("aria-expanded") !== "true") }, "⋯");
    const fold = (open) => {
      toggle.setAttribute("aria-expanded", String(open));
      toggle.parentElement?.classList.toggle("open", open);
    };
    const close = () => {
      fold(false);
      if (toggle.offsetParent !== null) toggle.focus(); // folded (a phone): focus stays on the menu
    };
    return h("div", { class: "message-menu" }, toggle, h("div", { class: "menu-items" },
      h("button", { type: "button", class: "reply", onclick: () => startReply(current(message)) }, "Reply"),
      h("button", { type: "button", class: "react", "aria-expanded": "false",
        onclick: (event) => {
          palette.hidden = !palette.hidden;
          event.currentTarget.setAttribute("aria-expanded", String(!palette.hidden));
        } }, "React"),
      lifecycle.canEdit(message)
        ? h("button", { type: "button", class: "edit", onclick: (event) => startEdit(current(message), event.currentTarget) }, "Edit")
        : null,
      lifecycle.canDelete(message)
        ? h("button", { type: "button", class: "delete danger", onclick: (event) => confirmDelete(current(message), event.currentTarget) },
          "Delete")
        : null,
      palette,
      moreActions.flatMap((make) => make(message, { close }))));
  };

  const startEdit = (message, button) => {
    const element = elements.get(message.id);
    const field = h("textarea", { class: "edit-text", rows: 2, maxlength: 4000, "aria-label": "New text" });
    field.value = message.text || "";
    const form = h("form", { class: "edit-form" }, field,
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", onclick: () => { form.remove(); button.focus(); } }, "Cancel"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!field.value.trim()) {
        showError("A message cannot be empty; delete it instead.", form);
        return;
      }
      busy(form.querySelector("button[type=submit]"), () => lifecycle.edit(current(message), field.value));
    });
    (element.querySelector(".text") || element.querySelector(".meta")).after(form);
    field.focus();
  };

  const confirmDelete = (message, button) => {
    const element = elements.get(message.id);
    const ask = h("div", { class: "confirm-delete", role: "group", "aria-label": "Delete for everyone?" },
      h("span", {}, "Delete for everyone? "),
      h("button", { type: "button", class: "danger confirm",
        onclick: (event) => busy(event.currentTarget, () => lifecycle.remove(current(message))) }, "Delete"),
      h("button", { type: "button", onclick: () => { ask.remove(); button.focus(); } }, "Keep"));
    (element.querySelector(".text") || element.querySelector(".meta")).after(ask);
    ask.querySelector(".confirm").focus();
  };

  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  // When the log gets shorter (a phone's keyboard opens, the phone turns) the newest messages
  // stay in sight if they were.
  let pinned = true;
  list.addEventListener("scroll", () => { pinned = nearBottom(); }, { passive: true });
  new ResizeObserver(() => { if (pinned) list.scrollTop = list.scrollHeight; }).observe(list);

  const showOlderButton = () => {
    const timeline = chats.timelines.get(chats.activeId);
    $("older").hidden = !timeline || !timeline.hasOlder;
  };

  // Where the unread messages of the chat just opened start: a "New messages" line goes there.
  let unreadFrom = null;
  chats.on("active", () => {
    const chat = chats.active;
    unreadFrom = chat && chat.unread > 0 ? chat.lastSeq - chat.unread + 1 : null;
  });
  chats.on("active", render);
  chats.on("presence", (chatId) => { if (chatId === chats.activeId) renderPresence(); });
  chats.on("typing", (chatId) => { if (chatId === chats.activeId) renderTyping(); });
  chats.on("members", (chatId) => {
    if (chatId !== chats.activeId) return;
    // Names arrive after the first page: put them on the messages already shown.
    for (const [id, element] of elements) {
      const message = chats.timelines.get(chatId)?.byId.get(id);
      if (message) element.querySelector(".sender").textContent = chats.nameOf(message.senderId) || message.senderName || message.sender;
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
    markDays(list, chats);
    markUnread(list, unreadFrom);
    showOlderButton();
    renderTyping();
    if (stick) list.scrollTop = list.scrollHeight;
  });

  chats.on("older", (chatId, messages) => {
    if (chatId !== chats.activeId) return;
    const fromBottom = list.scrollHeight - list.scrollTop;
    list.setAttribute("aria-busy", "true");
    const first = list.querySelector(":scope > .message");
    for (const message of messages) {
      if (elements.has(message.id)) continue;
      const element = messageElement(message);
      list.insertBefore(element, first);
      elements.set(message.id, element);
    }
    list.removeAttribute("aria-busy");
    markDays(list, chats);
    list.scrollTop = list.scrollHeight - fromBottom; // keep what the reader was looking at in place
    const hadFocus = document.activeElement === $("older");
    showOlderButton();
    if (hadFocus && $("older").hidden) list.focus(); // the button went away: keep focus nearby
  });

  chats.on("receipts", (chatId) => {
    if (chatId !== chats.activeId) return;
    for (const [id, element] of elements) {
      const message = chats.timelines.get(chatId)?.byId.get(id);
      const status = message && receipts.statusOf(message);
      const shown = element.querySelector(".meta .status");
      if (status && shown) {
        shown.textContent = ` · ${status}`;
        shown.dataset.status = status === "Sent" ? "sent" : "read";
      }
    }
  });

  chats.on("changed", (chatId, message) => {
    if (chatId !== chats.activeId || !elements.has(message.id)) return;
    const element = messageElement(message);
    elements.get(message.id).replaceWith(element);
    elements.set(message.id, element);
    markDays(list, chats);
    // Replies quoting it show its new text too.
    for (const [id, other] of elements) {
      const held = chats.timelines.get(chatId)?.byId.get(id);
      if (held?.replyTo === message.id) {
        const fresh = messageElement(held);
        other.replaceWith(fresh);
        elements.set(id, fresh);
      }
    }
  });

  $("older").addEventListener("click", (event) => busy(event.currentTarget, () => chats.loadOlder()));

  const composer = $("composer");
  const input = $("composer-text");
  const files = mountAttachmentPicker(composer, chats);
  const replyBar = h("p", { id: "reply-bar", class: "reply-bar", hidden: true });
  const mentionList = h("ul", { id: "mention-list", class: "mention-list", role: "listbox", "aria-label": "Mention someone",
    hidden: true });
  input.before(replyBar);
  input.after(mentionList);

  const startReply = (message) => {
    compose.replyTo = message.id;
    const who = chats.nameOf(message.senderId) || message.senderName || message.sender;
    replyBar.replaceChildren(`↪ Replying to ${who}: ${(message.text || "").slice(0, 80)} `,
      h("button", { type: "button", class: "cancel-reply", onclick: endReply }, "Cancel reply"));
    replyBar.hidden = false;
    input.focus();
  };
  const endReply = () => {
    compose.replyTo = null;
    replyBar.hidden = true;
    replyBar.replaceChildren();
  };
  chats.on("active", endReply);

  // @mentions: typing "@" and the start of a name offers the chat's members.
  const mentionQuery = () => {
    const before = input.value.slice(0, input.selectionStart);
    const match = /(?:^|\s)@([^\s@]{0,30})$/.exec(before);
    return match ? match[1] : null;
  };
  const showMentions = () => {
    const query = mentionQuery();
    const people = query === null ? [] : lifecycle.mentionable(query);
    mentionList.replaceChildren(...people.map((person, index) => h("li", {
      role: "option", id: `mention-${person.id}`, "aria-selected": String(index === 0), dataset: { id: person.id },
      onmousedown: (event) => { event.preventDefault(); pickMention(person); },
    }, person.name)));
    mentionList.hidden = !people.length;
    input.setAttribute("aria-activedescendant", people.length ? `mention-${people[0].id}` : "");
  };
  const pickMention = (person) => {
    const query = mentionQuery() || "";
    const start = input.selectionStart - query.length - 1;
    const label = person.name.replace(/\s+/g, "");
    input.value = `${input.value.slice(0, start)}@${label} ${input.value.slice(input.selectionStart)}`;
    compose.mentions.set(label, person.id);
    mentionList.hidden = true;
    input.focus();
  };
  const mentionsIn = (text) => [...compose.mentions].filter(([label]) => text.includes(`@${label}`)).map(([, id]) => id);

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() && !files.pending()) {
      showError("Type a message first.", composer);
      return;
    }
    const waiting = showSending(outbox, text, () => { if (nearBottom()) list.scrollTop = list.scrollHeight; });
    busy(composer.querySelector("button[type=submit]"), async () => {
      const mentions = mentionsIn(text);
      try {
        if (files.pending()) await files.send(text); // files go as they are (no reply or mentions from here)
        else if (compose.replyTo || mentions.length) await lifecycle.send(text, { replyTo: compose.replyTo, mentions });
        else await chats.send(text);
      } catch (error) {
        waiting.fail(error.message);
        throw error;
      }
      waiting.remove();
      if (input.value === text) input.value = ""; // kept on failure, so sending again retries it
      endReply();
      compose.mentions.clear();
    });
  });
  input.addEventListener("keydown", (event) => {
    if (!mentionList.hidden && (event.key === "Enter" || event.key === "Tab")) {
      const first = mentionList.querySelector("[aria-selected=true]");
      if (first) {
        event.preventDefault();
        pickMention({ id: first.dataset.id, name: first.textContent });
        return;
      }
    }
    if (event.key === "Escape") {
      mentionList.hidden = true;
      if (compose.replyTo) endReply();
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    chats.typed();
    showMentions();
  });

  $("group-panel-toggle").addEventListener("click", (event) => {
    const open = event.currentTarget.getAttribute("aria-expanded") !== "true";
    event.currentTarget.setAttribute("aria-expanded", String(open));
    $("group-panel").hidden = !open;
    if (open) busy(null, () => chats.loadPanel(chats.activeId));
  });

  render();
  return {
    /** Add items to every message's menu: make(message, {close}) -> element(s) or null. */
    addMessageAction: (make) => moreActions.push(make),
  };
}
