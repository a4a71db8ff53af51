// The REST API client: one method per public route, JSON in and out, and every refusal
// turned into an ApiError carrying the API's own error code and message.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached at all
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const seg = encodeURIComponent;

export class Api {
  /** base: the REST API's base URL, e.g. "http://127.0.0.1:8000" or "https://…/api". */
  constructor(base, { onUnauthorized } = {}) {
    this.base = base.replace(/\/+$/, "");
    this.token = null;
    this.onUnauthorized = onUnauthorized;
    this.renewToken = null; // set by TokenKeeper (tokens.js): resolves to a fresh access token
  }

  /** One request; an expired access token is renewed once (tokens.js) and the request sent again. */
  async request(method, path, body) {
    try {
      return await this.send(method, path, body, !this.renewToken);
    } catch (error) {
      if (error.code !== "token_expired" || !this.renewToken || !this.token) throw error;
      await this.renewToken();
      return this.send(method, path, body, true);
    }
  }

  async send(method, path, body, lastTry, { anonymous = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token && !anonymous) headers.Authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network_error", "The server cannot be reached. Check your connection and try again.");
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch {
      // Not JSON: only possible from something in front of the API; described below.
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const retryAfter = Number(response.headers.get("Retry-After")) || null;
      const failure = new ApiError(
        response.status,
        error.code || `http_${response.status}`,
        error.message || `The server answered ${response.status} ${response.statusText}.`.replace(" .", "."),
        retryAfter,
      );
      // A token that was refused ends the session (an expired one first gets a refresh);
      // a failed login does not.
      const renewable = failure.code === "token_expired" && !lastTry;
      if (response.status === 401 && this.token && !anonymous && this.onUnauthorized && !renewable) {
        this.onUnauthorized(failure);
      }
      throw failure;
    }
    return data;
  }

  // Accounts -------------------------------------------------------------------------------

  /** Sign up: /employees (the 1:1 seed's sign-up) when a department or role is given. */
  signUp({ name, email, password, department, role }) {
    if (department || role) {
      const body = { name, email, password };
      if (department) body.department = department;
      if (role) body.role = role;
      return this.request("POST", "/employees", body);
    }
    return this.request("POST", "/register", { name, email, password });
  }

  login(email, password) {
    return this.request("POST", "/login", { email, password });
  }

  me() {
    return this.request("GET", "/me");
  }

  /** A new token pair for a refresh token (no bearer token: the refresh token is the credential). */
  refreshTokens(refreshToken) {
    return this.send("POST", "/token/refresh", { refreshToken }, true, { anonymous: true });
  }

  logout() {
    return this.request("POST", "/logout");
  }

  /** End every session of mine, this one included. */
  logoutAll() {
    return this.request("POST", "/logout/all");
  }

  sessions() {
    return this.request("GET", "/sessions");
  }

  endSession(sessionId) {
    return this.request("DELETE", `/sessions/${seg(sessionId)}`);
  }

  /** People who share a group with you, by name or email prefix. */
  searchPeople(q, cursor) {
    const query = new URLSearchParams({ q, limit: "20" });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/users/search?${query}`);
  }

  userByEmail(email) {
    return this.request("GET", `/users/by-email?email=${seg(email)}`);
  }

  // Groups ---------------------------------------------------------------------------------

  createGroup(name, type, rejoinCooldownSeconds) {
    return this.request("POST", "/groups/create", { name, type, rejoinCooldownSeconds });
  }

  myGroups(cursor) {
    return this.request("GET", `/groups?limit=100${cursor ? `&cursor=${seg(cursor)}` : ""}`);
  }

  discover(q, cursor) {
    const query = new URLSearchParams({ limit: "20" });
    if (q) query.set("q", q);
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/groups/discover?${query}`);
  }

  group(groupId) {
    return this.request("GET", `/groups/${seg(groupId)}`);
  }

  members(groupId) {
    return this.request("GET", `/groups/${seg(groupId)}/members?limit=100`);
  }

  requests(groupId) {
    return this.request("GET", `/groups/${seg(groupId)}/requests?limit=100`);
  }

  bans(groupId) {
    return this.request("GET", `/groups/${seg(groupId)}/bans?limit=100`);
  }

  /** The seed's action routes: request, withdraw, approve, reject, leave, kick, unban. */
  groupAction(action, groupId, userId) {
    return this.request("POST", `/groups/${seg(groupId)}/${action}/${seg(userId)}`);
  }

  ban(groupId, userId, durationSeconds) {
    return this.request("POST", `/groups/${seg(groupId)}/ban/${seg(userId)}`,
      durationSeconds ? { durationSeconds } : {});
  }

  transferOwner(groupId, ownerId, newOwnerId) {
    return this.request("POST", `/groups/${seg(groupId)}/transfer-owner/${seg(ownerId)}/${seg(newOwnerId)}`);
  }

  // Messages -------------------------------------------------------------------------------

  /** A page of a conversation: newest page, `before` (older) or `after` (catching up). */
  history(conversationId, { limit = 30, before, after } = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== undefined) query.set("before", String(before));
    if (after !== undefined) query.set("after", String(after));
    return this.request("GET", `/messages/${seg(conversationId)}?${query}`);
  }

  /** The 1:1 conversation of two people by email (works before their first message). */
  directHistory(emails, { limit = 30 } = {}) {
    return this.request("POST", "/messages", { participants: emails, limit });
  }

  sendToGroup(groupId, text, clientMessageId, attachments) {
    const body = { groupId, text, clientMessageId };
    if (attachments && attachments.length) body.attachments = attachments;
    return this.request("POST", "/messages/send", body);
  }

  /** A 1:1 message (the 1:1 seed's PUT /messages; it also starts the conversation). */
  sendDirect(emails, sender, text, clientMessageId, attachments) {
    const message = { sender, text, clientMessageId, timestamp: new Date().toISOString() };
    if (attachments && attachments.length) message.attachments = attachments;
    return this.request("PUT", "/messages", { participants: emails, message });
  }

  conversations() {
    return this.request("GET", "/conversations?limit=100");
  }

  markRead(conversationId, seq) {
    return this.request("POST", `/conversations/${seg(conversationId)}/read`, { seq });
  }

  /** How far the members have read (read receipts): the first page, up to 100 members. */
  readPositions(conversationId) {
    return this.request("GET", `/conversations/${seg(conversationId)}/reads?limit=100`);
  }

  // Attachments (the bytes go to S3: js/attachments.js) -----------------------------------

  /** Declare a file to upload to a conversation: {attachment, upload: {url, fields, expiresIn}}. */
  createAttachment(conversationId, file) {
    return this.request("POST", "/attachments", {
      conversationId, name: file.name, contentType: file.type, size: file.size,
    });
  }

  /** A sent file: {attachment, url, expiresIn}, the URL a short-lived presigned GET. */
  attachment(attachmentId) {
    return this.request("GET", `/attachments/${seg(attachmentId)}`);
  }

  realtimeTicket() {
    return this.request("POST", "/realtime/ticket");
  }
}
