"""Object ids: random, URL-safe strings that reveal nothing about order or count."""
import secrets

ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


def new_id():
    """A fresh 22-character id with 128 bits of randomness."""
    return secrets.token_urlsafe(16)
