"""A signed-in person's own account: editing the profile, and deleting the account.

Deleting an account (the password required, and only once the person owns no group) leaves
every group they were in (the others see them leave), and removes their sessions (their
sockets close), their memberships, requests and bans, their read markers, their devices
(and SNS endpoints), mutes and blocks (theirs and of them), and the account itself, so the email may sign up again as a new account. Their messages stay in the others'
history, shown as a deleted user's: `sender` null and `senderDeleted: true` (docs/accounts.md).
"""
import logging

from chalicelib.accounts.recovery import verify_password
from chalicelib.accounts.schemas import own_view
from chalicelib.core.errors import Conflict, NotAuthenticated

log = logging.getLogger("messaging.accounts")

PROFILE_FIELDS = ("name", "department", "role", "pushPreviews")


class Profiles:
    def __init__(self, *, users, passwords, limiter, sessions, memberships, groups, leave_group, read_markers,
                 messages, devices=None, mutes=None, blocks=None):
        self._users = users
        self._passwords = passwords
        self._limiter = limiter
        self._sessions = sessions
        self._memberships = memberships
        self._groups = groups
        self._leave_group = leave_group  # (group_id, user_id) -> None: the ordinary leave, announced
        self._markers = read_markers
        self._messages = messages
        self._devices = devices  # realtime.devices.Devices: remove_all (None: nothing to remove)
        self._mutes = mutes  # storage.mutes.MuteStore: delete_user
        self._blocks = blocks  # storage.blocks.BlockStore: delete_user

    def update(self, user_id, changes):
        """Change the profile fields given (an empty department or role clears it); the user's own view."""
        fields = {}
        for name in PROFILE_FIELDS:
            if name in changes:
                value = changes[name]
                if isinstance(value, str):
                    value = value.strip() or (None if name in ("department", "role") else value)
                fields[name] = value
        user = self._users.update_profile(user_id, fields)
        if user is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        return own_view(user)

    def delete(self, user_id, password):
        """Delete the account; 409 owns_groups while the user owns a group."""
        user = self._users.by_id(user_id)
        if user is None:
            raise NotAuthenticated("The account no longer exists.", "invalid_token")
        verify_password(self._passwords, self._limiter, user, password)
        group_ids = self._memberships.group_ids_of(user_id, limit=10_000)
        owned = [group for group in self._groups.by_ids(group_ids).values() if group["ownerId"] == user_id]
        if owned:
            names = ", ".join(sorted(group["name"] for group in owned)[:5])
            raise Conflict(f"You own {len(owned)} group(s) ({names}); transfer ownership or delete them first.",
                           "owns_groups")
        self._sessions.end_all(user_id)  # first: nothing of the account can act meanwhile
        for group_id in group_ids:
            try:
                self._leave_group(group_id, user_id)
            except Exception as exc:  # noqa: BLE001 - a group that changed meanwhile is cleaned below
                log.warning("leaving a group while deleting an account failed: %s", type(exc).__name__)
        self._memberships.delete_user(user_id)
        self._markers.delete_user(user_id)
        if self._devices is not None:
            self._devices.remove_all(user_id)
        for store in (self._mutes, self._blocks):
            if store is not None:
                store.delete_user(user_id)
        self._messages.forget_sender(user_id)
        self._users.delete(user_id)
