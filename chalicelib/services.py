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
def key_service():
    from chalicelib.kms import KeyService

    return KeyService.from_env()


@functools.lru_cache(maxsize=1)
def keyring():
    from chalicelib.keyring import Keyring
    from chalicelib.storage.conversation_keys import ConversationKeyStore

    return Keyring(ConversationKeyStore.from_env(), key_service())


@functools.lru_cache(maxsize=1)
def publisher():
    # Real-time delivery (SQS fan-out) replaces this one line.
    from chalicelib.events import RecordingPublisher

    return RecordingPublisher()


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
    )


@functools.lru_cache(maxsize=1)
def health():
    from chalicelib.health import Health
    from chalicelib.storage.mongo import database

    return Health({"database": lambda: database().command("ping"), "keys": lambda: key_service().check()})


def caller_id(request):
    """The id of the user whose valid bearer token came with `request`."""
    from chalicelib.auth import bearer_token

    return tokens().verify(bearer_token(request.headers.get("authorization")))


def forget_all():
    """Drop every cached service (tests that switch databases or settings call this)."""
    for built in (tokens, limiter, users, accounts, key_service, keyring, publisher, messaging, health, settings):
        built.cache_clear()
