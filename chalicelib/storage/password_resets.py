"""The `password_resets` collection: the one outstanding password-reset code of an account.

Document: {_id: userId, codeHash, expiresAt}. The code itself is never stored: `codeHash` is
an HMAC under a server-side key (chalicelib.accounts.recovery), so a database reader cannot
try the small code space offline. A new request replaces the old code; using a code deletes
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

    def put(self, user_id, code_hash, expires_at):
        """Make `code_hash` the account's one valid code (any earlier one stops working)."""
        self._resets.replace_one({"_id": user_id}, {"codeHash": code_hash, "expiresAt": expires_at}, upsert=True)

    def take(self, user_id, code_hashes, now):
        """True if one of `code_hashes` is the account's unexpired code, which is then used up."""
        taken = self._resets.find_one_and_delete({"_id": user_id, "codeHash": {"$in": list(code_hashes)},
                                                  "expiresAt": {"$gt": now}})
        return taken is not None

    def forget(self, user_id):
        self._resets.delete_one({"_id": user_id})
