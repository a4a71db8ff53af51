// The client's state and its use of the API: the chat list (groups and 1:1 chats) with
// unread counts, the open conversation's timeline, typing and presence, join requests,
// and what each real-time event changes. Views listen for changes and render; nothing
// here touches the DOM.

import { Timeline } from "./timeline.js";

const PAGE = 30;
const TYPING_REPEAT_MS = 3000; // while typing, say so at most this often
const TYPING_IDLE_MS = 4000; // quiet this long: "stopped typing"
const PRESENCE_EVERY_MS = 30000; // presence is asked for (the API sends no changes by itself)

export class Chats {
  constructor(api, socket, me) {
    this.api = api;
    this.socket = socket;
    this.me = me;
    this.list = new Map(); // chat id -> chat (see chatOfGroup / chatOfDirect)
    this.activeId = null;
    this.timelines = new Map(); // chat id -> Timeline, for chats opened since sign-in
    this.members = new Map(); // group id -> Map(user id -> member)
    this.panels = new Map(); // group id -> {group, requests, bans} (the group panel's data)
    this.pending = new Map(); // group id -> {id, name}: my requests awaiting approval
    this.requestCounts = new Map(); // group id -> pending requests (groups I own)
    this.typing = new Map(); // chat id -> Map(user id -> timer)
    this.online = new Map(); // chat id -> {user id: bool}
    this.listeners = new Map();
    this.typingSentAt = 0; // when "typing" was last sent (0: not typing)
    this.typingChat = null; // where it was sent
    this.typingIdle = null;
    this.unsent = null; // {chatId, text, clientMessageId}: a failed send, retried with the same id
    this.presenceTimer = setInterval(() => this.askPresence(), PRESENCE_EVERY_MS);
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

  /** Chats, most recent first; groups without messages after them, by name. */
  sorted() {
    return [...this.list.values()].sort((a, b) => {
      const at = (chat) => (chat.lastMessage ? chat.lastMessage.createdAt : "");
      if (at(a) !== at(b)) return at(a) < at(b) ? 1 : -1;
      return a.name.localeCompare(b.name);
    });
  }

  /** A display name for a user id in a chat: "You", a member's or peer's name, or null. */
  nameOf(userId, chatId = this.activeId) {
    if (userId === this.me.id) return "You";
    const chat = this.list.get(chatId);
    if (chat && chat.kind === "direct" && chat.peer.id === userId) return chat.peer.name;
    return this.members.get(chatId)?.get(userId)?.name || null;
  }

  // Loading -------------------------------------------------------------------------------

  /** (Re)load my groups and conversations; server unread counts replace the local ones. */
  async loadList() {
    const groups = [];
    let cursor = null;
    do {
      const page = await this.api.myGroups(cursor);
      groups.push(...page.groups);
      cursor = page.nextCursor;
    } while (cursor && groups.length < 1000);
    const { conversations } = await this.api.conversations();
    const fresh = new Map();
    for (const group of groups) fresh.set(group.id, chatOfGroup(group, group.membership.role));
    for (const conversation of conversations) {
      if (conversation.kind === "direct") fresh.set(conversation.id, chatOfDirect(conversation.participants[0], conversation.id, true));
      const chat = fresh.get(conversation.id);
      if (!chat) continue;
      chat.lastMessage = conversation.lastMessage;
      chat.lastSeq = conversation.lastSeq;
      chat.unread = conversation.unreadCount;
    }
    // A 1:1 chat opened here but without messages yet exists only in this tab.
    for (const chat of this.list.values()) {
      if (chat.kind === "direct" && !fresh.has(chat.id)) fresh.set(chat.id, chat);
    }
    this.list = fresh;
    for (const id of [...this.pending.keys()]) if (fresh.has(id)) this.pending.delete(id);
    if (this.activeId && !fresh.has(this.activeId)) this.closeActive();
    if (this.activeId && this.active.unread) this.markRead(this.activeId);
    this.emit("list");
    this.emit("pending");
    await this.countRequests();
  }

  /** How many join requests wait in each private group I own. */
  async countRequests() {
    const owned = [...this.list.values()].filter((c) => c.kind === "group" && c.role === "owner" && c.group.type === "private");
    await Promise.all(owned.map(async (chat) => {
      try {
        const { requests } = await this.api.requests(chat.id);
        this.requestCounts.set(chat.id, requests.length);
      } catch {
        // Shown as no count; the panel shows the error if it persists.
      }
    }));
    this.emit("list");
  }

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
    this.emit("members", groupId);
  }

