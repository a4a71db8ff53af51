"""The MongoDB connection budget (issue 13, item 5; docs/benchmarks.md, "Connections to Atlas"):
concurrency caps times connections per Lambda stay within an Atlas M10's limit."""
import pytest

from infra.after_chalice import SQS_MAXIMUM_CONCURRENCY
from tests.deploy.support import chalice_config

ATLAS_M10_CONNECTIONS = 1500  # per node
HEADROOM = 0.5  # half: a deploy briefly runs old and new environments side by side
MONITOR_SOCKETS_PER_MEMBER = 2  # pymongo 4: the streaming monitor and its round-trip-time socket


def connections_on_the_primary(pool_size):
    """A warm environment's sockets on the primary: its monitors and (all reads and writes go
    there) its whole pool; each secondary sees only the two monitors."""
    return MONITOR_SOCKETS_PER_MEMBER + pool_size


@pytest.mark.parametrize("stage", ["prod", "staging"])
def test_every_function_has_a_concurrency_cap_and_together_they_fit_an_m10(stage):
    config = chalice_config()["stages"][stage]
    total = 0
    for name, function in config["lambda_functions"].items():
        reserved = function.get("reserved_concurrency")
        assert reserved, f"{name} has no reserved_concurrency: a burst could open unbounded connections"
        pool = int((function.get("environment_variables") or {}).get("MONGO_MAX_POOL_SIZE", "2"))
        total += reserved * connections_on_the_primary(pool)
    assert total <= ATLAS_M10_CONNECTIONS * HEADROOM, total


def test_the_event_source_never_runs_more_consumers_than_the_function_may():
    for stage in ("prod", "staging"):
        fanout = chalice_config()["stages"][stage]["lambda_functions"]["fanout"]
        assert 2 <= SQS_MAXIMUM_CONCURRENCY <= fanout["reserved_concurrency"]
