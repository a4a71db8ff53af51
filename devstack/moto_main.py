"""moto's server for the local stack, with a KMS master key that survives restarts.

moto keeps everything in memory. But the local database outlives `make run` (it is kept
under .local/), and every conversation key in it is wrapped by the master key. A fresh
master key on each start would leave all earlier conversations unreadable. So this
launcher gives the local master key (the one provisioning creates, recognised by its
description) the same id and key material on every start. They are kept in a state file
next to the database, under .local/, which is never committed.

moto has no switch for this, so the launcher wraps moto's KmsBackend.create_key. It also
numbers mobile pushes for the local outbox (number_mobile_pushes). It is
devstack-only, runs inside moto's own process, and tests/stack/test_devstack_kms.py checks it
against the pinned moto version.

It also makes moto's S3 refuse a browser upload whose POST policy S3 would refuse
(devstack/post_policy.py): moto stores any form, so without this a local upload over the
declared size would pass.

Usage: python -m devstack.moto_main [--kms-state PATH] [moto.server options...]
"""
import argparse
import base64
import inspect
import json
import os

from devstack.provision import LOCAL_MASTER_KEY_DESCRIPTION


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_main", add_help=False)
    parser.add_argument("--kms-state")
    known, moto_args = parser.parse_known_args(argv)
    if known.kms_state:
        keep_local_master_key(known.kms_state)
    enforce_post_policies()
    number_mobile_pushes()
    from moto.server import main as moto_server

    moto_server(moto_args)


def keep_local_master_key(state_path):
    """Make moto's local master key keep its id and material in `state_path` across restarts."""
    from moto.kms.models import KmsBackend

    create_key = KmsBackend.create_key
    signature = inspect.signature(create_key)

    def create_key_kept(self, *args, **kwargs):
        key = create_key(self, *args, **kwargs)
        if signature.bind(self, *args, **kwargs).arguments.get("description") != LOCAL_MASTER_KEY_DESCRIPTION:
            return key
        saved = _load(state_path)
        if saved is None:
            _save(state_path, {"keyId": key.id, "keyMaterial": base64.b64encode(key.key_material).decode()})
            return key
        del self.keys[key.id]
        key.arn = key.arn[: -len(key.id)] + saved["keyId"]
        key.id = saved["keyId"]
        key.key_material = base64.b64decode(saved["keyMaterial"])
        self.keys[key.id] = key
        return key

    KmsBackend.create_key = create_key_kept


def enforce_post_policies():
    """Make moto's S3 check each form upload's policy as S3 does before storing it."""
    from moto.s3.responses import S3Response

    from devstack.post_policy import refusal

    store = S3Response._bucket_response_post

    def checked_post(self, request, bucket_name):
        if "key" in self.querystring and "delete" not in self.querystring:
            # moto's querystring holds the form's fields, and the bucket its router found in the URL.
            fields = {name: values[0] for name, values in self.querystring.items() if name.lower() != "bucketname"}
            fields["bucket"] = bucket_name
            refused = refusal(fields, len(self.body or b""))
            if refused is not None:
                status, code, message = refused
                body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
                return status, {"Content-Type": "application/xml"}, body
        return store(self, request, bucket_name)

    S3Response._bucket_response_post = checked_post


def number_mobile_pushes():
    """Number every message published to an SNS platform endpoint, across endpoints, so the
    local outbox (devstack/outbox.py) can list pushes in the order they were sent. Each
    endpoint's `published` list ([{n, messageId, customUserData}]) shows in /moto-api/data.json."""
    import itertools
    import threading

    from moto.sns.models import PlatformEndpoint

    counter = itertools.count(1)
    lock = threading.Lock()
    publish = PlatformEndpoint.publish

    def publish_numbered(self, message):
        with lock:
            message_id = publish(self, message)
            user_data = self.attributes.get("CustomUserData") or self.custom_user_data
            entry = {"n": next(counter), "messageId": message_id, "customUserData": user_data}
            self.published = [*getattr(self, "published", []), entry]
        return message_id

    PlatformEndpoint.publish = publish_numbered


def _load(path):
    try:
        with open(path, encoding="utf-8") as state:
            return json.load(state)
    except FileNotFoundError:
        return None


def _save(path, state):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(state, out)


if __name__ == "__main__":
    main()
