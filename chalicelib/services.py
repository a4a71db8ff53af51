"""The composition root: every use case wired to its collaborators, each built on first use.

`build(database=None, **overrides)` returns a `Services` whose attributes are the use cases
and the adapters they take; a test passes its own database or fakes by name (for example
`build(db, publisher=RecordingPublisher())`) and gets everything else real. Production code
uses the process's one default (`services.messaging()` and the other functions below), built
lazily so that importing the app does no I/O.
"""
import functools

from chalicelib.account_services import AccountServices
from chalicelib.push_services import PushServices
from chalicelib.storage.stores import Stores


class Services(Stores, AccountServices, PushServices):
    """Use cases and adapters, built on first use; a name given to `build` replaces one."""

    def __init__(self, database=None, **overrides):
        self._database = database
        unknown = sorted(name for name in overrides if not isinstance(getattr(type(self), name, None),
                                                                      functools.cached_property))
        if unknown:
            raise TypeError(f"build() knows nothing called {', '.join(unknown)}")
        # cached_property keeps its value in the instance dict: an override is simply already there.
        self.__dict__.update(overrides)

    def forget(self, *names):
        """Build these again on next use (a benchmark wants a fresh key cache, as a new Lambda has)."""
        for name in names:
            self.__dict__.pop(name, None)

    # Configuration and infrastructure -------------------------------------------------------

    @functools.cached_property
    def settings(self):
        from chalicelib.core.config import settings

        return settings()

    @functools.cached_property
    def db(self):
        if self._database is not None:
            return self._database
        from chalicelib.storage.mongo import database

        return database()

    @functools.cached_property
    def clock(self):
        from chalicelib.core.clock import utcnow

        return utcnow

    # Stores (one per collection): the Stores mixin, chalicelib/storage/stores.py

    # Adapters to AWS -----------------------------------------------------------------------------

    @functools.cached_property
    def key_service(self):
        from chalicelib.crypto.kms import KeyService

        return KeyService.from_env()

    @functools.cached_property
    def publisher(self):
        from chalicelib.realtime.queue import FanoutQueue

        return FanoutQueue.from_env(keyring=self.keyring)

    @functools.cached_property
    def attachment_bucket(self):
        from chalicelib.media.bucket import AttachmentBucket

        return AttachmentBucket.from_env()

    @functools.cached_property
    def pusher(self):
        from chalicelib.realtime.pusher import ConnectionPusher

        return ConnectionPusher.from_env()

    # Shared collaborators ------------------------------------------------------------------------

    @functools.cached_property
    def limiter(self):
        from chalicelib.core.limits import Limiter

        return Limiter(self.throttle_store)

    @functools.cached_property
    def keyring(self):
        from chalicelib.crypto.keyring import Keyring

        return Keyring(self.key_store, self.key_service)

    @functools.cached_property
    def audience(self):
        from chalicelib.realtime.audience import ConversationAudience

        return ConversationAudience(self.membership_store, self.conversation_store, self.group_store)

    # Use cases -----------------------------------------------------------------------------------

    @functools.cached_property
    def groups(self):
        from chalicelib.groups.catalog import Groups

        return Groups(self.group_store, self.membership_store, self.publisher, self.limiter, self.clock)

    @functools.cached_property
    def group_joining(self):
        from chalicelib.groups.joining import Joining

        return Joining(self.group_store, self.membership_store, self.user_store, self.publisher, self.limiter,
                       self.clock)

    @functools.cached_property
    def group_moderation(self):
        from chalicelib.groups.moderation import Moderation

        return Moderation(self.group_store, self.membership_store, self.user_store, self.publisher, self.clock)

    @functools.cached_property
    def group_roster(self):
        from chalicelib.groups.roster import Roster

        return Roster(self.group_store, self.membership_store, self.user_store, self.clock)

    @functools.cached_property
    def group_ownership(self):
        from chalicelib.groups.ownership import Ownership

        return Ownership(self.group_store, self.membership_store, self.publisher, self.clock)

    @functools.cached_property
    def group_roles(self):
        from chalicelib.groups.roles import Roles

        return Roles(self.group_store, self.membership_store, self.publisher, self.clock)

    @functools.cached_property
    def group_invites(self):
        from chalicelib.groups.invites import Invites

        return Invites(self.group_store, self.membership_store, self.invite_store, self.publisher, self.limiter,
                       self.clock)

    @functools.cached_property
    def blocking(self):
        from chalicelib.accounts.blocking import Blocking

        return Blocking(self.block_store, self.user_store, self.limiter, self.clock)

    @functools.cached_property
    def reports(self):
        from chalicelib.messaging.reports import Reports

        return Reports(reports=self.report_store, messages=self.message_store, messaging=self.messaging,
                       memberships=self.membership_store, groups=self.group_store, users=self.user_store,
                       publisher=self.publisher, limiter=self.limiter, clock=self.clock)

    @functools.cached_property
    def messaging(self):
        from chalicelib.messaging.messages import Messaging

        return Messaging(conversations=self.conversation_store, messages=self.message_store,
                         read_markers=self.read_marker_store, keyring=self.keyring, memberships=self.membership_store,
                         groups=self.group_store, users=self.user_store, publisher=self.publisher, limiter=self.limiter,
                         attachments=self.attachments, reactions=self.reaction_store, mutes=self.mute_store,
                         blocks=self.block_store)

    @functools.cached_property
    def read_receipts(self):
        from chalicelib.messaging.receipts import ReadReceipts

        return ReadReceipts(self.read_marker_store, self.membership_store, self.messaging)

    @functools.cached_property
    def attachments(self):
        from chalicelib.media.attachments import Attachments

        # Members decide who may upload and fetch, by the rule messages follow. Messaging
        # takes Attachments too (to claim a send's files), so it is looked up on each call.
        return Attachments(store=self.attachment_store, bucket=self.attachment_bucket, keyring=self.keyring,
                           authorize=lambda caller_id, conversation_id: self.messaging.authorize(
                               caller_id, conversation_id, need_conversation=False),
                           limiter=self.limiter, clock=self.clock)

    @functools.cached_property
    def message_attachments(self):  # deleting a message deletes its files here (core.ports.MessageAttachments)
        return self.attachments

    @functools.cached_property
    def message_lifecycle(self):
        from chalicelib.messaging.lifecycle import Lifecycle

        return Lifecycle(conversations=self.messaging, messages=self.message_store, reactions=self.reaction_store,
                         keyring=self.keyring, memberships=self.membership_store, groups=self.group_store,
                         publisher=self.publisher, limiter=self.limiter, clock=self.clock,
                         attachments=self.message_attachments)

    @functools.cached_property
    def message_reactions(self):
        from chalicelib.messaging.reactions import Reactions

        return Reactions(conversations=self.messaging, messages=self.message_store, reactions=self.reaction_store,
                         keyring=self.keyring, publisher=self.publisher, limiter=self.limiter, clock=self.clock)

    @functools.cached_property
    def sockets(self):
        from chalicelib.realtime.sockets import Sockets

        return Sockets(sessions=self.sessions, tickets=self.ticket_store, connections=self.connection_store,
                       pusher=self.pusher, publisher=self.publisher, conversations=self.messaging,
                       audience=self.audience, limiter=self.limiter, blocks=self.block_store)

    @functools.cached_property
    def fanout(self):
        from chalicelib.realtime.fanout import Fanout

        return Fanout(
            self.audience, self.connection_store, self.pusher, self.publisher,
            keyring=self.keyring, notifier=self.notifier,
        )

    @functools.cached_property
    def health(self):
        from chalicelib.core.health import Health

        return Health({"database": lambda: self.db.command("ping"), "queue": lambda: self.publisher.reachable(),
                       "keys": lambda: self.key_service.check()})


