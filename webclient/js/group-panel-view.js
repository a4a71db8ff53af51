// The group panel: what the group is, its members (with who is online and their role),
// and for its owner and moderators the join requests (approve / reject), bans, kicking,
// invite links and reports (moderation-view.js); the owner also names moderators and
// hands over ownership. Moderators act on plain members only. Everyone can leave (the
// owner is told by the API to hand over ownership first).

import { $, announce, busy, h, onSubmit, replaceChildrenKeepingFocus } from "./dom.js";
import { mountModeration } from "./moderation-view.js";

const BAN_DURATIONS = [["", "Until I lift it"], ["3600", "1 hour"], ["86400", "1 day"], ["604800", "1 week"]];

export function mountGroupPanel(chats) {
  const body = $("group-panel-body");
  let moderation = null;

  const render = () => {
    const chat = chats.active;
    const panel = chat && chats.panels.get(chat.id);
    if (!chat || chat.kind !== "group" || !panel || $("group-panel").hidden) return;
    const role = moderation.roleOf(chat.id);
    const sections = [about(panel.group, role), membersSection(chats, chat.id, role, moderation)];
    if (role !== "member") {
      const { requests, bans } = moderation.lists(chat.id, panel);
      sections.push(requestsSection(chats, chat.id, requests), bansSection(chats, chat.id, bans),
        ...moderation.sections(chat.id));
    }
    sections.push(h("p", {}, h("button", {
      type: "button",
      class: "danger",
      dataset: { key: "leave" },
      onclick: (event) => {
        if (!window.confirm(`Leave ${chat.name}?`)) return;
        busy(event.currentTarget, async () => {
          await chats.leave(chat.id);
          announce(`You left ${chat.name}.`);
        });
      },
    }, "Leave group")));
    replaceChildrenKeepingFocus(body, sections);
  };
  moderation = mountModeration(chats, (groupId) => { if (groupId === chats.activeId) render(); });

  chats.on("panel", (groupId) => { if (groupId === chats.activeId) render(); });
  chats.on("members", (groupId) => { if (groupId === chats.activeId) render(); });
  chats.on("presence", (groupId) => { if (groupId === chats.activeId) render(); });
  chats.on("active", () => {
    body.replaceChildren();
    if (chats.active && chats.active.kind === "group" && !$("group-panel").hidden) {
      busy(null, () => chats.loadPanel(chats.activeId));
    }
  });
}

function about(group, role) {
  const cooldown = group.rejoinCooldownSeconds ? `${group.rejoinCooldownSeconds} seconds` : "none";
  return h("section", { "aria-labelledby": "group-about-title" },
    h("h3", { id: "group-about-title" }, "About"),
    h("dl", { class: "facts" },
      h("dt", {}, "Type"), h("dd", {}, group.type === "private" ? "Private: the owner approves who joins" : "Open: anyone can join"),
      h("dt", {}, "Members"), h("dd", {}, String(group.memberCount)),
      h("dt", {}, "Rejoin cooldown"), h("dd", {}, cooldown)),
    h("p", { class: "hint", id: "group-how-to-join" }, howToJoin(group, role)));
}

/** How people come in, for who is reading: staff make invite links, members ask for one. */
function howToJoin(group, role) {
  const open = group.type !== "private";
  if (role !== "member") {
    return open
      ? "Anyone can find this group by its name under “Find groups”. To bring someone straight in, create an invite link below and send it to them."
      : "To bring someone in, create an invite link below and send it to them: it lets them in at once, without a request to approve.";
  }
  return open
    ? "Anyone can find this group by its name under “Find groups”, or ask the owner or a moderator for an invite link."
    : "Only the owner and moderators let people in: ask the owner or a moderator for an invite link.";
}

const RANK = { owner: 0, moderator: 1, member: 2 };

