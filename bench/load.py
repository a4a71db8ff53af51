"""Delivery under load: many clients in many groups, sending at a fixed rate for a fixed time.

Every user is a member of one group and holds one WebSocket connection; the load generator
(one asyncio process, open loop: each send starts on its schedule whatever the others do)
sends `rate` messages a second over REST, round-robin over the groups and their members,
for `seconds`. Each message must reach every member of its group (the sender's own
connection too). Then it waits for stragglers and counts:

- REST latency (POST /messages/send) and send-to-receive latency (from the start of the
  REST call to each member's first copy), as p50/p95/p99;
- throughput: messages accepted and deliveries made per second;
- lost: (message, member) pairs never delivered; duplicates: copies beyond the first, and
  whether each carried the same message id (a redelivery) or a new one (a double store).

Halfway through, the local SQS event source is told to crash one fan-out invocation after it
has pushed (devstack's fault injection), so SQS redelivers that batch: the run shows what a
redelivery looks like to clients (duplicates with the same id), not only the happy path.
"""
import asyncio
import collections
import statistics
import time

from bench.clients import close_all, open_all
from bench.population import Population

WARMING_SECONDS = 5  # the stack's workers start cold: figures are also given without these seconds


def run(stack, services, groups=5, members=20, rate=10.0, seconds=30.0, grace_seconds=20.0, redelivery=True):
    return asyncio.run(_run(stack, services, groups, members, rate, seconds, grace_seconds, redelivery))


class _Ledger:
    """What each member received: first arrival per (message key, user), copies, ids."""

    def __init__(self):
        self.first = {}  # (key, user id) -> perf_counter of the first copy
        self.copies = collections.Counter()  # (key, user id) -> copies received
        self.ids = collections.defaultdict(set)  # key -> message ids seen for it
        self.created = {}  # key -> the message's createdAt (the server stored it), epoch seconds

    def __call__(self, user, message, arrived):
        key = message.get("clientMessageId")
        if not key or not key.startswith("load-"):
            return
        pair = (key, user["id"])
        self.first.setdefault(pair, arrived)
        if key not in self.created and isinstance(message.get("createdAt"), str):
            from datetime import datetime

            self.created[key] = datetime.fromisoformat(message["createdAt"].replace("Z", "+00:00")).timestamp()
        self.copies[pair] += 1
        self.ids[key].add(message["id"])


