"""The work each operation does stays within bench/budget.json.

MongoDB commands and AWS calls per operation are deterministic, so they are asserted here;
times never are (`make bench` measures those). bench/work.py runs each operation through
the app's real handlers against the test MongoDB and moto.
"""
import os

import pytest


@pytest.fixture(scope="module")
def measured(test_settings):
    """Every operation's counts, measured once, with a stand-in @connections API."""
    from bench import work
    from bench.invoke import ConnectionsEndpoint
    from chalicelib import services
    from chalicelib.core.config import settings

    endpoint = ConnectionsEndpoint()
    previous = os.environ.get("WS_CALLBACK_URL")
    os.environ["WS_CALLBACK_URL"] = endpoint.url
    settings.cache_clear()
    services.forget_all()
    try:
        yield work.measure()
    finally:
        _restore(previous, endpoint)


def _restore(previous, endpoint):
    from chalicelib import services
    from chalicelib.core.config import settings
    from chalicelib.storage.mongo import database

    if previous is None:
        os.environ.pop("WS_CALLBACK_URL")
    else:
        os.environ["WS_CALLBACK_URL"] = previous
    settings.cache_clear()
    services.forget_all()
    endpoint.close()
    database_ = database()
    for name in database_.list_collection_names():
        database_[name].delete_many({})


def test_every_operation_stays_within_its_budget(measured):
    from bench import work

    assert work.over_budget(measured, work.load_budget()) == []


def test_the_budget_covers_every_measured_operation():
    from bench import work

    assert set(work.load_budget()["operations"]) == set(work.OPERATIONS)


def test_a_fanout_job_costs_one_post_per_connection_and_no_more_reads(measured):
    from bench import work

    fanout = measured["fanoutJob"]

    assert fanout["awsCalls"] == {"ApiGatewayManagementApi.PostToConnection": work.FANOUT_MEMBERS}
    # The members, their connections, and the conversation key that opens the job's sealed message.
    assert fanout["mongoCommands"] == {"find": 3}


def test_a_push_costs_one_publish_per_device_and_a_fixed_number_of_reads_per_job(measured):
    from bench import work

    pushed = measured["fanoutPushJob"]

    assert pushed["awsCalls"] == {"ApiGatewayManagementApi.PostToConnection": 1, "SNS.Publish": work.PUSHED_MEMBERS}
    # members, connections, the conversation key, devices, mutes, users, the group, memberships, conversations, read
    # markers (the badges), then one insert claiming every device's push: none per recipient.
    assert pushed["mongoCommands"] == {"find": 10, "insert": 1}
    assert measured["fanoutJob"]["mongoCommands"] == {"find": 3}  # everyone online: push costs nothing


def test_every_hot_query_carries_its_shard_key(measured):
    """Each query the work benchmark records on a collection with a shard key names that key
    (or is a known broadcast), and each inserted document carries it."""
    from chalicelib.storage.sharding import BROADCAST, SHARD_KEYS

    missing = set()
    for operation, counts in measured.items():
        for query in _with_lookups(counts["queries"]):
            key = set(SHARD_KEYS.get(query["collection"], ()))
            if not key:
                continue
            for fields in query["filters"]:
                shape = (query["collection"], query["command"], tuple(fields))
                if not key <= set(fields) and shape not in BROADCAST:
                    missing.add((operation, *shape))
            for fields in query.get("documents", []):
                if not key <= set(fields):
                    missing.add((operation, query["collection"], "insert without", tuple(sorted(key))))
    assert sorted(missing) == []
    shapes = {(query["collection"], query["command"], tuple(fields))
              for counts in measured.values() for query in _with_lookups(counts["queries"])
              for fields in query["filters"]}
    assert set(BROADCAST) <= shapes, "a listed broadcast no longer happens: take it off the list"


def _with_lookups(queries):
    """Every query, and each read inside a batch (chalicelib/storage/batch.py) as a query of its own."""
    for query in queries:
        yield query
        yield from query.get("lookups", ())
