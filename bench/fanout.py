"""Fan-out: one message to N connected WebSocket clients through the local stack, against a
serial baseline in the same run.

Real path: POST /messages/send → SQS (moto) → the `fanout` handler in a Lambda-like worker
(pushing on its pool of 32 threads) → the local gateway's @connections API → the N
connected members of a group. Timed from just before the REST call until the last of the N
clients has the message. Baseline: the very same N pushes, one `post_to_connection` at a
time (the app's own ConnectionPusher, from this process), timed the same way. The two
alternate which goes first. All clients connect once; the groups of 10, 100 and 1,000
members are nested, so one set of connections serves every N.

Everything shares this machine's cores: the clients (one asyncio process), the gateway
(one asyncio process), the Lambda workers, moto and the embedded MongoDB. The MongoDB reads
the consumer makes for the largest N are also timed on their own, to show what part of the
delivery time is the database.

`pool_effect` measures the consumer's design where the local stack cannot: with a simulated
network latency on each @connections post (deployed, every post is a round trip to API
Gateway), its pool of 32 threads against one post at a time.
"""
import asyncio
import statistics
import time

from bench.clients import close_all, open_all, send
from bench.population import Population

SIZES = (10, 100, 1000)
TIMEOUT_SECONDS = 60


class _Delivery:
    """Arrival times of the one message currently being timed (by its clientMessageId)."""

    def __init__(self):
        self.key, self.expected, self.arrivals = None, 0, []
        self.complete = asyncio.Event()

    def expect(self, key, count):
        self.key, self.expected, self.arrivals = key, count, []
        self.complete.clear()

    def __call__(self, user, message, arrived):
        if message.get("clientMessageId") == self.key:
            self.arrivals.append(arrived)
            if len(self.arrivals) >= self.expected:
                self.complete.set()


def run(stack, services, sizes=SIZES, repeats=3):
    """{"sizes": {N: figures}, "connect": ..., "repeats"} through the local stack."""
    return asyncio.run(_run(stack, services, sizes, repeats))


async def _run(stack, services, sizes, repeats):
    import aiohttp

    population = Population(services.mongo_uri, stack.database)
    pusher, cpu_per_post = _serial_pusher()
    users = population.users(max(sizes) + 1, prefix="fanout")
    sender, everyone = users[0], users[1:]  # the sender is a member with no connection
    groups = {size: population.group(sender, everyone[:size]) for size in sizes}
    delivery = _Delivery()
    results = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        receivers, connect_seconds = await open_all(session, stack.ws, everyone, delivery)
        try:
            for size in sizes:
                members = everyone[:size]
                targets = population.connections_of([member["id"] for member in members])
                assert len(targets) == size, f"{len(targets)} connections recorded for {size} clients"
                figures = await _one_size(session, stack, pusher, sender, groups[size], targets, delivery, repeats)
                figures["serialCpuMsPerPost"] = round(statistics.median(cpu_per_post), 3)
                cpu_per_post.clear()
                results[str(size)] = figures
                print(f"  fan-out N={size}: {_line(figures)}", flush=True)
            largest = max(sizes)
            results[str(largest)]["consumerDbReadsMs"] = _consumer_reads_ms(population, groups[largest])
        finally:
            # The stack is stopped after this benchmark; its $disconnect handling is not awaited.
            await close_all(receivers)
    population.close()
    return {"sizes": results, "repeats": repeats,
            "connect": {"clients": len(everyone), "seconds": round(connect_seconds, 2),
                        "perSecond": round(len(everyone) / connect_seconds, 1)}}


async def _one_size(session, stack, pusher, sender, group, targets, delivery, repeats):
    size = len(targets)
    await _through_the_stack(session, stack, sender, group, delivery, size, f"warm-up-{size}")
    real, serial = [], []
    for repeat in range(repeats):
        runs = [("real", real), ("serial", serial)]
        for kind, into in runs if repeat % 2 == 0 else reversed(runs):
            key = f"{kind}-{size}-{repeat}"
            if kind == "real":
                into.append(await _through_the_stack(session, stack, sender, group, delivery, size, key))
            else:
                into.append(await _serially(pusher, targets, delivery, size, key))
    return _summary(size, real, serial)


async def _through_the_stack(session, stack, sender, group, delivery, size, key):
    delivery.expect(key, size)
    started = time.perf_counter()
    status, message, rest_seconds = await send(session, stack.http, sender, group, f"fan-out {key}", key)
    assert status == 201, message
    return _timed(delivery, started, rest_seconds, await _completed(delivery))


async def _serially(pusher, targets, delivery, size, key):
    frame = {"type": "message", "message": {"id": key, "clientMessageId": key, "text": f"serial {key}"}}
    delivery.expect(key, size)
    started = time.perf_counter()

    def post_one_at_a_time():
        for target in targets:
            pusher.send(target["endpoint"], target["_id"], frame)

    await asyncio.to_thread(post_one_at_a_time)
    return _timed(delivery, started, None, await _completed(delivery))


async def _completed(delivery):
    try:
        await asyncio.wait_for(delivery.complete.wait(), TIMEOUT_SECONDS)
        return True
    except asyncio.TimeoutError:
        return False


def _timed(delivery, started, rest_seconds, complete):
    arrivals = sorted(delivery.arrivals)
    return {
        "complete": complete,
        "received": len(arrivals),
        "restMs": None if rest_seconds is None else round(rest_seconds * 1000, 1),
        "firstMs": round((arrivals[0] - started) * 1000, 1) if arrivals else None,
        "lastMs": round((arrivals[-1] - started) * 1000, 1) if arrivals else None,
    }


