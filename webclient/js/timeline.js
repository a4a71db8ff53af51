// One conversation's messages as the client knows them: de-duplicated by message id
// (delivery is at least once, and a message can come both live and from history) and
// ordered by seq, with what is needed to page back and to catch up. No DOM here.

export class Timeline {
  constructor() {
    this.byId = new Map();
    this.ordered = []; // by seq, oldest first
    this.hasOlder = false; // more history before the oldest message held
  }

  /** Merge messages in; the ones that were new, in seq order. */
  add(messages) {
    const added = [];
    for (const message of messages) {
      if (!message || this.byId.has(message.id)) continue;
      this.byId.set(message.id, message);
      added.push(message);
    }
    if (added.length) this.ordered = [...this.byId.values()].sort((a, b) => a.seq - b.seq);
    return added.sort((a, b) => a.seq - b.seq);
  }

  /** The message held just after `message` (to insert its element before), or null. */
  next(message) {
    const index = this.ordered.indexOf(message);
    return index >= 0 && index + 1 < this.ordered.length ? this.ordered[index + 1] : null;
  }

  /** The highest seq held (0 when empty): where catching up starts. */
  get lastSeq() {
    return this.ordered.length ? this.ordered[this.ordered.length - 1].seq : 0;
  }

  /** The lowest seq held (null when empty): where paging back starts. */
  get firstSeq() {
    return this.ordered.length ? this.ordered[0].seq : null;
  }

  /** True when messages between the ones held are missing (a live message skipped ahead). */
  get hasGap() {
    return this.ordered.some((message, i) => i > 0 && message.seq !== this.ordered[i - 1].seq + 1);
  }
}
