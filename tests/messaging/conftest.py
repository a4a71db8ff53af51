"""Fixtures the messaging use-case tests share: three accounts and a recording publisher."""
import pytest

from chalicelib.storage.users import UserStore
from tests.fakes import RecordingPublisher


@pytest.fixture
def people(db):
    users = UserStore(db)
    return {name: users.create(email=f"{name}@example.com", name=name.title(), password_hash="x")["_id"]
            for name in ("alice", "bob", "carol")}


@pytest.fixture
def publisher():
    return RecordingPublisher()
