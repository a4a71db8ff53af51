"""Several independent reads in one round trip.

A use case that needs, before it can act, the caller's membership, the conversation and its
current key would otherwise pay one round trip for each. `read_together` sends them as one
aggregate on the database: `$documents` makes one empty document and each read is a `$lookup`
sub-pipeline on its own collection. Each store still owns its query (it builds the `Read`),
and each sub-pipeline starts with a `$match` that names its collection's shard key, as the
store's own query would (storage/sharding.py), so mongos targets it the same way.

The reads are point reads (or a short sorted range), in the order given. A read may name
variables (`let`) computed from the reads before it (`"$<name>"` is the array that read found),
as a history page's floor depends on the membership and the group; otherwise none sees the
others' results. Together they are no more a snapshot than the same reads made one by one.
Needs MongoDB 5.1 or later (`$documents`, `$lookup` from a sharded collection); Atlas has it.
"""
from dataclasses import dataclass, field
from typing import Any, Callable


def field_of(read, name):
    """An expression for a later read's `let`: field `name` of the first document the read
    named `read` found (missing if it found none). Written with `$map`, which every server
    evaluates alike ("$read.name" over an array is not portable)."""
    return {"$arrayElemAt": [{"$map": {"input": f"${read}", "in": f"$$this.{name}"}}, 0]}


def first(found):
    """The first document a read found, or None."""
    return found[0] if found else None


@dataclass(frozen=True)
class Read:
    """One read of a batch: a pymongo collection, its pipeline (a `$match` first), what to
    make of the documents found (by default the first one, or None), and the variables its
    pipeline uses (`$$name`), as expressions over the earlier reads of the batch."""

    collection: Any
    pipeline: list
    decode: Callable[[list], Any] = field(default=first)
    let: dict = field(default_factory=dict)


def read_together(reads):
    """{name: decoded result} for `reads` ({name: Read}, all of one database), in one command."""
    reads = dict(reads)
    if not reads:
        return {}
    database = next(iter(reads.values())).collection.database
    stages = [{"$documents": [{}]}]
    stages += [{"$lookup": {"from": read.collection.name, **({"let": read.let} if read.let else {}),
                            "pipeline": list(read.pipeline), "as": name}}
               for name, read in reads.items()]
    found = next(iter(database.aggregate(stages)), {})
    return {name: read.decode(found.get(name) or []) for name, read in reads.items()}
