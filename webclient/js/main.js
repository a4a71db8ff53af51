// Wiring: where the API is (config.js), the session, signing in and up, and the workspace
// (sidebar, conversation, group panel) fed by the REST API and the real-time socket.

import config from "../config.js";
import { Api } from "./api.js";
import { Chats } from "./chats.js";
import { mountConversation } from "./conversation-view.js";
import { $, announce, busy, clearError, onSubmit, showError } from "./dom.js";
import { mountGroupPanel } from "./group-panel-view.js";
import { mountLayout } from "./layout.js";
import { mountMute } from "./mute-view.js";
import { mountPeopleSearch } from "./people-view.js";
import { mountSafety, showInviteNote } from "./safety-view.js";
import { clearSession, loadSession, saveSession, saveTokens, takeNotice } from "./session.js";
import { mountSessions } from "./sessions-view.js";
import { mountSidebar } from "./sidebar-view.js";
import { RealtimeSocket } from "./socket.js";
import { TokenKeeper } from "./tokens.js";

// Local defaults: REST on this page's origin, WebSocket on port 8001 of this host.
const apiBase = config.apiBase || window.location.origin;
const wsBase = config.wsBase || `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.hostname}:8001`;

const SESSION_ENDED = "Your session has ended. Sign in again.";
const STATUS_TEXT = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…", closed: "Offline" };

const api = new Api(apiBase, { onUnauthorized: () => endSession(SESSION_ENDED) });
let keeper = null;

function endSession(notice) {
  clearSession(notice);
  window.location.reload(); // a fresh page: no state of the old session survives
}

async function boot() {
  $("alert-close").addEventListener("click", clearError);
  // The skip link moves focus without navigating (a fragment would add a history entry).
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    const target = $("composer-text");
    if (target && target.offsetParent !== null) {
      event.preventDefault();
      target.focus();
    }
  });
  const notice = takeNotice();
  if (notice) showError(notice);
  mountAuth();
  const stored = loadSession();
  if (stored) {
    keeper = new TokenKeeper(api, stored, { onTokens: saveTokens, onEnded: () => endSession(SESSION_ENDED) });
    keeper.start(); // an access token that expired while the tab was closed is renewed on first use
    try {
      const { user } = await api.me();
      startWorkspace({ ...stored, user });
      return;
    } catch (error) {
      if (error.status !== 401) showError(error.message); // kept: a reload tries again
      keeper.stop();
      api.token = null;
    }
  }
  $("auth").hidden = false;
}

function mountAuth() {
  showInviteNote();
  window.addEventListener("hashchange", showInviteNote);
  const signIn = async (email, password) => {
    const answer = await api.login(email, password);
    $("auth").hidden = true;
    clearError();
    const session = saveSession(answer);
    keeper = new TokenKeeper(api, session, { onTokens: saveTokens, onEnded: () => endSession(SESSION_ENDED) });
    keeper.start();
    startWorkspace(session);
  };
  onSubmit("sign-in-form", (form) => signIn(form.email.value, form.password.value));
  onSubmit("sign-up-form", async (form) => {
    const fields = Object.fromEntries(["name", "email", "password", "department", "role"]
      .map((name) => [name, form[name].value.trim()]));
    fields.password = form.password.value; // every character of a password counts
    await api.signUp(fields);
    await signIn(fields.email, fields.password);
  });
}

function startWorkspace(session) {
  api.token = session.token;
  $("auth").hidden = true;
  $("workspace").hidden = false;
  $("whoami-name").textContent = session.user.name;
  $("whoami-email").textContent = `(${session.user.email})`;
  $("whoami").hidden = false;
  $("connection").hidden = false;
  $("sign-out").hidden = false;

  let chats = null;
  const socket = new RealtimeSocket(wsBase, () => api.realtimeTicket(), {
    onEvent: (frame) => chats.handle(frame),
    onStatus: (status) => {
      $("connection").textContent = STATUS_TEXT[status];
      $("connection").dataset.status = status;
    },
    onReconnected: () => busy(null, () => chats.reconnected()),
    onUnauthorized: () => endSession(SESSION_ENDED),
  });
  chats = new Chats(api, socket, session.user);
  chats.on("notice", (text, important) => (important ? showError(text) : announce(text)));
  chats.on("error", (error) => showError(error.message));
  mountSidebar(chats);
  const conversation = mountConversation(chats);
  mountGroupPanel(chats);
  mountSafety(chats, conversation);
  mountMute(chats);
  mountLayout(chats);
  mountPeopleSearch(chats);

  mountSessions(api);
  $("devices-all").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    if (!window.confirm("Sign out on every device, this one too?")) return;
    chats.stop();
    socket.stop();
    keeper?.stop();
    await api.logoutAll();
    clearSession();
    window.location.reload();
  }));

  // Sign out on the server too (the session's tokens stop working and its socket closes);
  // if the server cannot be reached the tokens are forgotten here all the same.
  $("sign-out").addEventListener("click", async () => {
    chats.stop();
    socket.stop();
    keeper?.stop();
    await api.logout().catch(() => {});
    clearSession();
    window.location.reload();
  });
  // Messages that came while the tab was hidden count as unread until it is seen.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && chats.active && chats.active.unread) chats.markRead(chats.activeId);
  });

  socket.start();
  busy(null, () => chats.loadList());
}

boot();
