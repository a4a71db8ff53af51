"""Throttle counters hold across concurrent callers (many Lambdas) on the real database."""
import threading

from chalicelib.core.errors import RateLimited
from chalicelib.core.limits import Limit, Limiter
from chalicelib.storage.throttles import ThrottleStore


def test_concurrent_hits_are_all_counted(db):
    store = ThrottleStore(db)
    barrier = threading.Barrier(8)

    def hit_five_times():
        barrier.wait()
        for _ in range(5):
            store.hit("race:key", 60)

    threads = [threading.Thread(target=hit_five_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count, seconds_left = store.count("race:key")
    assert count == 40
    assert 0 < seconds_left <= 60


def test_a_window_that_has_ended_starts_again(db):
    store = ThrottleStore(db)
    store.hit("short:key", 0.001)
    count, _ = store.count("short:key")
    assert count == 0
    assert store.hit("short:key", 60)[0] == 1


def test_limiter_refuses_past_the_limit_until_reset(db):
    limiter = Limiter(ThrottleStore(db))
    limit = Limit("unit", 2, 60, "slow down")
    limiter.take(limit, "k")
    limiter.take(limit, "k")
    try:
        limiter.take(limit, "k")
        raise AssertionError("the third hit should be refused")
    except RateLimited as refused:
        assert refused.message == "slow down" and 1 <= refused.retry_after <= 60
    limiter.reset(limit, "k")
    limiter.check(limit, "k")


def test_concurrent_first_hits_on_a_shared_document_are_each_counted_once(db):
    """Eight callers race to create one shared counter document (messages-sent and the frame
    limit of one user): every window counts each hit exactly once."""
    store = ThrottleStore(db)
    barrier = threading.Barrier(8)

    def hit_three_times():
        barrier.wait()
        for _ in range(3):
            store.hit_together("user:race", {"sent": 60, "frames": 30})

    threads = [threading.Thread(target=hit_three_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count("user:race", window="sent")[0] == 24
    assert store.count("user:race", window="frames")[0] == 24
