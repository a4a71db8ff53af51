// The client's state and its use of the API: the open conversation's timeline, sending,
// reading, and which real-time frame changes what. Views listen for changes and render;
// nothing here touches the DOM. Chats is assembled from one module per concern:
// chat-list.js (the chat list), typing-presence.js, group-admin.js (groups and their panel).

import { ChatList, chatOfDirect, isMuted } from "./chat-list.js";
import { GroupAdministration, groupAdminState } from "./group-admin.js";
import { Timeline } from "./timeline.js";
import { TypingAndPresence, typingState } from "./typing-presence.js";

const PAGE = 30;

export class Chats {
  constructor(api, socket, me) {
    this.api = api;
    this.socket = socket;
    this.me = me;
    this.list = new Map(); // chat id -> chat (see chatOfGroup / chatOfDirect in chat-list.js)
    this.activeId = null;
    this.timelines = new Map(); // chat id -> Timeline, for chats opened since sign-in
    this.members = new Map(); // group id -> Map(user id -> member)
    this.knownNames = new Map(); // user id -> name, of everyone seen in a members list since sign-in
    Object.assign(this, groupAdminState(), typingState());
    this.listeners = new Map();
    this.unsent = null; // {chatId, text, clientMessageId}: a failed send, retried with the same id
  }

  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, []);
    this.listeners.get(name).push(listener);
  }

  emit(name, ...args) {
    for (const listener of this.listeners.get(name) || []) listener(...args);
  }

  get active() {
    return this.activeId ? this.list.get(this.activeId) : null;
  }

  // Conversations -------------------------------------------------------------------------

  /** Open a chat: its newest messages, its members' names, presence; marks it read. */
  async open(chatId) {
    const chat = this.list.get(chatId);
    if (!chat) return;
    this.activeId = chatId;
    this.emit("active");
    let timeline = this.timelines.get(chatId);
    if (!timeline) {
      timeline = new Timeline();
      this.timelines.set(chatId, timeline);
      if (chat.exists) {
        const page = await this.api.history(chatId, { limit: PAGE });
        timeline.add(page.messages);
        timeline.hasOlder = page.hasMore;
      }
      if (this.activeId === chatId) this.emit("messages", chatId, timeline.ordered, true);
    } else {
      this.emit("messages", chatId, timeline.ordered, true);
      await this.catchUp(chatId);
    }
    if (chat.kind === "group") await this.loadMembers(chatId);
    this.askPresence();
    this.markRead(chatId);
  }

  closeActive() {
    this.activeId = null;
    this.emit("active");
  }

  /** Older messages of the open chat (before the oldest one held). */
  async loadOlder() {
    const chatId = this.activeId;
    const timeline = this.timelines.get(chatId);
    if (!timeline || !timeline.hasOlder) return;
    const page = await this.api.history(chatId, { limit: PAGE, before: timeline.firstSeq });
    const added = timeline.add(page.messages);
    timeline.hasOlder = page.hasMore;
    this.emit("older", chatId, added);
  }

  /** Fetch what a timeline is missing: after a reconnect, or when a live message skipped ahead. */
  async catchUp(chatId) {
    const timeline = this.timelines.get(chatId);
    const chat = this.list.get(chatId);
    if (!timeline || !chat || !chat.exists) return;
    let after = contiguousUntil(timeline);
    for (let pages = 0; pages < 20; pages += 1) {
      const page = await this.api.history(chatId, { limit: 100, after });
      this.takeMessages(chatId, page.messages);
      if (!page.hasMore) break;
      after = page.nextAfter;
    }
  }

  async loadMembers(groupId) {
    const { members } = await this.api.members(groupId);
    this.members.set(groupId, new Map(members.map((member) => [member.userId, member])));
    // Names outlive membership: the messages of someone who left or was banned keep it.
    for (const member of members) this.knownNames.set(member.userId, member.name);
    this.emit("members", groupId);
  }

  // Messages ------------------------------------------------------------------------------

  /** Send `text` to the open chat over REST; a retry of a failed send reuses its clientMessageId. */
  async send(text) {
    const chat = this.active;
    if (!chat) return;
    const retry = this.unsent && this.unsent.chatId === chat.id && this.unsent.text === text;
    const clientMessageId = retry ? this.unsent.clientMessageId : newClientMessageId();
    this.unsent = { chatId: chat.id, text, clientMessageId };
    this.stopTyping();
    const { message } = chat.kind === "group"
      ? await this.api.sendToGroup(chat.id, text, clientMessageId)
      : await this.api.sendDirect([this.me.email, chat.peer.email], this.me.email, text, clientMessageId);
    this.unsent = null;
    this.takeMessages(chat.id, [message]);
  }

  /** Messages from anywhere (history, a send, a live event) into a chat's state. */
  takeMessages(chatId, messages) {
    const chat = this.list.get(chatId);
    if (!chat || !messages.length) return;
    const started = !chat.exists; // a 1:1 chat's first message creates its conversation
    chat.exists = true;
    if (started && chatId === this.activeId) this.askPresence();
    const timeline = this.timelines.get(chatId);
    let fresh = messages.filter((message) => message.seq > chat.lastSeq);
    if (timeline) {
      const added = timeline.add(messages);
      fresh = added.filter((message) => message.seq > chat.lastSeq);
      if (added.length && chatId === this.activeId) this.emit("messages", chatId, added, false);
    }
    const newest = messages.reduce((a, b) => (b.seq > a.seq ? b : a));
    if (newest.seq > chat.lastSeq) {
      chat.lastSeq = newest.seq;
      chat.lastMessage = newest;
    }
    const fromOthers = fresh.filter((message) => message.senderId !== this.me.id);
    for (const message of fromOthers) this.clearTyping(chatId, message.senderId);
    if (fromOthers.length) {
      if (chatId === this.activeId && document.visibilityState === "visible") this.markRead(chatId);
      else {
        chat.unread += fromOthers.length;
        const last = fromOthers[fromOthers.length - 1];
        const mentioned = fromOthers.some((message) => (message.mentions || []).includes(this.me.id));
        if (!isMuted(chat) || mentioned) this.emit("notice", `New message in ${chat.name} from ${this.nameOf(last.senderId, chatId) || last.senderName || last.sender}.`);
      }
    }
    this.emit("list");
    if (timeline && timeline.hasGap) this.catchUp(chatId).catch(() => {});
  }

  /** Mark a chat read up to its newest message (the server keeps the marker). */
  markRead(chatId) {
    const chat = this.list.get(chatId);
    if (!chat) return;
    const hadUnread = chat.unread > 0;
    chat.unread = 0;
    if (hadUnread) this.emit("list");
    if (chat.exists && chat.lastSeq > 0) this.api.markRead(chatId, chat.lastSeq).catch(() => {});
  }

  /** Start (or reopen) a 1:1 chat with the person who has `email`. */
  async startDirect(email) {
    const wanted = email.trim().toLowerCase();
    if (wanted === this.me.email) throw new Error("That is your own email: pick someone else to chat with.");
    const { user } = await this.api.userByEmail(wanted);
    const page = await this.api.directHistory([this.me.email, user.email], { limit: PAGE });
    let chat = this.list.get(page.conversationId);
    if (!chat) {
      chat = chatOfDirect(user, page.conversationId, page.messages.length > 0);
      this.list.set(chat.id, chat);
    }
    if (!this.timelines.has(chat.id)) {
      const timeline = new Timeline();
      timeline.add(page.messages);
      timeline.hasOlder = page.hasMore;
      this.timelines.set(chat.id, timeline);
    }
    this.emit("list");
    await this.open(chat.id);
  }

  // Real-time events ----------------------------------------------------------------------

  /** One frame from the WebSocket. */
  handle(frame) {
    switch (frame.type) {
      case "message":
        this.takeMessages(frame.message.conversationId, [frame.message]);
        if (!this.list.has(frame.message.conversationId)) this.loadList().catch(() => {});
        break;
      case "typing":
        this.onTyping(frame);
        break;
      case "presence":
        // The answer to `presence` names every member; a pushed change names one: merge both.
        this.online.set(frame.conversationId, { ...(this.online.get(frame.conversationId) || {}), ...frame.online });
        this.emit("presence", frame.conversationId);
        break;
      case "error":
        this.emit("error", frame.error);
        break;
      case "pong":
      case "ack":
      case "read":
        break;
      default:
        if (frame.groupId) this.onGroupEvent(frame).catch(() => {});
    }
  }

  /** The socket came back: fetch what was missed while it was away. */
  async reconnected() {
    await this.loadList();
    await Promise.all([...this.timelines.keys()].map((id) => this.catchUp(id)));
    if (this.active && this.active.kind === "group") {
      if (this.panels.has(this.activeId)) await this.loadPanel(this.activeId);
      else await this.loadMembers(this.activeId);
    }
    this.askPresence();
  }

  stop() {
    this.stopTyping();
  }
}

// The methods of each concern become Chats' own (one object, as the views see it).
for (const concern of [ChatList, TypingAndPresence, GroupAdministration]) {
  for (const name of Object.getOwnPropertyNames(concern.prototype)) {
    if (name !== "constructor") Object.defineProperty(Chats.prototype, name, Object.getOwnPropertyDescriptor(concern.prototype, name));
  }
}

/** The seq up to which a timeline has every message: where catching up starts. */
function contiguousUntil(timeline) {
  const held = timeline.ordered;
  for (let i = 1; i < held.length; i += 1) {
    if (held[i].seq !== held[i - 1].seq + 1) return held[i - 1].seq;
  }
  return timeline.lastSeq;
}

/** A clientMessageId (A-Z a-z 0-9 and -): random, so a retry of the same send is recognised. */
function newClientMessageId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

