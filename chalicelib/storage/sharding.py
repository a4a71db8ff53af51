"""The shard key of each collection that grows with use, for when one replica set is not enough.

Nothing here shards anything: an operator shards these collections on Atlas with these keys
(docs/benchmarks.md, "Past one replica set"), and the code keeps working unchanged because
every hot query names its collection's shard key, so mongos sends it to one shard (or, for
an `$in`, to the shards that hold those keys) instead of to all of them. Upserts must name
it (a sharded cluster refuses them otherwise), and every unique index starts with it.
tests/bench/test_work_budget.py checks the queries the work benchmark records against this.
"""

SHARD_KEYS = {
    # History pages, sends, edits and reactions all work within one conversation; the unique
    # index (conversationId, seq) starts with the key, so seq stays unique per conversation.
    "messages": ("conversationId",),
    # A group's members (each fan-out job) and one member's record (every send): per group.
    "memberships": ("groupId",),
    # A user's open connections (each fan-out job, each $connect): per user.
    "connections": ("userId",),
}

# Hot queries that cannot name their shard key (and are sent to every shard), with the reason.
BROADCAST = {
    ("connections", "findAndModify", ("_id",)):
        "a WebSocket frame (which counts itself on its connection's record) and $disconnect name only "
        "their connection id (API Gateway passes no user id)",
    ("memberships", "find", ("state", "userId")):
        "a mobile push's badge counts the recipients' unread messages in all their groups",
}
