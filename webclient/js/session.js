// The signed-in session: kept in sessionStorage. It survives a reload of the tab, is not
// shared with other tabs (so two people can be signed in side by side) and is gone when
// the tab closes; unlike localStorage it never outlives the browsing session on disk.
// Scripts on this origin can read it either way (as they could read memory), which is
// why the page loads no third-party code and has a strict Content-Security-Policy.

const KEY = "secure-messaging.session";
const NOTICE_KEY = "secure-messaging.notice";

/** {token, refreshToken, sessionId, user, expiresAt} if a session is stored (its access token
 * may have expired: the refresh token renews it), else null. */
export function loadSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY));
    if (stored && stored.token && (stored.refreshToken || stored.expiresAt > Date.now())) return stored;
  } catch {
    // Unreadable: treated as signed out.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

/** Keep a POST /login answer: {token, refreshToken, expiresIn, sessionId, user}. */
export function saveSession({ token, refreshToken, expiresIn, sessionId, user }) {
  const session = { token, refreshToken, sessionId, user, expiresAt: Date.now() + (expiresIn || 900) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Keep a POST /token/refresh answer (the new pair) in the stored session. */
export function saveTokens({ token, refreshToken, expiresIn }) {
  const stored = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (!stored) return;
  Object.assign(stored, { token, refreshToken, expiresAt: Date.now() + expiresIn * 1000 });
  sessionStorage.setItem(KEY, JSON.stringify(stored));
}

export function clearSession(notice) {
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
}

/** A message left for the next page load (why the session ended), read once. */
export function takeNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}
