"""Every store (one per MongoDB collection) as a lazily built attribute of Services, on `self.db`.

A mixin of chalicelib.services.Services, kept here so the composition root stays short; a
test overrides any of them by name through services.build(db, <name>_store=...).
"""
import functools


class Stores:
    """A mixin: `self.db` is the database the stores are built over."""

    @functools.cached_property
    def user_store(self):
        from chalicelib.storage.users import UserStore

        return UserStore(self.db)

    @functools.cached_property
    def throttle_store(self):
        from chalicelib.storage.throttles import ThrottleStore

        return ThrottleStore(self.db)

    @functools.cached_property
    def group_store(self):
        from chalicelib.storage.groups import GroupStore

        return GroupStore(self.db)

    @functools.cached_property
    def membership_store(self):
        from chalicelib.storage.memberships import MembershipStore

        return MembershipStore(self.db)

    @functools.cached_property
    def conversation_store(self):
        from chalicelib.storage.conversations import ConversationStore

        return ConversationStore(self.db)

    @functools.cached_property
    def message_store(self):
        from chalicelib.storage.messages import MessageStore

        return MessageStore(self.db)

    @functools.cached_property
    def reaction_store(self):
        from chalicelib.storage.reactions import ReactionStore

        return ReactionStore(self.db)

    @functools.cached_property
    def read_marker_store(self):
        from chalicelib.storage.read_markers import ReadMarkerStore

        return ReadMarkerStore(self.db)

    @functools.cached_property
    def key_store(self):
        from chalicelib.storage.conversation_keys import ConversationKeyStore

        return ConversationKeyStore(self.db)

    @functools.cached_property
    def connection_store(self):
        from chalicelib.storage.connections import ConnectionStore

        return ConnectionStore(self.db)

    @functools.cached_property
    def attachment_store(self):
        from chalicelib.storage.attachments import AttachmentStore

        return AttachmentStore(self.db)

    @functools.cached_property
    def ticket_store(self):
        from chalicelib.storage.tickets import TicketStore

        return TicketStore(self.db)

    @functools.cached_property
    def block_store(self):
        from chalicelib.storage.blocks import BlockStore

        return BlockStore(self.db)

    @functools.cached_property
    def invite_store(self):
        from chalicelib.storage.invites import InviteStore

        return InviteStore(self.db)

    @functools.cached_property
    def report_store(self):
        from chalicelib.storage.reports import ReportStore

        return ReportStore(self.db)
