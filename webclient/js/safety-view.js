// Safety outside the group panel: a Report item in each group message's menu, Block /
// Unblock in a 1:1 chat's header, and joining by an invite link (#invite=<code>).
// It watches the message log instead of changing the conversation view, which stays
// unaware of it.

import { $, announce, busy, h, showError } from "./dom.js";
import { SafetyApi } from "./safety-api.js";

const REASONS = ["Spam", "Harassment or hate", "Something else inappropriate"];

export function mountSafety(chats) {
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

  // Report from a message's menu -------------------------------------------------------------
  const withMenu = (item) => {
    const chat = chats.active;
    if (!chat || chat.kind !== "group" || item.classList.contains("mine") || !item.dataset.id) return;
    if (item.querySelector(".report-menu")) return;
    const reason = h("select", { "aria-label": "Reason", dataset: { key: `reason:${item.dataset.id}` } },
      REASONS.map((text) => h("option", { value: text }, text)));
    const menu = h("details", { class: "report-menu" },
      h("summary", {}, h("span", { "aria-hidden": "true" }, "⋯"), h("span", { class: "visually-hidden" }, "Message actions")),
      reason,
      h("button", {
        type: "button",
        dataset: { key: `report:${item.dataset.id}` },
        onclick: (event) => busy(event.currentTarget, async () => {
          await safety.report(chat.id, item.dataset.id, reason.value);
          menu.open = false;
          announce("Thanks: the group's moderators will look at it.");
        }),
      }, "Report", h("span", { class: "visually-hidden" }, " this message to the moderators")));
    item.prepend(menu); // first: the message text stays the item's last line
  };
  const log = $("messages");
  new MutationObserver((changes) => {
    for (const change of changes) change.addedNodes.forEach((node) => { if (node.nodeType === 1) withMenu(node); });
  }).observe(log, { childList: true });

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
