// Group administration: creating, joining and leaving groups, an owner's panel (requests,
// bans, moderation, ownership) and what each group event changes. Methods of Chats
// (chats.js), kept here apart from the chat list and typing.

import { chatOfGroup } from "./chat-list.js";

/** The state these methods keep on a Chats. */
export function groupAdminState() {
  return {
    panels: new Map(), // group id -> {group, requests, bans} (the group panel's data)
    pending: new Map(), // group id -> {id, name}: my requests awaiting approval
    requestCounts: new Map(), // group id -> pending requests (groups I own)
  };
}

export class GroupAdministration {
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
}
