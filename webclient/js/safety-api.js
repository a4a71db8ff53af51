// The moderation and safety routes (docs/groups.md, "Moderation and safety"), over the
// shared Api's request(): moderators, invite links, reports and blocks.

const seg = encodeURIComponent;

export class SafetyApi {
  constructor(api) {
    this.api = api;
  }

  promote(groupId, userId) {
    return this.api.request("PUT", `/groups/${seg(groupId)}/moderators/${seg(userId)}`);
  }

  demote(groupId, userId) {
    return this.api.request("DELETE", `/groups/${seg(groupId)}/moderators/${seg(userId)}`);
  }

  createInvite(groupId, { expiresInSeconds, maxUses } = {}) {
    const body = {};
    if (expiresInSeconds) body.expiresInSeconds = expiresInSeconds;
    if (maxUses) body.maxUses = maxUses;
    return this.api.request("POST", `/groups/${seg(groupId)}/invites`, body);
  }

  invites(groupId) {
    return this.api.request("GET", `/groups/${seg(groupId)}/invites?limit=100`);
  }

  revokeInvite(groupId, inviteId) {
    return this.api.request("DELETE", `/groups/${seg(groupId)}/invites/${seg(inviteId)}`);
  }

  acceptInvite(code) {
    return this.api.request("POST", `/invites/${seg(code)}/accept`);
  }

  report(conversationId, messageId, reason) {
    return this.api.request("POST", `/messages/${seg(conversationId)}/${seg(messageId)}/report`, { reason });
  }

  reports(groupId) {
    return this.api.request("GET", `/groups/${seg(groupId)}/reports?limit=100`);
  }

  resolveReport(groupId, reportId) {
    return this.api.request("POST", `/groups/${seg(groupId)}/reports/${seg(reportId)}/resolve`, {});
  }

  block(userId) {
    return this.api.request("PUT", `/users/${seg(userId)}/block`);
  }

  unblock(userId) {
    return this.api.request("DELETE", `/users/${seg(userId)}/block`);
  }

  blocked() {
    return this.api.request("GET", "/users/blocked?limit=100");
  }
}
