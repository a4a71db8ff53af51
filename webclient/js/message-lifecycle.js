// A message after it is sent, on the client: edit, delete, reactions, replies and mentions,
// and the events that change messages already shown (message.edited, message.deleted,
// reaction.changed). No DOM here. Installed beside Chats (chats.js) without changing it:
// it takes the three lifecycle events before Chats.handle sees them, remembers each
// conversation's changeCursor from its history answers, and after a reconnect asks for
// what changed since (GET /messages/{id}?changedSince=). See docs/messaging.md, "Lifecycle".

export const EDIT_WINDOW_MS = 24 * 60 * 60 * 1000; // the server's window (messaging/lifecycle.py)
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏"];
const LIFECYCLE_EVENTS = new Set(["message.edited", "message.deleted", "reaction.changed"]);
const seg = encodeURIComponent;

export class MessageLifecycle {
  constructor(chats) {
    this.chats = chats;
    this.api = chats.api;
    this.cursors = new Map(); // chat id -> the changeCursor of its oldest history still held
    this.installed = false;
  }

  /** Hook into Chats: the lifecycle events, history cursors and the reconnect catch-up. */
  install() {
    if (this.installed) return this;
    this.installed = true;
    const chats = this.chats;
    const handle = chats.handle.bind(chats);
    chats.handle = (frame) => (LIFECYCLE_EVENTS.has(frame.type) ? this.onEvent(frame) : handle(frame));
    const history = this.api.history.bind(this.api);
    this.api.history = async (conversationId, options) => {
      const page = await history(conversationId, options);
      // Keep the first (oldest) cursor: changes to anything loaded since are also after it.
      if (page.changeCursor && !this.cursors.has(conversationId)) this.cursors.set(conversationId, page.changeCursor);
      return page;
    };
    const reconnected = chats.reconnected.bind(chats);
    chats.reconnected = async () => {
      await reconnected();
      await Promise.all([...chats.timelines.keys()].map((id) => this.catchUpChanges(id).catch(() => {})));
    };
    return this;
  }

  // What the user does --------------------------------------------------------------------

  canEdit(message) {
    return message.senderId === this.chats.me.id && !message.deleted
      && Date.now() - Date.parse(message.createdAt) < EDIT_WINDOW_MS;
  }

  canDelete(message) {
    if (message.deleted) return false;
    if (message.senderId === this.chats.me.id) return true;
    const chat = this.chats.list.get(message.conversationId);
    return Boolean(chat && chat.kind === "group" && (chat.role === "owner" || chat.role === "moderator"));
  }

  async edit(message, text) {
    const answer = await this.api.request("PATCH", `/messages/${seg(message.conversationId)}/${seg(message.id)}`, { text });
    this.apply(answer.message);
  }

  async remove(message) {
    await this.api.request("DELETE", `/messages/${seg(message.conversationId)}/${seg(message.id)}`);
    this.apply({ ...message, text: null, deleted: true, reactions: [], replyTo: undefined, mentions: undefined, attachments: undefined,
                 version: (message.version || 1) + 1 });
  }

  /** React with `emoji`, or take it back if the caller already did. */
  async toggleReaction(message, emoji) {
    const path = `/messages/${seg(message.conversationId)}/${seg(message.id)}/reactions/${seg(emoji)}`;
    const mine = (message.reactions || []).some((reaction) => reaction.emoji === emoji && reaction.me);
    if (!mine) {
      this.apply((await this.api.request("PUT", path)).message);
      return;
    }
    await this.api.request("DELETE", path);
    const reactions = (message.reactions || [])
      .map((r) => (r.emoji === emoji ? { ...r, count: r.count - 1, me: false } : r))
      .filter((r) => r.count > 0);
    this.apply({ ...message, reactions, version: (message.version || 1) + 1 });
  }

  /** Send with a reply and/or mentions (plain sends go through Chats.send). */
  async send(text, { replyTo, mentions } = {}) {
    const chat = this.chats.active;
    if (!chat) return;
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const clientMessageId = `web-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const extra = { ...(replyTo ? { replyTo } : {}), ...(mentions && mentions.length ? { mentions } : {}) };
    this.chats.stopTyping();
    const { message } = chat.kind === "group"
      ? await this.api.request("POST", "/messages/send", { groupId: chat.id, text, clientMessageId, ...extra })
      : await this.api.request("PUT", "/messages", {
        participants: [this.chats.me.email, chat.peer.email],
        message: { sender: this.chats.me.email, text, clientMessageId, ...extra },
      });
    this.chats.takeMessages(chat.id, [message]);
  }

  /** People who may be mentioned in the open chat: [{id, name}], filtered by a typed prefix. */
  mentionable(prefix = "") {
    const chat = this.chats.active;
    if (!chat) return [];
    const people = chat.kind === "direct"
      ? [{ id: chat.peer.id, name: chat.peer.name }]
      : [...(this.chats.members.get(chat.id)?.values() || [])].map((m) => ({ id: m.userId, name: m.name }));
    const wanted = prefix.toLowerCase();
    return people.filter((p) => p.id !== this.chats.me.id && (p.name || "").toLowerCase().startsWith(wanted)).slice(0, 8);
  }

  /** The message `message` replies to, if the client holds it. */
  repliedTo(message) {
    return message.replyTo ? this.chats.timelines.get(message.conversationId)?.byId.get(message.replyTo) || null : null;
  }

  // What the server tells ------------------------------------------------------------------

  onEvent(frame) {
    const view = frame.message;
    if (frame.actorId !== this.chats.me.id) {
      // `me` in an event is the actor's: keep this user's own flags.
      const held = this.held(view);
      const mine = new Set((held?.reactions || []).filter((r) => r.me).map((r) => r.emoji));
      view.reactions = (view.reactions || []).map((r) => ({ ...r, me: mine.has(r.emoji) }));
    }
    this.apply(view);
  }

  /** Put a newer view of a message in place (by `version`); older or unknown ones are ignored. */
  apply(view) {
    const chats = this.chats;
    const timeline = chats.timelines.get(view.conversationId);
    const chat = chats.list.get(view.conversationId);
    if (chat?.lastMessage?.id === view.id && newer(view, chat.lastMessage)) {
      chat.lastMessage = view;
      chats.emit("list");
    }
    const held = timeline?.byId.get(view.id);
    if (!held || !newer(view, held)) return;
    timeline.byId.set(view.id, view);
    timeline.ordered = timeline.ordered.map((message) => (message.id === view.id ? view : message));
    chats.emit("changed", view.conversationId, view);
  }

  held(view) {
    return this.chats.timelines.get(view.conversationId)?.byId.get(view.id) || null;
  }

  /** Changes to messages already held, since the conversation's cursor. */
  async catchUpChanges(chatId) {
    let cursor = this.cursors.get(chatId);
    if (!cursor || !this.chats.timelines.has(chatId)) return;
    for (let pages = 0; pages < 20; pages += 1) {
      const page = await this.api.request("GET", `/messages/${seg(chatId)}?changedSince=${seg(cursor)}&limit=100`);
      for (const view of page.messages) this.apply(view);
      cursor = page.changeCursor;
      if (!page.hasMore) break;
    }
    this.cursors.set(chatId, cursor);
  }
}

function newer(view, held) {
  return (view.version || 1) > (held.version || 1);
}
