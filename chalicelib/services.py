"""The composition root: builds each use case from its production collaborators, once per
process, on first use. Tests build use cases with their own collaborators instead."""
import functools

from chalicelib.config import settings


@functools.lru_cache(maxsize=1)
def tokens():
    from chalicelib.auth import Tokens

    config = settings()
    return Tokens(config.jwt_secret, config.jwt_issuer, config.jwt_audience, config.token_ttl_seconds)


@functools.lru_cache(maxsize=1)
def limiter():
    from chalicelib.limits import Limiter
    from chalicelib.storage.throttles import ThrottleStore

    return Limiter(ThrottleStore.from_env())


@functools.lru_cache(maxsize=1)
def users():
    from chalicelib.storage.users import UserStore

    return UserStore.from_env()


@functools.lru_cache(maxsize=1)
def accounts():
    from chalicelib.accounts import Accounts
    from chalicelib.auth import Passwords

    return Accounts(users(), Passwords(settings().bcrypt_rounds), tokens(), limiter())


@functools.lru_cache(maxsize=1)
def health():
    from chalicelib.health import Health
    from chalicelib.storage.mongo import database

    return Health({
        "database": lambda: database().command("ping"),
        "queue": lambda: publisher().reachable(),
        "keys": lambda: key_service().check(),
    })


def caller_id(request):
    """The id of the user whose valid bearer token came with `request`."""
    from chalicelib.auth import bearer_token

    return tokens().verify(bearer_token(request.headers.get("authorization")))


def forget_all():
    """Drop every cached service (tests that switch databases or settings call this)."""
    for built in list(globals().values()):
        if hasattr(built, "cache_clear"):
            built.cache_clear()


@functools.lru_cache(maxsize=1)
def key_service():
    from chalicelib.kms import KeyService

    return KeyService.from_env()


@functools.lru_cache(maxsize=1)
def keyring():
    from chalicelib.keyring import Keyring
    from chalicelib.storage.conversation_keys import ConversationKeyStore

    return Keyring(ConversationKeyStore.from_env(), key_service())


@functools.lru_cache(maxsize=1)
def messaging():
    from chalicelib.messaging import Messaging
    from chalicelib.storage.conversations import ConversationStore
    from chalicelib.storage.groups import GroupStore
    from chalicelib.storage.memberships import MembershipStore
    from chalicelib.storage.messages import MessageStore
    from chalicelib.storage.read_markers import ReadMarkerStore

    return Messaging(
        conversations=ConversationStore.from_env(),
        messages=MessageStore.from_env(),
        read_markers=ReadMarkerStore.from_env(),
        keyring=keyring(),
        memberships=MembershipStore.from_env(),
        groups=GroupStore.from_env(),
        users=users(),
        publisher=publisher(),
        limiter=limiter(),
    )


@functools.lru_cache(maxsize=1)
def publisher():
    from chalicelib.fanout_queue import FanoutQueue

    return FanoutQueue.from_env()


@functools.lru_cache(maxsize=1)
def connections():
    from chalicelib.storage.connections import ConnectionStore

    return ConnectionStore.from_env()


@functools.lru_cache(maxsize=1)
def tickets():
    from chalicelib.storage.tickets import TicketStore

    return TicketStore.from_env()


@functools.lru_cache(maxsize=1)
def pusher():
    from chalicelib.push import ConnectionPusher

    return ConnectionPusher.from_env()


@functools.lru_cache(maxsize=1)
def audience():
    from chalicelib.audience import ConversationAudience

    return ConversationAudience.from_env()


@functools.lru_cache(maxsize=1)
def realtime():
    from chalicelib.realtime import Realtime

    return Realtime(tokens=tokens(), tickets=tickets(), connections=connections(), pusher=pusher(),
                    publisher=publisher(), conversations=messaging(), audience=audience(), limiter=limiter())


@functools.lru_cache(maxsize=1)
def fanout():
    from chalicelib.fanout import Fanout

    return Fanout(audience(), connections(), pusher(), publisher())


@functools.lru_cache(maxsize=1)
def groups():
    from chalicelib.groups.catalog import Groups

    return Groups(*_group_stores(), publisher(), limiter())


@functools.lru_cache(maxsize=1)
def group_memberships():
    from chalicelib.groups.membership import Memberships

    return Memberships(*_group_stores(), users(), publisher(), limiter())


@functools.lru_cache(maxsize=1)
def group_roster():
    from chalicelib.groups.roster import Roster

    return Roster(*_group_stores(), users())


@functools.lru_cache(maxsize=1)
def group_ownership():
    from chalicelib.groups.ownership import Ownership

    return Ownership(*_group_stores(), publisher())


def _group_stores():
    """(groups, memberships): the two stores every group use case works on."""
    from chalicelib.storage.groups import GroupStore
    from chalicelib.storage.memberships import MembershipStore

    return GroupStore.from_env(), MembershipStore.from_env()
