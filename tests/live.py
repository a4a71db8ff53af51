"""Clients for tests against the running local stack: REST over HTTP, and WebSocket
listeners that collect every frame in the background."""
import json
import threading
import time
import uuid

import requests
from websockets.sync.client import connect


class Api:
    """A signed-in user of the REST API."""

    def __init__(self, base, email, name="Live User", password="a long password"):
        self.base = base
        self.email = email
        answer = requests.post(f"{base}/register", json={"email": email, "password": password, "name": name})
        assert answer.status_code == 201, answer.text
        self.user = answer.json()["user"]
        self.id = self.user["id"]
        login = requests.post(f"{base}/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        self.token = login.json()["token"]

    def call(self, method, path, body=None):
        return requests.request(method, f"{self.base}{path}", json=body,
                                headers={"Authorization": f"Bearer {self.token}"}, timeout=30)


def unique_email(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


class Listener:
    """A WebSocket connection whose incoming frames are collected by a background thread."""

    def __init__(self, url):
        self.socket = connect(url, open_timeout=10, legacy=True)
        self.frames = []
        self.closed = threading.Event()  # set once the server (or we) closed the connection
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            for raw in self.socket:
                with self._changed:
                    self.frames.append(json.loads(raw))
                    self._changed.notify_all()
        except Exception:  # noqa: BLE001 - the connection closed
            pass
        finally:
            self.closed.set()

    def send(self, frame):
        self.socket.send(json.dumps(frame))

    def wait_for(self, predicate, timeout=15.0):
        """The first frame matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching frame within {timeout}s; got {self.frames}")
                self._changed.wait(left)

    def of_type(self, frame_type):
        with self._changed:
            return [frame for frame in self.frames if frame.get("type") == frame_type]

    def close(self):
        self.socket.close()
