"""Crypto: what encryption at rest costs per message, and how often it calls KMS.

- AES-128-GCM seal and open of one message (with its associated data), as the send and
  history paths do them (chalicelib/crypto/cipher.py): median of several batches, in microseconds.
- KMS calls for 1,000 messages in 10 conversations, counted on the app's KMS client: sent
  by one warm process (from as many members as the send limit needs), then read back (20 pages of 50) by a process whose key cache is
  empty, as a newly started Lambda's is.
"""
import math
import statistics
import time

from bench import counting

TEXT_SIZES = (200, 4000)  # a typical chat line, and the largest text the API accepts


def run(messages=1000, conversations=10, batches=7, per_batch=2000):
    return {"cipher": cipher_cost(batches, per_batch), "kms": kms_calls(messages, conversations)}


def cipher_cost(batches=7, per_batch=2000):
    """{text size: {"sealUs", "openUs"}}: the median cost of one seal and one open."""
    import os

    from chalicelib.crypto.cipher import message_aad, open_sealed, seal

    key = os.urandom(16)
    results = {}
    for size in TEXT_SIZES:
        text = "x" * size
        seal_us, open_us = [], []
        for _ in range(batches):
            started = time.perf_counter()
            for index in range(per_batch):
                aad = message_aad(conversation_id="c" * 22, message_id=f"{index:022d}", sender_id="s" * 22,
                                  key_version=1)
                nonce, ciphertext = seal(key, text, aad)
            sealed = time.perf_counter()
            for _ in range(per_batch):
                open_sealed(key, nonce, ciphertext, aad)
            opened = time.perf_counter()
            seal_us.append((sealed - started) / per_batch * 1e6)
            open_us.append((opened - sealed) / per_batch * 1e6)
        results[str(size)] = {"sealUs": round(statistics.median(seal_us), 1),
                              "openUs": round(statistics.median(open_us), 1)}
    return results


def kms_calls(messages, conversations):
    """KMS operations counted while `messages` are sent to `conversations` groups, then read.

    The messages come from as many members as the send limit needs (each sends at most
    MESSAGES_SENT_PER_USER's allowance), so the limit is respected, not switched off.
    """
    counting.install()
    import app as app_module
    from bench.invoke import Handlers
    from bench.work import Actions
    from chalicelib import services
    from chalicelib.core.limits import MESSAGES_SENT_PER_USER

    do = Actions(Handlers(app_module))
    sender = do.user()
    groups = [do.group(sender) for _ in range(conversations)]
    senders = [sender] + [do.user() for _ in range(math.ceil(messages / MESSAGES_SENT_PER_USER.max_hits) - 1)]
    for member in senders[1:]:
        for group in groups:
            do.join(member, group)
    started = time.perf_counter()
    with counting.counting() as sending:
        for index in range(messages):
            do.send(senders[index % len(senders)], groups[index % conversations], f"message {index}")
    send_seconds = time.perf_counter() - started
    services.current().forget("keyring", "messaging", "sockets")  # a new, empty key cache, as in a new Lambda
    pages = 0
    with counting.counting() as reading:
        for group in groups:
            before = None
            while True:
                query = {"limit": "50", **({"before": str(before)} if before else {})}
                status, body = do.h.rest("GET", f"/messages/{group}", token=sender["token"], query=query)
                assert status == 200, body
                pages += 1
                if not body["hasMore"]:
                    break
                before = body["nextBefore"]
    services.forget_all()
    return {
        "messages": messages,
        "conversations": conversations,
        "senders": len(senders),
        "send": _kms_only(sending.aws),
        "readBackColdCache": _kms_only(reading.aws),
        "pagesRead": pages,
        "sendsPerSecondInProcess": round(messages / send_seconds, 1),
    }


def _kms_only(calls):
    kms = {name.split(".", 1)[1]: count for name, count in calls.items() if name.startswith("KMS.")}
    return {"calls": sum(kms.values()), "byOperation": kms}
