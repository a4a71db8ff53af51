"""Use cases for the devices that receive mobile pushes: register, list, remove.

A device is an SNS platform endpoint made from the app's push token. The token is handed to
SNS and never stored or shown: the device is found again by the token's hash, so the same
token is the same device (200), and a token that signs in to another account moves the
device there (its pushes follow the account now using the phone). Each account keeps at most
MAX_DEVICES_PER_USER devices; registering one more forgets the oldest.
"""
import json
import logging

from chalicelib.core.clock import iso
from chalicelib.core.errors import InvalidInput, NotFound, Unavailable
from chalicelib.core.ids import new_id
from chalicelib.core.limits import DEVICES_REGISTERED_PER_USER
from chalicelib.storage.devices import token_hash

log = logging.getLogger("messaging.devices")

MAX_DEVICES_PER_USER = 10
_ATTEMPTS = 3


class Devices:
    def __init__(self, devices, push, limiter):
        self._devices = devices
        self._push = push
        self._limiter = limiter

    def register(self, caller_id, platform, token, name=None):
        """(device view, True if new to the caller) for the caller's push token."""
        from pymongo.errors import DuplicateKeyError

        from chalicelib.realtime.sns import PushNotConfigured

        hashed = token_hash(platform, token)
        for _attempt in range(_ATTEMPTS):
            existing = self._devices.by_token_hash(hashed)
            if existing is not None and existing["userId"] == caller_id:
                if self._push.ensure_enabled(existing["endpointArn"], token):
                    return device_view(existing), False
                self._devices.remove(existing["_id"])  # SNS lost the endpoint: make it anew
                continue
            self._limiter.take(DEVICES_REGISTERED_PER_USER, caller_id)
            if existing is not None:
                moved = self._devices.move(existing["_id"], existing["userId"], caller_id, name)
                if moved is None:
                    continue  # it changed hands meanwhile: look again
                self._push.set_user_data(moved["endpointArn"], _user_data(caller_id, moved["_id"]))
                log.info("device %s moved to another account", moved["_id"])
                self._keep_newest(caller_id)
                return device_view(moved), True
            device_id = new_id()
            try:
                arn = self._push.create_endpoint(platform, token, _user_data(caller_id, device_id))
            except PushNotConfigured:
                raise InvalidInput(f"Push to {platform} is not set up on this server.", "platform_not_configured") \
                    from None
            try:
                created = self._devices.create(device_id=device_id, user_id=caller_id, platform=platform, name=name,
                                               token_hash_=hashed, endpoint_arn=arn)
            except DuplicateKeyError:
                continue  # the same token registered at the same moment: take that one
            self._keep_newest(caller_id)
            return device_view(created), True
        raise Unavailable("The device could not be registered; try again.", "device_busy")

    def list(self, caller_id):
        return {"devices": [device_view(device) for device in self._devices.of_user(caller_id)]}

    def remove(self, caller_id, device_id):
        """Forget one of the caller's devices and its SNS endpoint; NotFound for anyone else's."""
        device = self._devices.get_own(device_id, caller_id)
        if device is None:
            raise NotFound("There is no such device.", "device_not_found")
        self._push.delete_endpoint(device["endpointArn"])
        self._devices.remove(device_id, caller_id)

    def remove_all(self, user_id):
        """Forget every device of `user_id` and its SNS endpoint (a deleted account)."""
        for device in self._devices.of_user(user_id):
            self._push.delete_endpoint(device["endpointArn"])
            self._devices.remove(device["_id"], user_id)

    def _keep_newest(self, user_id):
        devices = self._devices.of_user(user_id)
        for device in devices[: max(0, len(devices) - MAX_DEVICES_PER_USER)]:
            self._push.delete_endpoint(device["endpointArn"])
            self._devices.remove(device["_id"], user_id)


def device_view(device):
    return {"id": device["_id"], "platform": device["platform"], "name": device.get("name"),
            "createdAt": iso(device["createdAt"])}


def _user_data(user_id, device_id):
    """What the endpoint carries about its device (SNS shows it to operators; never the token)."""
    return json.dumps({"userId": user_id, "deviceId": device_id}, separators=(",", ":"))
