// The real-time connection: a single-use ticket per connection (so the long-lived token
// never appears in a URL), reconnection with jittered exponential backoff, a keep-alive
// ping that also notices a dead connection, and a hook after each reconnection so the
// caller can catch up on what it missed (GET /messages/{id}?after=<lastSeq>).

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
// API Gateway closes a connection idle for 10 minutes; each ping costs a Lambda call, so
// ping every 2 minutes and call the connection dead when no pong comes within 10 seconds.
const PING_EVERY_MS = 120000;
const PONG_TIMEOUT_MS = 10000;

export class RealtimeSocket {
  /**
   * wsBase: "ws://127.0.0.1:8001" or "wss://…/api".
   * getTicket(): resolves to a fresh ticket (POST /realtime/ticket).
   * handlers: onEvent(frame), onStatus(status), onReconnected(), onUnauthorized(error).
   */
  constructor(wsBase, getTicket, handlers) {
    this.wsBase = wsBase.replace(/\/+$/, "");
    this.getTicket = getTicket;
    this.handlers = handlers;
    this.ws = null;
    this.stopped = true;
    this.attempts = 0;
    this.everConnected = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.connecting = false;
    this.status = "closed";
    this.onOnline = () => this.reconnectNow();
    // Back from sleep or a hidden tab: check the connection at once.
    this.onVisible = () => { if (document.visibilityState === "visible") this.keepAlive(); };
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    if (this.ws) this.ws.close(1000, "signed out");
    this.ws = null;
    this.setStatus("closed");
  }

  /** Send a frame if connected; false when it could not be sent. */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Skip the rest of a backoff wait (the browser came back online). */
  reconnectNow() {
    if (this.stopped || this.ws || this.connecting) return;
    clearTimeout(this.retryTimer);
    this.attempts = 0;
    this.connect();
  }

  async connect() {
    if (this.stopped) return;
    this.setStatus(this.everConnected ? "reconnecting" : "connecting");
    this.connecting = true;
    let ticket;
    try {
      ticket = (await this.getTicket()).ticket;
    } catch (error) {
      this.connecting = false;
      if (error.status === 401) {
        this.handlers.onUnauthorized?.(error);
        return;
      }
      this.scheduleReconnect();
      return;
    }
    this.connecting = false;
    if (this.stopped) return;
    const ws = new WebSocket(`${this.wsBase}/?ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.onopen = () => {
      const reconnected = this.everConnected;
      this.attempts = 0;
      this.everConnected = true;
      this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
      this.setStatus("open");
      if (reconnected) this.handlers.onReconnected?.();
    };
    ws.onmessage = (event) => {
      clearTimeout(this.pongTimer); // any frame shows the connection is alive
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // not ours to understand
      }
      if (frame.type === "error" && frame.error?.code === "unknown_connection") {
        this.drop(ws); // the server forgot this connection: a new one (and a catch-up) mends it
        return;
      }
      this.handlers.onEvent(frame);
    };
    ws.onclose = () => this.drop(ws);
  }

  /** Forget a closed (or silently dead) connection and plan the next one. */
  drop(ws) {
    if (this.ws !== ws) return;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.ws = null;
    ws.onclose = ws.onmessage = null;
    ws.close();
    this.scheduleReconnect();
  }

  keepAlive() {
    // No answer to a ping: the connection is dead even if the browser has not noticed;
    // closing it starts a reconnection.
    if (!this.send({ action: "ping" })) return;
    clearTimeout(this.pongTimer);
    const ws = this.ws;
    this.pongTimer = setTimeout(() => this.drop(ws), PONG_TIMEOUT_MS);
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.setStatus("reconnecting");
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempts);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: no thundering herd
    this.attempts += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.handlers.onStatus?.(status);
  }
}
