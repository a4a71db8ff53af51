// The sidebar: chats with unread counts, requests waiting for approval, starting a 1:1
// chat, creating, finding and joining groups.

import { isMuted } from "./chat-list.js";
import { $, announce, busy, h, onSubmit, replaceChildrenKeepingFocus } from "./dom.js";
import { fullTime, listTime } from "./time.js";

const REFRESH_TIMES_MS = 60000; // "5 min" becomes "6 min"

export function mountSidebar(chats) {
  const renderList = () => {
    const items = chats.sorted().map((chat) => {
      const requests = chats.requestCounts.get(chat.id) || 0;
      const kind = chat.kind === "direct" ? "Direct chat" : chat.group.type === "private" ? "Private group" : "Group";
      const preview = chat.lastMessage ? previewOf(chat, chats) : "";
      return h("li", {},
        h("button", {
          type: "button",
          class: "chat",
          "aria-current": chat.id === chats.activeId ? "true" : null,
          dataset: { key: `chat:${chat.id}`, chatId: chat.id },
          onclick: (event) => busy(event.currentTarget, () => chats.open(chat.id)),
        },
        h("span", { class: "chat-name" }, chat.name),
        chat.lastMessage
          ? h("time", { class: "chat-time", datetime: chat.lastMessage.createdAt, title: fullTime(chat.lastMessage.createdAt) },
            h("span", { class: "visually-hidden" }, ", last message "), listTime(chat.lastMessage.createdAt))
          : null,
        h("span", { class: preview ? "chat-preview" : "chat-preview empty" }, preview || "No messages yet"),
        h("span", { class: "badges" },
          chat.unread > 0 && h("span", { class: isMuted(chat) ? "badge muted" : "badge" }, String(chat.unread),
            h("span", { class: "visually-hidden" }, chat.unread === 1 ? " unread message" : " unread messages")),
          requests > 0 && h("span", { class: "badge requests" }, requests === 1 ? "1 join request" : `${requests} join requests`)),
        h("span", { class: "chat-kind" }, kind,
          isMuted(chat) ? h("span", { class: "muted-mark" }, " · 🔕", h("span", { class: "visually-hidden" }, " (muted)")) : null)));
    });
    replaceChildrenKeepingFocus($("chat-list"), items);
    $("chat-list-empty").hidden = items.length > 0;
  };

  const renderPending = () => {
    const items = [...chats.pending.values()].map((group) => h("li", {},
      h("span", {}, group.name),
      h("button", {
        type: "button",
        dataset: { key: `withdraw:${group.id}` },
        onclick: (event) => busy(event.currentTarget, async () => {
          await chats.withdraw(group.id);
          announce(`Request to join ${group.name} withdrawn.`);
        }),
      }, "Withdraw", h("span", { class: "visually-hidden" }, ` request to join ${group.name}`))));
    replaceChildrenKeepingFocus($("pending-list"), items);
    $("pending-box").hidden = items.length === 0;
  };

  chats.on("list", renderList);
  setInterval(renderList, REFRESH_TIMES_MS);
  chats.on("active", renderList);
  chats.on("pending", renderPending);

  onSubmit("create-group-form", async (form) => {
    const cooldown = Number(form.cooldown.value || 0);
    if (!Number.isInteger(cooldown) || cooldown < 0) throw new Error("The cooldown is a whole number of seconds.");
    await chats.createGroup(form.name.value.trim(), form.type.value, cooldown);
    form.reset();
    announce("Group created.");
  });

  let discovered = { q: "", cursor: null };
  const showGroups = (groups, append) => {
    const items = groups.map((group) => h("li", {},
      h("span", {}, `${group.name} `, h("span", { class: "hint" }, `(${group.memberCount} ${group.memberCount === 1 ? "member" : "members"})`)),
      h("button", {
        type: "button",
        dataset: { key: `discover:${group.id}` },
        onclick: (event) => busy(event.currentTarget, () => joinAndSay(chats, group.id, group.name)),
      }, chats.list.has(group.id) ? "Open" : "Join", h("span", { class: "visually-hidden" }, ` ${group.name}`))));
    const results = $("discover-results");
    if (append) results.append(...items);
    else results.replaceChildren(...items);
    if (!append && !items.length) results.append(h("li", { class: "hint" }, "No open group has a name starting like that."));
  };
  onSubmit("discover-form", async (form) => {
    discovered = { q: form.q.value.trim(), cursor: null };
    const page = await chats.api.discover(discovered.q);
    discovered.cursor = page.nextCursor;
    showGroups(page.groups, false);
    $("discover-more").hidden = !page.nextCursor;
  });
  $("discover-more").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const page = await chats.api.discover(discovered.q, discovered.cursor);
    discovered.cursor = page.nextCursor;
    showGroups(page.groups, true);
    $("discover-more").hidden = !page.nextCursor;
  }));

  onSubmit("join-by-id-form", async (form) => {
    const value = form.groupId.value.trim();
    if (!value) throw new Error("Paste the invite link you were sent, or the group's id.");
    const code = inviteCodeIn(value);
    if (code) {
      const { group } = await chats.api.request("POST", `/invites/${encodeURIComponent(code)}/accept`);
      await chats.loadList();
      if (chats.list.has(group.id)) await chats.open(group.id);
      announce(`You joined ${group.name}.`);
    } else await joinAndSay(chats, value, null);
    form.reset();
  });

  renderList();
  renderPending();
}

async function joinAndSay(chats, groupId, name) {
  const outcome = await chats.join(groupId);
  const group = name || chats.list.get(groupId)?.name || chats.pending.get(groupId)?.name || "the group";
  if (outcome === "joined") announce(`You joined ${group}.`);
  if (outcome === "requested") announce(`Request sent: the owner of ${group} will decide.`);
}

/** The code of an invite link (…/app/#invite=<code>), or null for anything else (a group id). */
export function inviteCodeIn(text) {
  const match = /#invite=([A-Za-z0-9_-]{16,128})$/.exec(text);
  return match ? match[1] : null;
}

function previewOf(chat, chats) {
  const message = chat.lastMessage;
  const who = message.senderId === chats.me.id ? "You"
    : (chats.nameOf(message.senderId, chat.id) || message.senderName || message.sender);
  const files = message.attachments?.length ? `📎 ${message.attachments.map((a) => a.name ?? "file").join(", ")}` : "";
  const text = message.deleted ? "(message deleted)"
    : message.text === null ? "(cannot be decrypted)" : (message.text || files);
  return `${who}: ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}