function membersSection(chats, groupId, role, moderation) {
  const owner = role === "owner";
  const online = chats.online.get(groupId) || {};
  const members = [...(chats.members.get(groupId)?.values() || [])]
    .sort((a, b) => (RANK[a.role] ?? 2) - (RANK[b.role] ?? 2) || a.name.localeCompare(b.name));
  const items = members.map((member) => {
    const isMe = member.userId === chats.me.id;
    const label = `${member.name}${isMe ? " (you)" : ""}${member.role !== "member" ? `, ${member.role}` : ""}`;
    // Moderators act on plain members only; the owner on everyone but themselves.
    const mayModerate = !isMe && (owner || (role === "moderator" && member.role === "member"));
    const actions = !mayModerate ? [] : [
      ...(owner ? moderation.roleActions(groupId, member, action) : []),
      ...(owner ? [
      action(`transfer:${member.userId}`, "Make owner", member.name, `Make ${member.name} the owner? You will be a plain member.`,
        () => chats.transfer(groupId, member.userId), `${member.name} is now the owner.`)] : []),
      action(`kick:${member.userId}`, "Remove", member.name, `Remove ${member.name} from the group?`,
        () => chats.moderate("kick", groupId, member.userId), `${member.name} was removed.`),
      action(`ban:${member.userId}`, "Ban", member.name, `Ban ${member.name}? They cannot ask to join again until you lift it.`,
        () => chats.ban(groupId, member.userId), `${member.name} was banned.`),
    ];
    return h("li", { class: "member" },
      h("span", { class: online[member.userId] ? "dot online" : "dot", "aria-hidden": "true" }),
      h("span", {}, label),
      h("span", { class: "visually-hidden" }, online[member.userId] ? ", online" : ""),
      actions.length ? h("span", { class: "actions" }, actions) : null);
  });
  return h("section", { "aria-labelledby": "group-members-title" },
    h("h3", { id: "group-members-title" }, "Members"),
    h("ul", { class: "plain-list", id: "group-members" }, items));
}

function requestsSection(chats, groupId, requests) {
  const items = requests.map((request) => {
    const name = request.name || request.userId;
    return h("li", {},
      h("span", {}, name),
      h("span", { class: "actions" },
        action(`approve:${request.userId}`, "Approve", name, null,
          () => chats.moderate("approve", groupId, request.userId), `${name} is now a member.`),
        action(`reject:${request.userId}`, "Reject", name, null,
          () => chats.moderate("reject", groupId, request.userId), `Request from ${name} rejected.`)));
  });
  return h("section", { "aria-labelledby": "group-requests-title" },
    h("h3", { id: "group-requests-title" }, "Join requests"),
    items.length ? h("ul", { class: "plain-list", id: "group-requests" }, items) : h("p", { class: "hint" }, "No requests waiting."));
}

function bansSection(chats, groupId, bans) {
  const items = bans.map((ban) => {
    const name = ban.name || ban.userId;
    const until = ban.bannedUntil ? ` until ${new Date(ban.bannedUntil).toLocaleString()}` : "";
    return h("li", {},
      h("span", {}, `${name}${until}`),
      h("span", { class: "actions" },
        action(`unban:${ban.userId}`, "Lift ban", name, null,
          () => chats.moderate("unban", groupId, ban.userId), `${name} may ask to join again.`)));
  });
  const form = h("form", { class: "inline-form", novalidate: true },
    h("label", { for: "ban-email" }, "Ban someone by email"),
    h("input", { id: "ban-email", name: "email", type: "email", required: true, dataset: { key: "ban-email" } }),
    h("label", { for: "ban-duration" }, "For how long"),
    h("select", { id: "ban-duration", name: "duration", dataset: { key: "ban-duration" } },
      BAN_DURATIONS.map(([value, text]) => h("option", { value }, text))),
    h("button", { type: "submit", dataset: { key: "ban-submit" } }, "Ban"));
  onSubmit(form, async () => {
    const email = form.email.value;
    await chats.banByEmail(groupId, email, Number(form.duration.value) || undefined);
    announce(`${email} was banned.`);
  });
  return h("section", { "aria-labelledby": "group-bans-title" },
    h("h3", { id: "group-bans-title" }, "Banned"),
    items.length ? h("ul", { class: "plain-list", id: "group-bans" }, items) : h("p", { class: "hint" }, "Nobody is banned."),
    form);
}

/** A button acting on one person: its accessible name says who ("Approve Alice"). */
function action(key, text, name, confirmText, work, done) {
  return h("button", {
    type: "button",
    dataset: { key },
    onclick: (event) => {
      if (confirmText && !window.confirm(confirmText)) return;
      busy(event.currentTarget, async () => {
        await work();
        announce(done);
      });
    },
  }, text, h("span", { class: "visually-hidden" }, ` ${name}`));
}