def build(database=None, **overrides):
    """Every use case wired: on `database` (the process's MongoDB if None), with `overrides` by name."""
    return Services(database, **overrides)


_default = None


def current():
    """The process's own Services, built on first use and reused by every invocation."""
    global _default
    if _default is None:
        _default = build()
    return _default


def forget_all():
    """Drop the process's Services and settings (tests that switch databases or settings call this)."""
    from chalicelib.core.config import settings

    global _default
    _default = None
    settings.cache_clear()


# What the edge asks for: the process's use cases and the adapters it needs directly.
def accounts():
    return current().accounts


def tokens():
    return current().tokens


def sessions():
    return current().sessions


def recovery():
    return current().recovery


def profiles():
    return current().profiles


def people():
    return current().people


def limiter():
    return current().limiter


def users():
    return current().user_store


def health():
    return current().health


def key_service():
    return current().key_service


def keyring():
    return current().keyring


def messaging():
    return current().messaging


def publisher():
    return current().publisher


def attachments():
    return current().attachments


def message_lifecycle():
    return current().message_lifecycle


def message_reactions():
    return current().message_reactions


def connections():
    return current().connection_store


def tickets():
    return current().ticket_store


def pusher():
    return current().pusher


def audience():
    return current().audience


def sockets():
    return current().sockets


def fanout():
    return current().fanout


def devices():
    return current().devices


def mutes():
    return current().mutes


def read_receipts():
    return current().read_receipts


def groups():
    return current().groups


def group_joining():
    return current().group_joining


def group_moderation():
    return current().group_moderation


def group_roster():
    return current().group_roster


def group_ownership():
    return current().group_ownership


def group_roles():
    return current().group_roles


def group_invites():
    return current().group_invites


def blocking():
    return current().blocking


def reports():
    return current().reports
