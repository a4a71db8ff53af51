// The group panel's staff tools (owner and moderators): invite links with a copy button,
// reports with the reported message, and for moderators the requests and bans the owner's
// panel data already holds. Also the role actions on a member row (promote, demote).

import { announce, busy, h, onSubmit } from "./dom.js";
import { SafetyApi } from "./safety-api.js";

const INVITE_LIFETIMES = [["86400", "1 day"], ["604800", "1 week"], ["2592000", "30 days"]];

/** The staff tools for the group panel; `rerender(groupId)` redraws the panel. */
export function mountModeration(chats, rerender) {
  const safety = new SafetyApi(chats.api);
  const data = new Map(); // groupId -> {invites, reports, requests, bans}
  const fresh = new Map(); // groupId -> {code, link} of the invite made last (codes are shown once)

  const roleOf = (groupId) => {
    const panel = chats.panels.get(groupId);
    if (panel && panel.group.ownerId === chats.me.id) return "owner";
    return chats.members.get(groupId)?.get(chats.me.id)?.role || "member";
  };

  const refresh = async (groupId) => {
    const role = roleOf(groupId);
    if (role === "member") {
      data.delete(groupId);
      return;
    }
    const moderator = role === "moderator";
    const [invites, reports, requests, bans] = await Promise.all([
      safety.invites(groupId), safety.reports(groupId),
      moderator ? chats.api.requests(groupId) : null, moderator ? chats.api.bans(groupId) : null,
    ]);
    data.set(groupId, {
      invites: invites.invites, reports: reports.reports,
      requests: requests ? requests.requests : null, bans: bans ? bans.bans : null,
    });
    rerender(groupId);
  };
  const refreshActive = () => {
    const chat = chats.active;
    if (chat && chat.kind === "group" && chats.panels.has(chat.id)) busy(null, () => refresh(chat.id));
  };
  chats.on("panel", refreshActive);
  chats.on("members", (groupId) => { if (groupId === chats.activeId) refreshActive(); });

  return {
    roleOf,
    /** Requests and bans as the caller's role sees them. */
    lists(groupId, panel) {
      const own = data.get(groupId) || {};
      return { requests: own.requests || panel.requests, bans: own.bans || panel.bans };
    },
    /** Promote / demote buttons on a member row, for the owner. */
    roleActions(groupId, member, action) {
      if (roleOf(groupId) !== "owner" || member.role === "owner") return [];
      if (member.role === "moderator") {
        return [action(`demote:${member.userId}`, "Remove moderator", member.name, null,
          async () => { await safety.demote(groupId, member.userId); await chats.loadPanel(groupId); },
          `${member.name} is no longer a moderator.`)];
      }
      return [action(`promote:${member.userId}`, "Make moderator", member.name, null,
        async () => { await safety.promote(groupId, member.userId); await chats.loadPanel(groupId); },
        `${member.name} is now a moderator.`)];
    },
    sections(groupId) {
      const own = data.get(groupId);
      if (roleOf(groupId) === "member" || !own) return [];
      return [invitesSection(safety, groupId, own, fresh, () => refresh(groupId)),
        reportsSection(safety, groupId, own, () => refresh(groupId))];
    },
  };
}

function inviteLink(code) {
  return `${window.location.origin}${window.location.pathname}#invite=${encodeURIComponent(code)}`;
}

function invitesSection(safety, groupId, own, fresh, reload) {
  const form = h("form", { class: "inline-form", novalidate: true },
    h("label", { for: "invite-lifetime" }, "Link valid for"),
    h("select", { id: "invite-lifetime", name: "lifetime", dataset: { key: "invite-lifetime" } },
      INVITE_LIFETIMES.map(([value, text]) => h("option", { value, selected: value === "604800" }, text))),
    h("label", { for: "invite-uses" }, "Uses (empty: any)"),
    h("input", { id: "invite-uses", name: "uses", type: "number", min: "1", max: "10000", dataset: { key: "invite-uses" } }),
    h("button", { type: "submit", dataset: { key: "invite-create" } }, "Create invite link"));
  onSubmit(form, async () => {
    const { invite } = await safety.createInvite(groupId, {
      expiresInSeconds: Number(form.lifetime.value), maxUses: Number(form.uses.value) || undefined,
    });
    fresh.set(groupId, { id: invite.id, link: inviteLink(invite.code) });
    announce("Invite link created. Copy it now: it is shown only once.");
    await reload();
  });
  const made = fresh.get(groupId);
  const shown = made && h("p", { class: "invite-link" },
    h("input", { id: "invite-link", readonly: true, value: made.link, "aria-label": "Invite link" }),
    h("button", {
      type: "button",
      dataset: { key: "invite-copy" },
      onclick: async () => {
        const field = document.getElementById("invite-link");
        try {
          await navigator.clipboard.writeText(made.link);
        } catch {
          field.select(); // no clipboard permission: leave it selected for Ctrl+C
          document.execCommand && document.execCommand("copy");
        }
        announce("Invite link copied.");
      },
    }, "Copy link"));
  const items = own.invites.map((invite) => h("li", {},
    h("span", {}, `${invite.uses}${invite.maxUses ? ` of ${invite.maxUses}` : ""} ${invite.uses === 1 && !invite.maxUses ? "use" : "uses"}, until ${new Date(invite.expiresAt).toLocaleString()}`),
    h("span", { class: "actions" }, h("button", {
      type: "button",
      dataset: { key: `revoke:${invite.id}` },
      onclick: (event) => busy(event.currentTarget, async () => {
        await safety.revokeInvite(groupId, invite.id);
        if (fresh.get(groupId)?.id === invite.id) fresh.delete(groupId);
        announce("Invite link revoked.");
        await reload();
      }),
    }, "Revoke"))));
  return h("section", { "aria-labelledby": "group-invites-title" },
    h("h3", { id: "group-invites-title" }, "Invite links"),
    shown || null,
    items.length ? h("ul", { class: "plain-list", id: "group-invites" }, items) : h("p", { class: "hint" }, "No invite links."),
    form);
}

function reportsSection(safety, groupId, own, reload) {
  const items = own.reports.map((report) => {
    const text = report.message ? (report.message.text ?? "(cannot be decrypted)") : "(message gone)";
    const who = report.reporterName || report.reporterId;
    return h("li", { class: "report" },
      h("p", {}, h("strong", {}, who), `: ${report.reason}`),
      h("blockquote", {}, report.message ? `${report.message.sender}: ${text}` : text),
      h("button", {
        type: "button",
        dataset: { key: `resolve:${report.id}` },
        onclick: (event) => busy(event.currentTarget, async () => {
          await safety.resolveReport(groupId, report.id);
          announce("Report resolved.");
          await reload();
        }),
      }, "Resolve", h("span", { class: "visually-hidden" }, ` report from ${who}`)));
  });
  return h("section", { "aria-labelledby": "group-reports-title" },
    h("h3", { id: "group-reports-title" }, "Reports"),
    items.length ? h("ul", { class: "plain-list", id: "group-reports" }, items) : h("p", { class: "hint" }, "No open reports."));
}
