// Safety outside the group panel: a Report item in each group message's one menu (added
// through the conversation view's addMessageAction, which knows nothing of reports),
// Block / Unblock in a 1:1 chat's header, and joining by an invite link (#invite=<code>).

import { $, announce, busy, h, showError } from "./dom.js";
import { SafetyApi } from "./safety-api.js";

const REASONS = ["Spam", "Harassment or hate", "Something else inappropriate"];

export function mountSafety(chats, conversation) {
  const safety = new SafetyApi(chats.api);
  const blocked = new Set();

  // Block in a 1:1 -------------------------------------------------------------------------
  const blockButton = h("button", { id: "block-toggle", type: "button", class: "danger", hidden: true });
  $("group-panel-toggle").before(blockButton);
  const renderBlock = () => {
    const chat = chats.active;
    const peer = chat && chat.kind === "direct" ? chat.peer : null;
    blockButton.hidden = !peer;
    if (peer) blockButton.textContent = blocked.has(peer.id) ? `Unblock ${peer.name}` : `Block ${peer.name}`;
  };
  blockButton.addEventListener("click", (event) => {
    const peer = chats.active?.peer;
    if (!peer) return;
    const blocking = !blocked.has(peer.id);
    if (blocking && !window.confirm(`Block ${peer.name}? They will not be able to message you here.`)) return;
    busy(event.currentTarget, async () => {
      if (blocking) await safety.block(peer.id);
      else await safety.unblock(peer.id);
      if (blocking) blocked.add(peer.id);
      else blocked.delete(peer.id);
      announce(blocking ? `${peer.name} is blocked.` : `${peer.name} is unblocked.`);
      renderBlock();
    });
  });
  chats.on("active", renderBlock);
  busy(null, async () => {
    const { blocked: rows } = await safety.blocked();
    rows.forEach((row) => blocked.add(row.userId));
    renderBlock();
  });

  // Report, in the menu of each group message from someone else --------------------------------
  conversation.addMessageAction((message, menu) => {
    const chat = chats.list.get(message.conversationId);
    if (!chat || chat.kind !== "group" || message.senderId === chats.me.id) return null;
    const reason = h("select", { "aria-label": "Reason", dataset: { key: `reason:${message.id}` } },
      REASONS.map((text) => h("option", { value: text }, text)));
    const form = h("div", { class: "report-form", role: "group", "aria-label": "Report this message", hidden: true },
      reason,
      h("button", {
        type: "button",
        class: "danger",
        dataset: { key: `report:${message.id}` },
        onclick: (event) => busy(event.currentTarget, async () => {
          await safety.report(chat.id, message.id, reason.value);
          form.hidden = true;
          opener.setAttribute("aria-expanded", "false");
          opener.focus();
          menu.close();
          announce("Thanks: the group's moderators will look at it.");
        }),
      }, "Report", h("span", { class: "visually-hidden" }, " this message to the moderators")));
    const opener = h("button", {
      type: "button",
      class: "report",
      "aria-expanded": "false",
      onclick: () => {
        form.hidden = !form.hidden;
        opener.setAttribute("aria-expanded", String(!form.hidden));
        if (!form.hidden) reason.focus();
      },
    }, "Report…");
    return [opener, form];
  });

  // Joining by an invite link ----------------------------------------------------------------
  // At sign-in (a link opened signed out, or signed up from) and whenever the fragment
  // changes in a signed-in tab (a link pasted into its address bar).
  const joinByLink = () => {
    const code = inviteCodeInHash();
    if (!code) return;
    // The code leaves the address bar (and this entry of the history) at once.
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    busy(null, async () => {
      try {
        const { group } = await safety.acceptInvite(code);
        await chats.loadList();
        if (chats.list.has(group.id)) await chats.open(group.id);
        announce(`You joined ${group.name}.`);
      } catch (error) {
        showError(error.message);
      }
    });
  };
  window.addEventListener("hashchange", joinByLink);
  joinByLink();
}

/** The code of the invite link this page was opened with (#invite=<code>), or null. */
function inviteCodeInHash() {
  const match = window.location.hash.match(/^#invite=([A-Za-z0-9_-]{16,128})$/);
  return match ? match[1] : null;
}

/** On the sign-in page: say that signing in (or up) joins the group of the link opened. */
export function showInviteNote() {
  const note = $("invite-note");
  if (note) note.hidden = !inviteCodeInHash();
}
