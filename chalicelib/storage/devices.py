"""The `devices` collection: one document per mobile device that may receive pushes.

Document: {_id, userId, platform ("apns"|"fcm"), name?, tokenHash, endpointArn, createdAt}.
The push token itself is never stored: SNS keeps it inside the platform endpoint, and
`tokenHash` (SHA-256 of platform and token, unique) is how the same token is found again,
so a token that comes back is the same device and a token that moves to another account
moves the device with it.
"""
import hashlib

from chalicelib.core.clock import utcnow
from chalicelib.storage.mongo import database, ensure_indexes_once

MAX_DEVICES_LISTED = 100


def token_hash(platform, token):
    """The stored form of a push token: it finds the device again but cannot be used to push."""
    return hashlib.sha256(f"{platform}\n{token}".encode("utf-8")).hexdigest()


class DeviceStore:
    def __init__(self, db):
        self._devices = db["devices"]
        ensure_indexes_once("devices", self._create_indexes)

    @classmethod
    def from_env(cls):
        return cls(database())

    def _create_indexes(self):
        self._devices.create_index("tokenHash", unique=True, name="token_unique")
        self._devices.create_index([("userId", 1), ("createdAt", 1)], name="user")

    def create(self, *, device_id, user_id, platform, name, token_hash_, endpoint_arn):
        """Insert a device; DuplicateKeyError (pymongo) if its token is already registered."""
        document = {"_id": device_id, "userId": user_id, "platform": platform, "tokenHash": token_hash_,
                    "endpointArn": endpoint_arn, "createdAt": utcnow()}
        if name is not None:
            document["name"] = name
        self._devices.insert_one(document)
        return document

    def by_token_hash(self, hashed):
        return self._devices.find_one({"tokenHash": hashed})

    def move(self, device_id, from_user_id, to_user_id, name):
        """Hand a device (its token signed in to another account) to `to_user_id`; the moved
        document, or None if it changed meanwhile."""
        from pymongo import ReturnDocument

        update = {"$set": {"userId": to_user_id, "movedAt": utcnow()}}
        if name is not None:
            update["$set"]["name"] = name
        else:
            update["$unset"] = {"name": ""}
        return self._devices.find_one_and_update({"_id": device_id, "userId": from_user_id}, update,
                                                 return_document=ReturnDocument.AFTER)

    def of_user(self, user_id, limit=MAX_DEVICES_LISTED):
        return list(self._devices.find({"userId": user_id}).sort("createdAt", 1).limit(limit))

    def of_users(self, user_ids):
        """Every device of `user_ids`: [{_id, userId, platform, endpointArn}]."""
        user_ids = list(user_ids)
        if not user_ids:
            return []
        return list(self._devices.find({"userId": {"$in": user_ids}},
                                       {"userId": 1, "platform": 1, "endpointArn": 1}))

    def get_own(self, device_id, user_id):
        return self._devices.find_one({"_id": device_id, "userId": user_id})

    def remove(self, device_id, user_id=None):
        """Forget a device (only `user_id`'s, if given); True if one was removed."""
        query = {"_id": device_id}
        if user_id is not None:
            query["userId"] = user_id
        return self._devices.delete_one(query).deleted_count == 1

    def remove_endpoint(self, endpoint_arn):
        """Forget the device of an endpoint SNS disabled; its id, or None."""
        removed = self._devices.find_one_and_delete({"endpointArn": endpoint_arn}, {"_id": 1})
        return removed["_id"] if removed else None
