"""Per-conversation data keys over moto's KMS and the real MongoDB wire protocol."""
import threading

import pytest

from chalicelib.core.errors import Unavailable
from chalicelib.crypto.cipher import KEY_BYTES
from chalicelib.crypto.keyring import KeyCache, KeyMissing, Keyring
from chalicelib.crypto.kms import KeyService
from chalicelib.storage.conversation_keys import ConversationKeyStore


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def key_store(db):
    return ConversationKeyStore(db)


@pytest.fixture
def keyring(key_store, key_service):
    return Keyring(key_store, key_service)


def test_first_use_creates_version_one_stored_only_wrapped(keyring, db, kms_calls):
    version, key = keyring.current("conv-a")
    assert version == 1 and len(key) == KEY_BYTES
    stored = db["conversation_keys"].find_one({"conversationId": "conv-a"})
    assert stored["version"] == 1
    assert key not in bytes(stored["wrappedKey"])
    assert kms_calls == {"GenerateDataKey": 1}


def test_each_conversation_gets_its_own_key(keyring):
    assert keyring.current("conv-a")[1] != keyring.current("conv-b")[1]


def test_warm_keyring_answers_from_memory(keyring, kms_calls):
    _, key = keyring.current("conv-a")
    for _ in range(100):
        assert keyring.current("conv-a")[1] == key
        assert keyring.key("conv-a", 1) == key
    assert sum(kms_calls.values()) == 1


def test_a_cold_process_unwraps_the_stored_key_once(keyring, key_store, key_service, kms_calls):
    _, key = keyring.current("conv-a")
    cold = Keyring(key_store, key_service)  # another Lambda: same stores, empty cache
    assert cold.key("conv-a", 1) == key
    assert cold.current("conv-a") == (1, key)
    assert kms_calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_wrapped_key_is_bound_to_its_conversation(keyring, key_store, key_service, db):
    keyring.current("conv-a")
    # Move conv-a's wrapped key onto conv-b: KMS refuses it under conv-b's context.
    moved = db["conversation_keys"].find_one({"conversationId": "conv-a"})
    key_store.add("conv-b", 1, moved["wrappedKey"], moved["masterKeyId"])
    with pytest.raises(Unavailable):
        Keyring(key_store, key_service).key("conv-b", 1)


def test_rotation_gives_new_messages_a_new_key_and_keeps_old_ones(keyring, key_store, key_service):
    _, first = keyring.current("conv-a")
    assert keyring.rotate("conv-a") == 2
    version, second = keyring.current("conv-a")
    assert version == 2 and second != first
    cold = Keyring(key_store, key_service)
    assert cold.key("conv-a", 1) == first
    assert cold.current("conv-a") == (2, second)


def test_rotating_a_conversation_without_keys_starts_at_version_one(keyring):
    assert keyring.rotate("conv-new") == 1


def test_destroy_shreds_every_version(keyring, key_store, key_service, db):
    keyring.current("conv-a")
    keyring.rotate("conv-a")
    keyring.current("conv-b")
    assert keyring.destroy("conv-a") == 2
    assert db["conversation_keys"].count_documents({"conversationId": "conv-a"}) == 0
    for ring in (keyring, Keyring(key_store, key_service)):
        with pytest.raises(KeyMissing):
            ring.key("conv-a", 1)
    assert keyring.key("conv-b", 1)  # other conversations keep theirs


def test_a_shredded_conversation_used_again_never_gets_the_old_key(key_store, key_service, kms_calls):
    warm = Keyring(key_store, key_service)  # a Lambda that has the conversation's key cached
    _, old = warm.current("conv-a")
    other = Keyring(key_store, key_service)  # another Lambda shreds it...
    other.destroy("conv-a")
    with pytest.raises(KeyMissing):  # ...and the warm cache is of no use from that moment
        warm.key("conv-a", 1)
    _, new = other.current("conv-a")  # the conversation is used again: a new version 1
    assert new != old
    assert warm.current("conv-a") == (1, new)
    assert warm.key("conv-a", 1) == new
    assert kms_calls == {"GenerateDataKey": 2, "Decrypt": 1}


def test_concurrent_first_use_agrees_on_one_key(key_store, key_service):
    results = []
    barrier = threading.Barrier(6)

    def first_use():
        ring = Keyring(key_store, key_service)  # six cold processes at once
        barrier.wait()
        results.append(ring.current("conv-race"))

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0][0] == 1
    assert key_store.latest("conv-race")["version"] == 1


