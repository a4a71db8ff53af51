// Keeping the session signed in: access tokens live minutes, so the keeper swaps the refresh
// token for a new pair shortly before the access token expires (and at once when the API
// answers 401 token_expired). A refresh token works once, and presenting a used one ends the
// session on the server, so only one refresh is ever in flight: every caller awaits the same one.

const EARLY_MS = 60000; // refresh this long before the access token expires
const MIN_DELAY_MS = 5000;

export class TokenKeeper {
  /**
   * api: the Api (its `token` is kept current).
   * session: {token, refreshToken, expiresAt}, as saved by session.js.
   * handlers: onTokens(pair) after each refresh (to store it), onEnded(error) when the
   * session cannot be refreshed any more (it was ended, or the refresh token was reused).
   */
  constructor(api, session, { onTokens, onEnded }) {
    this.api = api;
    this.session = session;
    this.onTokens = onTokens;
    this.onEnded = onEnded;
    this.inFlight = null;
    this.timer = null;
    api.renewToken = () => this.refresh();
  }

  start() {
    this.api.token = this.session.token;
    this.schedule();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.api.renewToken = null;
  }

  /** A fresh access token: the one refresh in flight, or a new one. */
  refresh() {
    if (!this.inFlight) {
      this.inFlight = this.api.refreshTokens(this.session.refreshToken)
        .then((pair) => {
          this.session = { ...this.session, ...pair, expiresAt: Date.now() + pair.expiresIn * 1000 };
          this.api.token = pair.token;
          this.onTokens(pair);
          this.schedule();
          return pair.token;
        })
        .catch((error) => {
          // Offline or the server briefly down: try again soon. Refused: the session is over.
          if (error.status === 0 || error.status >= 500 || error.status === 429) {
            this.schedule(Math.max(MIN_DELAY_MS, (error.retryAfter || 0) * 1000));
          } else {
            this.onEnded(error);
          }
          throw error;
        })
        .finally(() => { this.inFlight = null; });
    }
    return this.inFlight;
  }

  schedule(delay) {
    clearTimeout(this.timer);
    const wait = delay ?? Math.max(MIN_DELAY_MS, this.session.expiresAt - Date.now() - EARLY_MS);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), wait);
  }
}
