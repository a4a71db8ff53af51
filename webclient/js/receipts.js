// Delivery state of my own messages: "Sending…" while the API has not answered, "Sent" once
// it has, and "Read" (1:1) or "Read by 2" (group) as the others read. Read markers are sent
// over the socket (`markRead` frame), which tells the other members, and over REST when the
// socket is down. Installed beside Chats (chats.js): it takes the `read` events before
// Chats.handle sees them. No DOM here.
//
// What others have read comes from three places: live `read` events; the read receipts
// (GET /conversations/{id}/reads) fetched when a chat opens, which survive a reload; and the
// messages themselves: sending moves the sender's own read marker to their message (the API's
// rule, docs/messaging.md), so a message from someone says they have read everything before it.

export class ReadReceipts {
  constructor(chats) {
    this.chats = chats;
    this.readBy = new Map(); // chat id -> Map(user id -> highest seq read)
  }

  install() {
    const chats = this.chats;
    const handle = chats.handle.bind(chats);
    chats.handle = (frame) => (frame.type === "read" ? this.onRead(frame) : handle(frame));
    // Before the views draw them (this listener comes first): what each message tells.
    chats.on("messages", (chatId, messages, whole) => {
      this.learnFrom(chatId, messages);
      if (whole) this.fetch(chatId); // the chat was opened: ask how far everyone has read
    });
    chats.on("older", (chatId, messages) => this.learnFrom(chatId, messages));
    // Marking read goes over the socket (so the others hear of it), else over REST.
    const api = chats.api;
    const rest = api.markRead.bind(api);
    api.markRead = (conversationId, seq) => {
      if (chats.socket && chats.socket.send({ action: "markRead", conversationId, seq })) return Promise.resolve();
      return rest(conversationId, seq);
    };
    return this;
  }

  onRead(frame) {
    if (this.advance(frame.conversationId, frame.userId, frame.seq)) this.chats.emit("receipts", frame.conversationId);
  }

  /** The members' read markers, from the API (a group's first 100 members). */
  async fetch(chatId) {
    const chat = this.chats.list.get(chatId);
    if (!chat || !chat.exists) return;
    let reads;
    try {
      ({ reads } = await this.chats.api.readPositions(chatId));
    } catch {
      return; // receipts are a nicety: the live events still come
    }
    let moved = false;
    for (const read of reads) moved = this.advance(chatId, read.userId, read.readSeq) || moved;
    if (moved) this.chats.emit("receipts", chatId);
  }

  /** Messages from others: their sender had read up to each (sending marks it read). */
  learnFrom(chatId, messages) {
    let moved = false;
    for (const message of messages) moved = this.advance(chatId, message.senderId, message.seq) || moved;
    if (moved) this.chats.emit("receipts", chatId);
  }

  /** Someone other than me has read `chatId` up to `seq`; whether that is news. */
  advance(chatId, userId, seq) {
    if (!userId || userId === this.chats.me.id || !(seq > 0)) return false;
    if (!this.readBy.has(chatId)) this.readBy.set(chatId, new Map());
    const readers = this.readBy.get(chatId);
    if ((readers.get(userId) || 0) >= seq) return false;
    readers.set(userId, seq);
    return true;
  }

  /** "Sent", "Read" or "Read by N" for one of my messages; null for anyone else's. */
  statusOf(message) {
    if (message.senderId !== this.chats.me.id || message.deleted) return null;
    const readers = [...(this.readBy.get(message.conversationId)?.values() || [])].filter((seq) => seq >= message.seq);
    if (!readers.length) return "Sent";
    const chat = this.chats.list.get(message.conversationId);
    return chat && chat.kind === "group" ? `Read by ${readers.length}` : "Read";
  }
}
