"""The attachments bucket on S3: presigned upload forms and downloads, and the objects'
lifecycle. It speaks in object keys; which key belongs to whom is the use case's business.

An upload form carries the tag state=pending, which the bucket's lifecycle rule expires
after a day (infra/stack.yaml); sending a message re-tags its objects state=attached, which
no rule touches. So a file uploaded and never sent goes away by itself and a sent one stays.
"""
import logging

from chalicelib.core.errors import Unavailable

log = logging.getLogger("messaging.media")

STATE_TAG = "state"
PENDING = "pending"
ATTACHED = "attached"
PENDING_TAGGING = f"<Tagging><TagSet><Tag><Key>{STATE_TAG}</Key><Value>{PENDING}</Value></Tag></TagSet></Tagging>"
_DELETE_BATCH = 1000  # S3's DeleteObjects limit


class AttachmentBucket:
    def __init__(self, s3, bucket, url_seconds):
        self._s3 = s3
        self._bucket = bucket
        self._url_seconds = url_seconds

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        config = settings()
        return cls(client("s3"), config.attachments_bucket, config.attachment_url_seconds)

    @property
    def url_seconds(self):
        return self._url_seconds

    def upload_form(self, key, content_type, size):
        """{url, fields, expiresIn}: a presigned POST that admits exactly `size` bytes of
        `content_type` at `key`, tagged pending (S3 refuses any other form)."""
        posted = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type, "tagging": PENDING_TAGGING},
            Conditions=[
                {"Content-Type": content_type},
                {"tagging": PENDING_TAGGING},
                ["content-length-range", size, size],
            ],
            ExpiresIn=self._url_seconds,
        )
        return {"url": posted["url"], "fields": posted["fields"], "expiresIn": self._url_seconds}

    def download_url(self, key):
        """A presigned GET of `key`, served as a download (never rendered as a page of S3's)."""
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key, "ResponseContentDisposition": "attachment"},
            ExpiresIn=self._url_seconds,
        )

    def described(self, key):
        """(size, content type) of the object at `key`, or None if nothing was uploaded there."""
        from botocore.exceptions import ClientError

        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            # 403 too: the roles may list only under conversations/, so S3 answers a HEAD of a
            # missing key with 403 rather than 404 (it will not tell who cannot list whether a key exists).
            if error.response.get("Error", {}).get("Code") in ("403", "404", "NoSuchKey", "NotFound", "AccessDenied"):
                return None
            raise
        return head["ContentLength"], head.get("ContentType")

    def mark_attached(self, key):
        """Keep the object: no lifecycle rule expires a state=attached object."""
        self._tag(key, ATTACHED)

    def mark_pending(self, key):
        """Let the object expire again (its message was not stored after all)."""
        self._tag(key, PENDING)

    def delete(self, keys):
        """Delete these objects (missing ones are no error); how many were asked for."""
        keys = list(keys)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start:start + _DELETE_BATCH]]
            answer = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
            failed = answer.get("Errors") or []
            if failed:
                log.error("%d attachment object(s) not deleted: %s", len(failed), failed[0].get("Code"))
                raise Unavailable("Some attachment objects could not be deleted; try again.", "storage_unavailable")
        return len(keys)

    def delete_prefix(self, prefix):
        """Delete every object whose key starts with `prefix`; how many there were."""
        paginator = self._s3.get_paginator("list_objects_v2")
        keys = [item["Key"] for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix)
                for item in page.get("Contents", [])]
        return self.delete(keys)

    def _tag(self, key, state):
        self._s3.put_object_tagging(Bucket=self._bucket, Key=key,
                                    Tagging={"TagSet": [{"Key": STATE_TAG, "Value": state}]})
