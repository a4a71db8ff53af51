"""asyncio clients of the local stack: WebSocket receivers that time every message event
they get, and REST calls, all on one event loop (aiohttp)."""
import asyncio
import json
import time


class Receiver:
    """One WebSocket connection of a user; calls `on_message(user, message, perf_counter())`
    for every message event it receives."""

    def __init__(self, user, on_message):
        self.user = user
        self._on_message = on_message
        self.others = 0  # frames that are not message events
        self._socket = None
        self._reader = None

    async def open(self, session, ws_url):
        self._socket = await session.ws_connect(f"{ws_url}/?token={self.user['token']}", heartbeat=None,
                                                max_msg_size=0, timeout=30)
        self._reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self._socket:
            arrived = time.perf_counter()
            frame = json.loads(raw.data)
            if frame.get("type") == "message":
                self._on_message(self.user, frame["message"], arrived)
            else:
                self.others += 1

    async def close(self):
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


async def open_all(session, ws_url, users, on_message, concurrency=50):
    """A Receiver per user, connected at most `concurrency` at a time; (receivers, seconds)."""
    receivers = [Receiver(user, on_message) for user in users]
    gate = asyncio.Semaphore(concurrency)

    async def open_one(receiver):
        async with gate:
            await receiver.open(session, ws_url)

    started = time.perf_counter()
    await asyncio.gather(*(open_one(receiver) for receiver in receivers))
    return receivers, time.perf_counter() - started


async def close_all(receivers):
    await asyncio.gather(*(receiver.close() for receiver in receivers), return_exceptions=True)


async def send(session, http_url, user, group_id, text, client_message_id):
    """POST /messages/send; (status, message or error body, seconds taken)."""
    started = time.perf_counter()
    async with session.post(f"{http_url}/messages/send", json={"groupId": group_id, "text": text,
                                                                "clientMessageId": client_message_id},
                            headers={"Authorization": f"Bearer {user['token']}"}) as answer:
        body = await answer.json(content_type=None)
        return answer.status, body.get("message", body), time.perf_counter() - started


def raise_open_file_limit(wanted=8192):
    """Let this process (and the stack it starts) hold thousands of sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