async def _run(stack, services, group_count, members, rate, seconds, grace_seconds, redelivery):
    import aiohttp

    population = Population(services.mongo_uri, stack.database)
    groups = []
    for _ in range(group_count):
        users = population.users(members, prefix="load")
        groups.append({"id": population.group(users[0], users[1:]), "members": users})
    population.close()
    ledger = _Ledger()
    sends = []
    log_from = _log_size(stack)
    wall_offset = time.time() - time.perf_counter()  # perf_counter moments -> epoch seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        everyone = [user for group in groups for user in group["members"]]
        receivers, _ = await open_all(session, stack.ws, everyone, ledger)
        try:
            total = int(rate * seconds)
            started = time.perf_counter()
            tasks = []
            for index in range(total):
                await _sleep_until(started + index / rate)
                if redelivery and index == total // 2:
                    await session.post(f"{stack.ws.replace('ws://', 'http://')}/__devstack/sqs/crash-next")
                group = groups[index % group_count]
                sender = group["members"][(index // group_count) % members]
                tasks.append(asyncio.create_task(_send(session, stack.http, sender, group, f"load-{index}", sends)))
            await asyncio.gather(*tasks)
            sent_for = time.perf_counter() - started
            expected = {(send["key"], member["id"]) for send in sends if send["status"] == 201
                        for member in send["group"]["members"]}
            await _until(lambda: expected.issubset(ledger.first), grace_seconds)
            # Redelivered batches come back after the queue's visibility timeout: wait for them too.
            await asyncio.sleep(_redelivery_wait(redelivery))
        finally:
            await close_all(receivers)
    window = max(ledger.first.values(), default=started) - started
    summary = _summary(sends, ledger, expected, group_count, members, rate, seconds, sent_for, window, redelivery)
    summary["breakdown"] = _breakdown(sends, ledger, expected, wall_offset, _stack_timings(stack, log_from))
    return summary


def _breakdown(sends, ledger, expected, wall_offset, server):
    """Where send-to-receive time goes (medians and p99, ms): the REST call, of which the part
    until the message was stored; then, from the consumer's own metrics in the stack's log,
    the SQS hop (enqueued until taken up: FanoutWait) and stored until posted (DeliveryLag),
    which leaves the consumer's work before posting and the post's way to the client."""
    by_key = {send["key"]: send for send in sends if send["status"] == 201}
    until_stored = [(ledger.created[key] - (send["started"] + wall_offset)) * 1000
                    for key, send in by_key.items() if key in ledger.created]
    stored_to_receive = [((arrived + wall_offset) - ledger.created[key]) * 1000
                         for (key, _), arrived in ledger.first.items()
                         if key in ledger.created and key in by_key and (key, _) in expected]
    figures = {
        "restMs": _percentiles(sorted(send["restMs"] for send in by_key.values())),
        "restUntilStoredMs": _percentiles(sorted(until_stored)),
        "storedToReceiveMs": _percentiles(sorted(stored_to_receive)),
        "sqsHopMs": _percentiles(sorted(server.get("FanoutWait", []))),
        "storedToPostMs": _percentiles(sorted(server.get("DeliveryLag", []))),
    }
    median = {name: figures[name]["p50"] for name in figures}
    if None not in (median["storedToPostMs"], median["sqsHopMs"], median["storedToReceiveMs"]):
        figures["consumerBeforePostMedianMs"] = round(median["storedToPostMs"] - median["sqsHopMs"], 1)
        figures["postToReceiveMedianMs"] = round(median["storedToReceiveMs"] - median["storedToPostMs"], 1)
    return figures


def _log_size(stack):
    import os

    log = getattr(stack, "log", None)
    return os.path.getsize(log) if log and os.path.exists(log) else 0


def _stack_timings(stack, offset):
    """{metric: [ms, ...]} of the timings the stack's functions wrote (EMF lines) since `offset`."""
    import json

    found = collections.defaultdict(list)
    log = getattr(stack, "log", None)
    if not log:
        return found
    with open(log, "rb") as lines:
        lines.seek(offset)
        for line in lines:
            if b'"CloudWatchMetrics"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            for name in ("FanoutWait", "DeliveryLag"):
                value = entry.get(name)
                found[name] += value if isinstance(value, list) else [value] if value is not None else []
    return found


async def _send(session, http_url, sender, group, key, sends):
    started = time.perf_counter()
    try:
        async with session.post(f"{http_url}/messages/send",
                                json={"groupId": group["id"], "text": f"load message {key}", "clientMessageId": key},
                                headers={"Authorization": f"Bearer {sender['token']}"}) as answer:
            await answer.read()
            status = answer.status
    except Exception:  # noqa: BLE001 - a failed request is counted, not fatal to the run
        status = None
    sends.append({"key": key, "group": group, "started": started, "status": status,
                  "restMs": (time.perf_counter() - started) * 1000})


def _summary(sends, ledger, expected, group_count, members, rate, seconds, sent_for, window, redelivery):
    by_key = {send["key"]: send for send in sends}
    latencies = sorted((ledger.first[pair] - by_key[pair[0]]["started"]) * 1000
                       for pair in expected if pair in ledger.first)
    rest = sorted(send["restMs"] for send in sends if send["status"] == 201)
    # The same, leaving out the first seconds, while the Lambda-like workers are still cold.
    settled = min((send["started"] for send in sends), default=0) + WARMING_SECONDS
    steady_latencies = sorted((ledger.first[pair] - by_key[pair[0]]["started"]) * 1000 for pair in expected
                              if pair in ledger.first and by_key[pair[0]]["started"] >= settled)
    steady_rest = sorted(send["restMs"] for send in sends if send["status"] == 201 and send["started"] >= settled)
    accepted = sum(send["status"] == 201 for send in sends)
    duplicates = sum(count - 1 for pair, count in ledger.copies.items() if count > 1)
    return {
        "clients": group_count * members,
        "groups": group_count,
        "membersPerGroup": members,
        "targetRate": rate,
        "seconds": seconds,
        "sent": len(sends),
        "accepted": accepted,
        "failed": len(sends) - accepted,
        "failedStatuses": dict(collections.Counter(str(send["status"]) for send in sends if send["status"] != 201)),
        "achievedRate": round(len(sends) / sent_for, 2),
        "restMs": _percentiles(rest),
        "sendToReceiveMs": _percentiles(latencies),
        "warmingSeconds": WARMING_SECONDS,
        "restMsAfterWarming": _percentiles(steady_rest),
        "sendToReceiveMsAfterWarming": _percentiles(steady_latencies),
        "expectedDeliveries": len(expected),
        "deliveriesPerSecond": round(len(latencies) / window, 1) if window else None,
        "lost": len(expected - set(ledger.first)),
        "duplicates": duplicates,
        "duplicatesWithNewId": sum(len(ids) - 1 for ids in ledger.ids.values()),
        "redeliveryInjected": redelivery,
        "timeline": _timeline(sends, ledger),
    }


def _timeline(sends, ledger):
    """[[seconds into the run, REST ms, slowest member's send-to-receive ms]] per accepted send."""
    if not sends:
        return []
    origin = min(send["started"] for send in sends)
    slowest = {}
    for (key, _), arrived in ledger.first.items():
        slowest[key] = max(slowest.get(key, 0), arrived)
    return [[round(send["started"] - origin, 3), round(send["restMs"], 1),
             round((slowest[send["key"]] - send["started"]) * 1000, 1) if send["key"] in slowest else None]
            for send in sorted(sends, key=lambda send: send["started"]) if send["status"] == 201]


def _percentiles(values):
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1),
            "max": round(values[-1], 1)}


def _redelivery_wait(redelivery):
    """Seconds to wait for a crashed batch to come back: the local queue's visibility timeout
    (devstack/provision.py) and a little more."""
    if not redelivery:
        return 0
    from devstack.provision import LOCAL_VISIBILITY_TIMEOUT

    return LOCAL_VISIBILITY_TIMEOUT + 2


async def _sleep_until(moment):
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def _until(condition, timeout):
    deadline = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
