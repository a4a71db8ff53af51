"""The accounts part of the composition root: sessions, password recovery, profile, people
search and what they take (their stores, tokens, passwords, the mailer). `Services` mixes it in;
everything here is built on first use and may be replaced by name through `build`, as there.
"""
import functools


class AccountServices:
    """Account use cases and their collaborators; the shared ones (user_store, limiter,
    connection_store, pusher, group stores) come from `Services`."""

    @functools.cached_property
    def session_store(self):
        from chalicelib.storage.sessions import SessionStore

        return SessionStore(self.db)

    @functools.cached_property
    def password_reset_store(self):
        from chalicelib.storage.password_resets import PasswordResetStore

        return PasswordResetStore(self.db)

    @functools.cached_property
    def mailer(self):
        from chalicelib.accounts.mailer import EmailSender

        return EmailSender.from_env()

    @functools.cached_property
    def tokens(self):
        from chalicelib.accounts.tokens import Tokens

        config = self.settings
        return Tokens(config.jwt_keys, config.jwt_issuer, config.jwt_audience, config.token_ttl_seconds)

    @functools.cached_property
    def passwords(self):
        from chalicelib.accounts.passwords import Passwords

        return Passwords(self.settings.bcrypt_rounds)

    @functools.cached_property
    def accounts(self):
        from chalicelib.accounts.accounts import Accounts

        return Accounts(self.user_store, self.passwords, self.sessions, self.limiter)

    @functools.cached_property
    def sessions(self):
        from chalicelib.accounts.sessions import Sessions

        config = self.settings
        return Sessions(sessions=self.session_store, tokens=self.tokens, connections=self.connection_store,
                        pusher=self.pusher, limiter=self.limiter, refresh_days=config.refresh_token_days,
                        cache_seconds=config.session_cache_seconds, clock=self.clock)

    @functools.cached_property
    def recovery(self):
        from chalicelib.accounts.recovery import Recovery

        config = self.settings
        return Recovery(users=self.user_store, resets=self.password_reset_store, passwords=self.passwords,
                        sessions=self.sessions, mailer=self.mailer, limiter=self.limiter,
                        keys=config.jwt_keys, floor_seconds=config.forgot_floor_seconds,
                        clock=self.clock)

    @functools.cached_property
    def profiles(self):
        from chalicelib.accounts.profile import Profiles

        return Profiles(users=self.user_store, passwords=self.passwords, limiter=self.limiter,
                        sessions=self.sessions, memberships=self.membership_store, groups=self.group_store,
                        leave_group=lambda group_id, user_id: self.group_joining.leave(group_id, user_id, user_id),
                        read_markers=self.read_marker_store, messages=self.message_store, devices=self.devices,
                        mutes=self.mute_store, blocks=self.block_store)

    @functools.cached_property
    def people(self):
        from chalicelib.accounts.people import People

        return People(self.user_store, self.membership_store)