def _summary(size, real, serial):
    def median(runs, field):
        values = [run[field] for run in runs if run[field] is not None]
        return round(statistics.median(values), 1) if values else None

    real_ms, serial_ms = median(real, "lastMs"), median(serial, "lastMs")
    spread = [run["lastMs"] - run["firstMs"] for run in real if run["lastMs"] is not None]
    return {
        "clients": size,
        "restMs": median(real, "restMs"),
        "firstDeliveryMs": median(real, "firstMs"),
        "allDeliveredMs": real_ms,
        "pushSpreadMs": round(statistics.median(spread), 1) if spread else None,
        "postsPerSecond": round(size / real_ms * 1000, 1) if real_ms else None,
        "serialAllDeliveredMs": serial_ms,
        "serialPostsPerSecond": round(size / serial_ms * 1000, 1) if serial_ms else None,
        "speedupOverSerial": round(serial_ms / real_ms, 2) if real_ms and serial_ms else None,
        "incompleteRuns": sum(not run["complete"] for run in real + serial),
        "runs": {"real": real, "serial": serial},
    }


def _line(figures):
    return (f"all {figures['clients']} delivered in {figures['allDeliveredMs']} ms "
            f"({figures['postsPerSecond']} posts/s); serial {figures['serialAllDeliveredMs']} ms "
            f"({figures['serialPostsPerSecond']} posts/s); x{figures['speedupOverSerial']}")


def _serial_pusher():
    """The app's ConnectionPusher as the consumer builds it (`from_env`), and the CPU ms each
    post took (the whole `send`: the frame's JSON, signing, the HTTP exchange)."""
    from chalicelib.realtime.pusher import ConnectionPusher

    cpu_per_post = []

    class Timed(ConnectionPusher):
        def send(self, endpoint, connection_id, frame):
            started = time.thread_time()
            super().send(endpoint, connection_id, frame)
            cpu_per_post.append((time.thread_time() - started) * 1000)

    return Timed(ConnectionPusher.from_env()._client_for), cpu_per_post


def _consumer_reads_ms(population, group_id, repeats=3):
    """Median time of the consumer's two reads for one job of a large group (members, then
    their connections), made from this process against the same MongoDB."""
    from chalicelib.realtime.fanout import MEMBERS_PER_JOB
    from chalicelib.storage.connections import ConnectionStore
    from chalicelib.storage.memberships import MembershipStore

    members, connections = MembershipStore(population.db), ConnectionStore(population.db)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        page = members.member_ids(group_id, limit=MEMBERS_PER_JOB + 1)
        connections.of_users(page[:MEMBERS_PER_JOB])
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def pool_effect(connections=200, latency_ms=10.0, repeats=3, lambda_timeout_seconds=30):
    """The consumer (its real Fanout and ConnectionPusher) delivering to `connections` through
    a stand-in @connections API (another process) that answers after `latency_ms`: its pool
    against one thread, alternating which goes first, `repeats` times each. Each delivery
    runs under the deadline a fresh `lambda_timeout_seconds` invocation would give it."""
    import math

    from bench.invoke import RemoteConnectionsEndpoint
    from chalicelib.realtime.fanout import ANSWER_MARGIN_SECONDS, PUSH_WORKERS, Fanout
    from chalicelib.realtime.pusher import ConnectionPusher

    # In a process of its own: deployed, @connections is API Gateway's CPU, not the Lambda's.
    endpoint = RemoteConnectionsEndpoint(delay_seconds=latency_ms / 1000)
    pusher = ConnectionPusher.from_env()  # the app's own, as the consumer builds it
    targets = [{"_id": f"c{index}", "userId": f"u{index}", "endpoint": endpoint.url} for index in range(connections)]
    job = {"event": {"type": "message", "message": {"id": "m", "text": "x" * 200}}, "userIds": ["any"]}
    runs = {"pool": [], "serial": []}
    fanouts = {label: Fanout(None, _Targets(targets), pusher, None, workers=workers)
               for label, workers in (("pool", PUSH_WORKERS), ("serial", 1))}
    budget = lambda_timeout_seconds - ANSWER_MARGIN_SECONDS
    try:
        for fanout in fanouts.values():
            fanout.deliver(job)  # warm the client's connections
        for repeat in range(repeats):
            order = ["pool", "serial"] if repeat % 2 == 0 else ["serial", "pool"]
            for label in order:
                started = time.perf_counter()
                delivery = fanouts[label].deliver(job, deadline=time.monotonic() + budget)
                seconds = time.perf_counter() - started
                assert delivery.pushed == connections, f"{delivery.pushed} of {connections} posts went out"
                runs[label].append(round(seconds * 1000, 1))
    finally:
        endpoint.close()
    figures = {}
    for label, workers in (("pool", PUSH_WORKERS), ("serial", 1)):
        ms = statistics.median(runs[label])
        figures[label] = {"workers": workers, "ms": round(ms, 1), "runsMs": runs[label],
                          "postsPerSecond": round(connections / ms * 1000, 1)}
    figures["speedup"] = round(figures["serial"]["ms"] / figures["pool"]["ms"], 2)
    # The most a pool of PUSH_WORKERS can do: every thread busy, ceil(N / workers) posts each.
    figures["ceiling"] = round(connections / math.ceil(connections / PUSH_WORKERS), 2)
    figures["withinDeadline"] = max(runs["pool"]) / 1000 < budget
    return {"connections": connections, "simulatedLatencyMs": latency_ms, "repeats": repeats,
            "deadlineSeconds": budget, **figures}


class _Targets:
    """Connections for `pool_effect`: every job reaches the same list."""

    def __init__(self, targets):
        self._targets = targets

    def of_users(self, user_ids):
        return self._targets
