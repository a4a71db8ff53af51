// The chat list: one entry per group I am in and per 1:1 chat, with its last message and
// unread count, loaded from the API and sorted for the sidebar. Methods of Chats (chats.js).

export class ChatList {
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
    return this.members.get(chatId)?.get(userId)?.name || this.knownNames.get(userId) || null;
  }

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
      chat.muted = Boolean(conversation.muted);
      chat.mutedUntil = conversation.mutedUntil || null;
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
}

/** Whether a chat is muted now (an end in the past no longer counts). */
export function isMuted(chat) {
  return Boolean(chat && chat.muted && (!chat.mutedUntil || Date.parse(chat.mutedUntil) > Date.now()));
}

export function chatOfGroup(group, role) {
  return { id: group.id, kind: "group", name: group.name, group: { ...group }, role,
    lastMessage: null, lastSeq: 0, unread: 0, exists: true };
}

export function chatOfDirect(peer, conversationId, exists) {
  return { id: conversationId, kind: "direct", name: peer.name || peer.email, peer,
    lastMessage: null, lastSeq: 0, unread: 0, exists };
}

