// "Devices": the signed-in user's sessions (GET /sessions), with a button to sign out any
// other device and one to sign out everywhere else. The server closes those devices' sockets.

import { $, busy, h, showError } from "./dom.js";

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function mountSessions(api) {
  const panel = $("devices-panel");
  const list = $("devices-list");
  const toggle = $("devices");
  toggle.hidden = false;

  async function render() {
    const { sessions } = await api.sessions();
    list.replaceChildren(...sessions.map((session) => h("li", { dataset: { sessionId: session.id } },
      h("span", { class: "device-name" }, session.userAgent || "Unknown device"),
      h("span", { class: "device-seen" }, session.current
        ? " — this device"
        : ` — last seen ${TIME.format(new Date(session.lastSeenAt))}`),
      session.current ? null : h("button", {
        type: "button",
        "aria-label": `Sign out ${session.userAgent || "this device"}`,
        onclick: (event) => busy(event.currentTarget, async () => {
          await api.endSession(session.id);
          await render();
        }),
      }, "Sign out"),
    )));
    $("devices-others").disabled = sessions.every((session) => session.current);
  }

  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) render().catch((error) => showError(error.message));
  });
  $("devices-others").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const { sessions } = await api.sessions();
    for (const session of sessions.filter((s) => !s.current)) await api.endSession(session.id);
    await render();
  }));
  $("devices-close").addEventListener("click", () => {
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  });
}
