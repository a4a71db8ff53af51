// Delivery state of my own messages: "Sending…" while the API has not answered, "Sent" once
// it has, and "Read" (1:1) or "Read by 2" (group) from the `read` events other members'
// clients cause. Read markers are sent over the socket (`markRead` frame), which tells the
// other members, and over REST when the socket is down. Installed beside Chats (chats.js):
// it takes the `read` events before Chats.handle sees them. No DOM here.
//
// The API tells a member only their own read marker, so after a reload a message shows
// "Sent" until someone reads further (docs/webclient.md, "Known limits").

export class ReadReceipts {
  constructor(chats) {
    this.chats = chats;
    this.readBy = new Map(); // chat id -> Map(user id -> highest seq read)
  }

  install() {
    const chats = this.chats;
    const handle = chats.handle.bind(chats);
    chats.handle = (frame) => (frame.type === "read" ? this.onRead(frame) : handle(frame));
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
    if (!frame.userId || frame.userId === this.chats.me.id) return;
    if (!this.readBy.has(frame.conversationId)) this.readBy.set(frame.conversationId, new Map());
    const readers = this.readBy.get(frame.conversationId);
    if ((readers.get(frame.userId) || 0) >= frame.seq) return;
    readers.set(frame.userId, frame.seq);
    this.chats.emit("receipts", frame.conversationId);
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
