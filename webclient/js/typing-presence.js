// Typing indicators and presence: what the composer tells the others, who is typing in each
// chat (an indicator ends by itself unless repeated) and who is online. Methods of Chats
// (chats.js), kept here apart from the chat list and group administration.

// Presence is asked for when a chat opens (and after a reconnect or a membership change); from
// then on the API pushes each change of that chat's members (the socket follows the chat it asked about).
const TYPING_REPEAT_MS = 4000; // while typing, say so at most this often (the API coalesces to one per 3 s)
const TYPING_IDLE_MS = 4000; // quiet this long: "stopped typing"

/** The state these methods keep on a Chats. */
export function typingState() {
  return {
    typing: new Map(), // chat id -> Map(user id -> timer)
    online: new Map(), // chat id -> {user id: bool}
    typingSentAt: 0, // when "typing" was last sent (0: not typing)
    typingChat: null, // where it was sent
    typingIdle: null,
  };
}

export class TypingAndPresence {
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
}