def test_unknown_master_key_is_unavailable_and_stores_nothing(key_store, kms_client, db):
    keyring = Keyring(key_store, KeyService(kms_client, "alias/does-not-exist"))
    with pytest.raises(Unavailable) as raised:
        keyring.current("conv-a")
    assert raised.value.code == "key_service_unavailable"
    assert db["conversation_keys"].count_documents({}) == 0


def test_unreachable_key_service_is_unavailable(key_store, test_settings):
    import boto3
    from botocore.config import Config

    from devstack.processes import free_port

    dead = boto3.client(
        "kms",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(connect_timeout=0.5, retries={"max_attempts": 1}),
    )
    with pytest.raises(Unavailable):
        Keyring(key_store, KeyService(dead, "alias/secure-messaging")).current("conv-a")


def test_health_check_of_the_master_key(key_service, kms_client):
    key_service.check()
    with pytest.raises(Unavailable):
        KeyService(kms_client, "alias/does-not-exist").check()


class TestKeyCache:
    def test_entries_expire_at_max_age(self):
        clock = FakeClock()
        cache = KeyCache(max_keys=10, max_age_seconds=600, clock=clock)
        cache.put(("c", 1), b"k" * 16)
        clock.now += 599
        assert cache.get(("c", 1)) == b"k" * 16
        clock.now += 1
        assert cache.get(("c", 1)) is None
        assert len(cache) == 0

    def test_least_recently_used_goes_first_when_full(self):
        cache = KeyCache(max_keys=3, clock=FakeClock())
        for name in "abc":
            cache.put((name, 1), name.encode() * 16)
        cache.get(("a", 1))  # a is now the most recently used
        cache.put(("d", 1), b"d" * 16)
        assert cache.get(("b", 1)) is None
        assert [cache.get((name, 1)) is not None for name in "acd"] == [True, True, True]
        assert len(cache) == 3

    def test_drop_conversation_forgets_all_its_versions(self):
        cache = KeyCache(clock=FakeClock())
        cache.put(("c", 1), b"1" * 16)
        cache.put(("c", 2), b"2" * 16)
        cache.put(("other", 1), b"o" * 16)
        cache.drop_conversation("c")
        assert cache.get(("c", 1)) is None and cache.get(("c", 2)) is None
        assert cache.get(("other", 1)) is not None


def test_expired_cache_entry_costs_one_unwrap(key_store, key_service, kms_calls):
    clock = FakeClock()
    keyring = Keyring(key_store, key_service, KeyCache(max_age_seconds=600, clock=clock))
    _, key = keyring.current("conv-a")
    clock.now += 601
    assert keyring.key("conv-a", 1) == key
    assert keyring.key("conv-a", 1) == key
    assert kms_calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_operator_cli_rotates_a_conversation_key(db, capsys):
    from chalicelib import services
    from chalicelib.admin import main

    services.keyring().current("conv-cli")
    main(["rotate", "conv-cli"])
    assert "now use key version 2" in capsys.readouterr().out
    versions = db["conversation_keys"].find({"conversationId": "conv-cli"}).sort("version", 1)
    assert [key["version"] for key in versions] == [1, 2]


def test_the_current_version_is_read_once_per_invocation(keyring, key_store):
    """A send seals its message and then its queued event: one read of the current version
    per invocation; the next invocation, a rotation or a shredding reads it again."""
    from chalicelib.core.logs import request_scope

    reads = []
    latest = key_store.latest
    key_store.latest = lambda conversation_id: reads.append(conversation_id) or latest(conversation_id)
    keyring.current("c-1")
    with request_scope("r-1"):
        first = keyring.current("c-1")
        assert keyring.current("c-1") == first and len(reads) == 2
        keyring.current("c-2")
        keyring.current("c-1")  # another conversation came between: read again
        assert len(reads) == 4
    with request_scope("r-2"):
        keyring.current("c-1")
        keyring.rotate("c-1")
        assert keyring.current("c-1")[0] == first[0] + 1
    assert keyring.current("c-1")[0] == first[0] + 1 and keyring.current("c-1") is not None
    assert len(reads) == 9  # outside an invocation nothing is remembered
