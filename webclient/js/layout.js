// One pane at a time on a narrow screen (below 700 px): the chat list, then the open
// conversation, then its details, with back buttons and the browser's own back (a phone's
// back gesture) between them. Wider, the panes sit side by side and only the group panel's
// toggle matters. The pane shown is `data-pane` on #workspace; CSS does the rest.

import { $ } from "./dom.js";

const NARROW = window.matchMedia("(max-width: 699.98px)");
const DEPTH = { list: 0, conversation: 1, details: 2 };

export function mountLayout(chats) {
  const workspace = $("workspace");
  const panelToggle = $("group-panel-toggle");
  workspace.dataset.pane = "list";
  // A reload starts on the list: the entry it reloaded (a pane pushed before) becomes the
  // list's, or the next Back would land on "conversation" and do nothing.
  if (window.history.state?.pane) window.history.replaceState(null, "");

  const focusPane = (pane) => {
    if (!NARROW.matches) return;
    const target = { list: "chats-title", conversation: "conversation-title", details: "group-panel-title" }[pane];
    $(target)?.focus({ preventScroll: true });
  };

  /** Show `pane`; going deeper adds a history entry, so Back returns to the pane before. */
  const show = (pane, { fromHistory = false } = {}) => {
    const before = workspace.dataset.pane;
    if (before === pane) return;
    workspace.dataset.pane = pane;
    if (!fromHistory && NARROW.matches && DEPTH[pane] > DEPTH[before]) window.history.pushState({ pane }, "");
    focusPane(pane);
  };

  const panelOpen = () => panelToggle.getAttribute("aria-expanded") === "true";
  const closePanel = () => { if (panelOpen()) panelToggle.click(); };

  chats.on("active", () => {
    if (chats.active) {
      if (workspace.dataset.pane === "list") show("conversation");
    } else {
      workspace.dataset.pane = "list";
    }
  });
  // The group panel's toggle (conversation-view.js) opens and closes the details pane.
  panelToggle.addEventListener("click", () => {
    queueMicrotask(() => show(panelOpen() ? "details" : "conversation"));
  });

  const back = () => {
    if (window.history.state && window.history.state.pane) window.history.back();
    else goBack(workspace.dataset.pane);
  };
  const goBack = (from) => {
    if (from === "details") {
      closePanel();
      workspace.dataset.pane = "conversation";
      focusPane("conversation");
    } else if (from === "conversation") {
      chats.closeActive(); // a chat nobody looks at counts unread messages again
      workspace.dataset.pane = "list";
      focusPane("list");
    }
  };
  $("back-to-list").addEventListener("click", back);
  $("back-to-conversation").addEventListener("click", back);
  window.addEventListener("popstate", (event) => {
    if (!event.state && window.location.hash) return; // an in-page link (#…), not a pane we pushed
    const wanted = event.state?.pane || "list";
    let pane = workspace.dataset.pane;
    while (DEPTH[pane] > DEPTH[wanted]) {
      goBack(pane);
      pane = workspace.dataset.pane;
    }
    // Forward again (or an entry from before a reload): only to what can be shown.
    if (wanted === "conversation" && pane === "list" && chats.active) show(wanted, { fromHistory: true });
    if (wanted === "details" && chats.active?.kind === "group") {
      if (!panelOpen()) panelToggle.click();
      show(wanted, { fromHistory: true });
    }
  });
}
