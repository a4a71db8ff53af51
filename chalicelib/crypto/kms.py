"""The key service (AWS KMS) in the domain's words: new data keys, unwrapping them, health.

The master key never leaves KMS. Data keys are AES-128 keys that KMS generates and returns
twice: in plaintext (kept only in memory) and wrapped under the master key (the only form
ever stored). Every call names an encryption context, which KMS binds to the wrapped key:
a wrapped key unwraps only with the very same context.
"""
import logging

from chalicelib.core.errors import Unavailable

DATA_KEY_SPEC = "AES_128"
log = logging.getLogger("messaging.kms")


class KeyService:
    def __init__(self, client, master_key_id):
        self._client = client
        self._master_key_id = master_key_id

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        return cls(client("kms"), settings().kms_key_id)

    def new_data_key(self, context):
        """(plaintext key, wrapped key, master key ARN) of a fresh AES-128 data key."""
        reply = self._call(
            "GenerateDataKey",
            self._client.generate_data_key,
            KeyId=self._master_key_id,
            KeySpec=DATA_KEY_SPEC,
            EncryptionContext=context,
        )
        return reply["Plaintext"], reply["CiphertextBlob"], reply["KeyId"]

    def unwrap(self, wrapped_key, context, master_key_id):
        """The plaintext of a wrapped data key; only the master key that wrapped it may answer."""
        reply = self._call(
            "Decrypt",
            self._client.decrypt,
            CiphertextBlob=bytes(wrapped_key),
            EncryptionContext=context,
            KeyId=master_key_id,
        )
        return reply["Plaintext"]

    def check(self):
        """Raise Unavailable unless the configured master key exists and is enabled."""
        reply = self._call("DescribeKey", self._client.describe_key, KeyId=self._master_key_id)
        state = reply["KeyMetadata"].get("KeyState")
        if state != "Enabled":
            raise Unavailable(f"The master key is {state}.", "key_service_unavailable")

    def _call(self, operation, method, **params):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**params)
        except ClientError as exc:
            # The error code only: messages can quote request parameters.
            log.warning("KMS %s refused: %s", operation, exc.response.get("Error", {}).get("Code"))
            raise Unavailable(_UNAVAILABLE, "key_service_unavailable") from None
        except BotoCoreError as exc:
            log.warning("KMS %s failed: %s", operation, type(exc).__name__)
            raise Unavailable(_UNAVAILABLE, "key_service_unavailable") from None


_UNAVAILABLE = "The key service is not answering; nothing was changed. Try again shortly."