  /** The group panel's data: the group, and for its owner the requests and bans. */
  async loadPanel(groupId) {
    const chat = this.list.get(groupId);
    if (!chat) return;
    const { group } = await this.api.group(groupId);
    Object.assign(chat.group, group);
    chat.name = group.name;
    const owner = group.ownerId === this.me.id;
    chat.role = owner ? "owner" : "member";
    const [requests, bans] = owner
      ? await Promise.all([this.api.requests(groupId), this.api.bans(groupId)])
      : [{ requests: [] }, { bans: [] }];
    this.panels.set(groupId, { group, requests: requests.requests, bans: bans.bans });
    if (owner) this.requestCounts.set(groupId, requests.requests.length);
    await this.loadMembers(groupId);
    this.emit("panel", groupId);
    this.emit("list");
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
        this.emit("notice", `New message in ${chat.name} from ${this.nameOf(last.senderId, chatId) || last.sender}.`);
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

  // Typing and presence -------------------------------------------------------------------

  /** The composer changed: tell the others (at most every few seconds), then "stopped". */
  typed() {
    const chat = this.active;
    if (!chat || !chat.exists) return; // a 1:1 chat has no conversation before its first message
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    if (Date.now() - this.typingSentAt < TYPING_REPEAT_MS) return;
    if (this.socket.send({ action: "typing", conversationId: chat.id, isTyping: true })) {
      this.typingSentAt = Date.now();
      this.typingChat = chat.id;
    }
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (!this.typingSentAt) return;
    this.socket.send({ action: "typing", conversationId: this.typingChat, isTyping: false });
    this.typingSentAt = 0;
  }

  /** Names of the people typing in a chat now. */
  typists(chatId) {
    return [...(this.typing.get(chatId)?.keys() || [])].map((id) => this.nameOf(id, chatId) || "Someone");
  }

  clearTyping(chatId, userId) {
    const typists = this.typing.get(chatId);
    if (!typists || !typists.has(userId)) return;
    clearTimeout(typists.get(userId));
    typists.delete(userId);
    this.emit("typing", chatId);
  }

  askPresence() {
    const chat = this.active;
    if (chat && chat.exists !== false) this.socket.send({ action: "presence", conversationId: chat.id });
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
        this.online.set(frame.conversationId, frame.online);
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

  onTyping({ conversationId, userId, isTyping, expiresInSeconds }) {
    if (userId === this.me.id) return;
    if (!this.typing.has(conversationId)) this.typing.set(conversationId, new Map());
    const typists = this.typing.get(conversationId);
    clearTimeout(typists.get(userId));
    if (isTyping) {
      // Typing is not stored: it ends by itself unless repeated.
      typists.set(userId, setTimeout(() => this.clearTyping(conversationId, userId), (expiresInSeconds || 6) * 1000));
    } else {
      typists.delete(userId);
    }
    this.emit("typing", conversationId);
  }

  async onGroupEvent(event) {
    const { groupId, userId } = event;
    const chat = this.list.get(groupId);
    const name = chat?.name || this.pending.get(groupId)?.name || "a group";
    const aboutMe = userId === this.me.id;
    switch (event.type) {
      case "request.created":
        if (!aboutMe) {
          this.requestCounts.set(groupId, (this.requestCounts.get(groupId) || 0) + 1);
          this.emit("notice", `Someone asked to join ${name}.`);
        }
        break;
      case "request.withdrawn":
        if (aboutMe) this.pending.delete(groupId);
        break;
      case "request.decided":
        if (aboutMe) {
          this.pending.delete(groupId);
          const approved = event.decision === "approved";
          this.emit("notice", `Your request to join ${name} was ${approved ? "approved" : "declined"}.`);
        }
        break;
      case "member.joined":
        if (aboutMe && !chat) {
          this.pending.delete(groupId);
          await this.loadList();
        }
        break;
      case "member.left":
      case "member.kicked":
      case "member.banned":
        if (aboutMe) {
          this.forget(groupId);
          if (event.type !== "member.left") {
            const how = event.type === "member.kicked" ? "removed from" : "banned from";
            this.emit("notice", `You were ${how} ${name}.`, true);
          }
          return;
        }
        break;
      case "owner.changed":
      case "group.updated":
        if (event.group && chat) chat.name = event.group.name;
        if (chat) await this.loadPanel(groupId);
        break;
      default:
        break;
    }
    this.emit("pending");
    if (chat && groupId === this.activeId) {
      if (this.panels.has(groupId) && chat.role === "owner") await this.loadPanel(groupId);
      else await this.loadMembers(groupId);
      this.askPresence();
    } else if (chat && chat.role === "owner" && event.type.startsWith("request.")) {
      await this.countRequests();
    }
    this.emit("list");
  }

  // Groups --------------------------------------------------------------------------------

  async createGroup(name, type, rejoinCooldownSeconds) {
    const { group } = await this.api.createGroup(name, type, rejoinCooldownSeconds);
    this.list.set(group.id, chatOfGroup(group, "owner"));
    this.emit("list");
    await this.open(group.id);
  }

  /** Join an open group, or ask to join a private one; what happened, for the caller to say. */
  async join(groupId) {
    if (this.list.has(groupId)) {
      await this.open(groupId);
      return "member";
    }
    const answer = await this.api.groupAction("request", groupId, this.me.id);
    if (answer.membership) {
      await this.loadList();
      if (this.list.has(groupId)) await this.open(groupId);
      return "joined";
    }
    const { group } = await this.api.group(groupId);
    this.pending.set(groupId, { id: groupId, name: group.name });
    this.emit("pending");
    return "requested";
  }

  async withdraw(groupId) {
    await this.api.groupAction("withdraw", groupId, this.me.id);
    this.pending.delete(groupId);
    this.emit("pending");
  }

  /** An owner's decision or moderation: approve, reject, kick, unban (then the panel reloads). */
  async moderate(action, groupId, userId) {
    await this.api.groupAction(action, groupId, userId);
    await this.loadPanel(groupId);
  }

  async ban(groupId, userId, durationSeconds) {
    await this.api.ban(groupId, userId, durationSeconds);
    await this.loadPanel(groupId);
  }

  async banByEmail(groupId, email, durationSeconds) {
    const { user } = await this.api.userByEmail(email.trim());
    await this.ban(groupId, user.id, durationSeconds);
  }

  async transfer(groupId, newOwnerId) {
    await this.api.transferOwner(groupId, this.me.id, newOwnerId);
    await this.loadPanel(groupId);
  }

  async leave(groupId) {
    await this.api.groupAction("leave", groupId, this.me.id);
    this.forget(groupId);
  }

  /** Drop a group I am no longer in from every view. */
  forget(groupId) {
    this.list.delete(groupId);
    this.timelines.delete(groupId);
    this.panels.delete(groupId);
    this.members.delete(groupId);
    this.requestCounts.delete(groupId);
    if (this.activeId === groupId) this.closeActive();
    this.emit("list");
  }

  stop() {
    clearInterval(this.presenceTimer);
    this.stopTyping();
  }
}

function chatOfGroup(group, role) {
  return { id: group.id, kind: "group", name: group.name, group: { ...group }, role,
    lastMessage: null, lastSeq: 0, unread: 0, exists: true };
}

function chatOfDirect(peer, conversationId, exists) {
  return { id: conversationId, kind: "direct", name: peer.name || peer.email, peer,
    lastMessage: null, lastSeq: 0, unread: 0, exists };
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
