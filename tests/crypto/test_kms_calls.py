"""KMS calls stay rare: a warm process unwraps each conversation key once per cache age.

Counted on the botocore client (every KMS API operation it makes), over moto's KMS and the
real stores. Target: at most 10 KMS calls per 1,000 messages in a steady stream.
"""
from chalicelib import services
from chalicelib.crypto.keyring import KeyCache, Keyring
from chalicelib.storage.conversation_keys import ConversationKeyStore
from chalicelib.storage.users import UserStore
from tests.fakes import NoLimits, RecordingPublisher
from tests.helpers import make_group

MESSAGES = 1000
BUDGET = 10


def a_process(db, key_service, cache=None):
    """The use cases as one warm Lambda holds them."""
    # No limits: 1,000 messages from two people is far past the send limit.
    overrides = {"keyring": Keyring(ConversationKeyStore(db), key_service, cache)} if cache is not None else {}
    return services.build(db, key_service=key_service, publisher=RecordingPublisher(), limiter=NoLimits(),
                          **overrides).messaging


def test_a_steady_stream_of_1000_messages_stays_within_budget(db, key_service, kms_calls):
    users = UserStore(db)
    alice, bob = (users.create(email=f"{n}@example.com", name=n, password_hash="x")["_id"] for n in ("alice", "bob"))
    groups = [make_group(db, alice, members=[bob], name=f"g{n}") for n in range(3)]
    warm = a_process(db, key_service)
    direct = warm.send_direct(alice, ["alice@example.com", "bob@example.com"], "alice@example.com", "hi")
    conversations = groups + [direct["conversationId"]]

    for n in range(1, MESSAGES):
        warm.send(alice if n % 2 else bob, conversations[n % len(conversations)], f"message {n}")
        if n % 100 == 0:  # members keep reading along
            for conversation_id in conversations:
                assert warm.history(bob, conversation_id, limit=5)["messages"][-1]["text"]

    assert sum(kms_calls.values()) <= BUDGET
    # One GenerateDataKey per conversation, and the cache answered everything else.
    assert kms_calls == {"GenerateDataKey": len(conversations)}
    assert db["messages"].count_documents({}) == MESSAGES

    # A cold process (a new Lambda) pays one Decrypt per conversation key, then none.
    cold = a_process(db, key_service)
    for _ in range(3):
        for conversation_id in conversations:
            page = cold.history(alice, conversation_id, limit=100)
            assert all(message["text"] for message in page["messages"])
    assert kms_calls["Decrypt"] == len(conversations)


def test_cache_bounded_below_the_working_set_costs_a_decrypt_per_miss(db, key_service, kms_calls):
    users = UserStore(db)
    alice = users.create(email="alice@example.com", name="Alice", password_hash="x")["_id"]
    groups = [make_group(db, alice, name=f"g{n}") for n in range(3)]
    small = a_process(db, key_service, KeyCache(max_keys=2))
    for group in groups:
        small.send(alice, group, "hello")
    assert kms_calls == {"GenerateDataKey": 3}
    for group in reversed(groups):  # g2 and g1 are cached; g0, least recently used, was evicted
        small.history(alice, group)
    assert kms_calls["Decrypt"] == 1
