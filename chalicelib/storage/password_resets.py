"""The `password_resets` collection: the one outstanding password-reset code of an account.

Document: {_id: userId, codeHash, kid, expiresAt}. The code itself is never stored: `codeHash` is
an HMAC under a server-side key (chalicelib.accounts.recovery), so a database reader cannot
try the small code space offline; `kid` names that key, so a Lambda that has not read
it yet (its keys are cached) knows to. A new request replaces the old code; using a code deletes
it atomically, so it works once; a TTL index removes expired ones.
"""
from chalicelib.storage.mongo import database, ensure_indexes_once


class PasswordResetStore:
    def __init__(self, db):
        self._resets = db["password_resets"]
        ensure_indexes_once("password_resets", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._resets.create_index("expiresAt", expireAfterSeconds=0, name="expires_ttl")

    def put(self, user_id, code_hash, kid, expires_at):
        """Make `code_hash` (an HMAC under key `kid`) the account's one valid code (any earlier one stops working)."""
        self._resets.replace_one({"_id": user_id}, {"codeHash": code_hash, "kid": kid, "expiresAt": expires_at},
                                 upsert=True)

    def kid_of(self, user_id):
        """The key id the account's outstanding code was hashed under, or None."""
        found = self._resets.find_one({"_id": user_id}, {"kid": 1})
        return found.get("kid") if found else None

    def take(self, user_id, code_hashes, now):
        """True if one of `code_hashes` is the account's unexpired code, which is then used up."""
        taken = self._resets.find_one_and_delete({"_id": user_id, "codeHash": {"$in": list(code_hashes)},
                                                  "expiresAt": {"$gt": now}})
        return taken is not None

    def forget(self, user_id):
        self._resets.delete_one({"_id": user_id})
