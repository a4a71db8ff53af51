"""Per-conversation data keys: create, cache, rotate, destroy (envelope encryption).

Each conversation has its own AES-128 data keys, numbered by version. KMS generates each
key under the encryption context {"conversationId": ...}; only the KMS-wrapped form is
stored. Unwrapped keys are cached per process, bounded in count and age, so a warm Lambda
calls KMS about once per conversation per cache age instead of once per message.

Rotation adds a new version that new messages use; old versions stay to decrypt old
messages. Destroying a conversation's keys makes its ciphertexts unreadable for good
(crypto-shredding), whatever copies of them remain.

Operators rotate a conversation's key with `python -m chalicelib.admin rotate <id>`
(run with the stage's environment).
"""
import collections
import threading
import time

from chalicelib.core.errors import Unavailable
from chalicelib.core.logs import current_request_id
from chalicelib.crypto.cipher import KEY_BYTES

CACHE_MAX_KEYS = 256
CACHE_MAX_AGE_SECONDS = 600
UNREAD = object()  # `current`: the key document was not read by the caller


class KeyMissing(Exception):
    """The key version a ciphertext names no longer exists (its conversation was shredded)."""


class Keyring:
    def __init__(self, store, key_service, cache=None):
        self._store = store
        self._kms = key_service
        self._cache = cache if cache is not None else KeyCache()
        self._current = None  # ((request id, conversation id), (version, key)): see `current`

    def current(self, conversation_id, latest=UNREAD):
        """(version, key) that new messages of `conversation_id` are sealed with; made on first use.

        `latest` is the current key's stored document (None: there is none yet) when the caller
        already read it in a batch (`current_read`), so it is not read again."""
        # Within one invocation the current version is read once: a send seals its message and
        # then its queued event, and both use the version the message names.
        scope = current_request_id()
        remembered = self._current
        if scope is not None and remembered is not None and remembered[0] == (scope, conversation_id):
            return remembered[1]
        found = self._store.latest(conversation_id) if latest is UNREAD else latest
        current = self._add_version(conversation_id, 1) if found is None else (found["version"], self._unwrapped(found))
        if scope is not None:
            self._current = ((scope, conversation_id), current)
        return current

    def current_read(self, conversation_id):
        """The read of the current key's document (storage.batch.Read), for `current(..., latest=)`."""
        return self._store.latest_read(conversation_id)

    def key(self, conversation_id, version):
        """The key of one version (to open older messages); KeyMissing if it was destroyed.

        The stored document is read every time (one point read; KMS only on a cache miss), so
        a destroyed key is refused at once by every process, whatever its cache holds.
        """
        found = self._store.get(conversation_id, version)
        if found is None:
            raise KeyMissing(f"version {version} of conversation key is gone")
        return self._unwrapped(found)

    def versions_read(self, conversation_id, versions):
        """The read (storage.batch.Read) of the stored key versions in `versions` (an aggregation
        expression over a batch's earlier reads), decoded {version: document}, for `opened`."""
        return self._store.versions_read(conversation_id, versions)

    def opened(self, document):
        """The key of a stored key document just read (by `versions_read`): as `key`, without reading it again."""
        return self._unwrapped(document)

    def rotate(self, conversation_id):
        """Start a new key version for new messages; old versions keep opening old ones."""
        found = self._store.latest(conversation_id)
        self._current = None
        version, _ = self._add_version(conversation_id, (found["version"] if found else 0) + 1)
        return version

    def destroy(self, conversation_id):
        """Delete every key version of a conversation (crypto-shredding); the number deleted."""
        self._current = None
        self._cache.drop_conversation(conversation_id)
        deleted = self._store.delete_all(conversation_id)
        self._cache.drop_conversation(conversation_id)
        return deleted

    def _add_version(self, conversation_id, version):
        plaintext, wrapped, master_key_id = self._kms.new_data_key(_context(conversation_id))
        _check_length(plaintext)
        if self._store.add(conversation_id, version, wrapped, master_key_id):
            self._cache.put(_cache_key(conversation_id, version, wrapped), plaintext)
            return version, plaintext
        # Another process stored this version first: everyone must use theirs.
        found = self._store.get(conversation_id, version)
        for attempt in range(1, 6):
            if found is not None:
                return version, self._unwrapped(found)
            time.sleep(0.005 * attempt)  # its insert won the index but is not visible yet
            found = self._store.get(conversation_id, version)
        raise Unavailable("The conversation key could not be read; try again.", "key_service_unavailable")

    def _unwrapped(self, document):
        cache_key = _cache_key(document["conversationId"], document["version"], document["wrappedKey"])
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        plaintext = self._kms.unwrap(
            document["wrappedKey"], _context(document["conversationId"]), document["masterKeyId"]
        )
        _check_length(plaintext)
        self._cache.put(cache_key, plaintext)
        return plaintext


class KeyCache:
    """Unwrapped data keys of this process: least recently used go first, none outlives max age."""

    def __init__(self, max_keys=CACHE_MAX_KEYS, max_age_seconds=CACHE_MAX_AGE_SECONDS, clock=time.monotonic):
        self._max_keys = max_keys
        self._max_age = max_age_seconds
        self._clock = clock
        self._entries = collections.OrderedDict()  # (conversationId, version, wrapped) -> (key, stored at)
        self._lock = threading.Lock()

    def get(self, cache_key):
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is None:
                return None
            key, stored_at = entry
            if self._clock() - stored_at >= self._max_age:
                del self._entries[cache_key]
                return None
            self._entries.move_to_end(cache_key)
            return key

    def put(self, cache_key, key):
        with self._lock:
            self._entries[cache_key] = (key, self._clock())
            self._entries.move_to_end(cache_key)
            while len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)

    def drop_conversation(self, conversation_id):
        with self._lock:
            for cache_key in [k for k in self._entries if k[0] == conversation_id]:
                del self._entries[cache_key]

    def __len__(self):
        return len(self._entries)


def _cache_key(conversation_id, version, wrapped_key):
    # Versions start again at 1 when a shredded conversation is used again; the wrapped key
    # (KMS ciphertext, unique per key) tells the new version 1 from the destroyed one.
    return conversation_id, version, bytes(wrapped_key)


def _context(conversation_id):
    return {"conversationId": conversation_id}


def _check_length(plaintext):
    if len(plaintext) != KEY_BYTES:
        raise Unavailable("The key service returned a key of the wrong size.", "key_service_unavailable")
