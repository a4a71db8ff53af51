"""Passwords: bcrypt over a SHA-256 pre-hash.

bcrypt reads only 72 bytes (and the library refuses more), so hashing the whole password
first lets every character count; base64 keeps NUL bytes out of bcrypt's input.
"""
import base64
import hashlib
import secrets

MAX_PASSWORD_CHARS = 1024
MIN_PASSWORD_CHARS = 8


class Passwords:
    """bcrypt at a configured cost; `verify` costs the same for unknown accounts."""

    def __init__(self, rounds):
        self._rounds = rounds
        self._decoy = None

    def hash(self, password):
        import bcrypt

        return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(self._rounds)).decode()

    def verify(self, password, stored_hash):
        """True if `password` matches; with `stored_hash` None, spends the same time and says no."""
        import bcrypt

        if stored_hash is None:
            # An unknown email must not answer faster than a wrong password.
            if self._decoy is None:
                self._decoy = self.hash(secrets.token_urlsafe(16))
            bcrypt.checkpw(_prehash(password), self._decoy.encode())
            return False
        return bcrypt.checkpw(_prehash(password), stored_hash.encode())


def _prehash(password):
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())
