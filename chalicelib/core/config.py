"""The one place configuration is read: the stage's environment (.chalice/config.json).

Nothing here does network I/O at import. `settings()` reads the environment once per
process; a secret kept in SSM Parameter Store is fetched on first use, never at import.
"""
import functools
import os
import re
from dataclasses import dataclass

from chalicelib.core.errors import ServiceMisconfigured

# The secret the dev stage and the local stack use. Code running on Lambda refuses to serve
# with it, whatever the stage says (a plain `chalice deploy` deploys the dev stage).
DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-do-not-deploy-0000"
# How code knows it runs on Lambda: the runtime sets AWS_LAMBDA_FUNCTION_NAME, and
# AWS_EXECUTION_ENV to "AWS_Lambda_<runtime>" (importing Chalice anywhere, the local stack and
# tests included, sets AWS_EXECUTION_ENV to "AWS_Lambda aws-chalice/<version>" when it is
# unset, so only the runtime's own form counts).
LAMBDA_RUNTIME_PREFIX = "AWS_Lambda_"
DEPLOYED_STAGES = ("prod", "staging")
MIN_SECRET_BYTES = 32
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class Settings:
    stage: str
    mongo_uri: str
    mongo_db: str
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    token_ttl_seconds: int  # access tokens: ACCESS_TOKEN_MINUTES (or TOKEN_TTL_SECONDS)
    refresh_token_days: int  # a session lives this long after its last refresh (sliding)
    session_cache_seconds: float  # how long one Lambda trusts a session check (0: never)
    bcrypt_rounds: int
    kms_key_id: str
    fanout_queue_url: str
    ws_callback_url: str  # empty (local only): derive {domainName}/{stage} from the event
    log_level: str
    ses_sender: str  # the verified SES identity password-reset emails come from
    forgot_floor_seconds: float  # POST /password/forgot answers no sooner, known email or not
    # SNS platform applications for mobile push; empty: that platform cannot register devices.
    push_apns_application_arn: str = ""
    push_fcm_application_arn: str = ""
    on_lambda: bool = False
    mongo_max_pool_size: int = 2
    mongo_server_selection_timeout_ms: int = 5000
    mongo_socket_timeout_ms: int = 4000
    mongo_max_idle_time_ms: int = 60000
    attachments_bucket: str = ""  # the S3 bucket of attachments (infra/stack.yaml AttachmentsBucket)
    attachment_url_seconds: int = 300  # how long a presigned upload or download URL is valid

    @property
    def deployed(self):
        """A deployed stage's rules apply: a deployed stage's name, or running on Lambda at all."""
        return self.stage in DEPLOYED_STAGES or self.on_lambda


@functools.lru_cache(maxsize=1)
def settings():
    """The validated settings of this process; raises ServiceMisconfigured if unsafe."""
    env = os.environ
    stage = env.get("STAGE", "dev")
    loaded = Settings(
        stage=stage,
        mongo_uri=_secret(env, "MONGO_URI") or "mongodb://127.0.0.1:27017",
        mongo_db=env.get("MONGO_DB", "messaging"),
        jwt_secret=_secret(env, "JWT_SECRET"),
        jwt_issuer=env.get("JWT_ISSUER", "secure-messaging"),
        jwt_audience=env.get("JWT_AUDIENCE", "secure-messaging-clients"),
        token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS") or 60 * int(env.get("ACCESS_TOKEN_MINUTES", "15"))),
        refresh_token_days=int(env.get("REFRESH_TOKEN_DAYS", "30")),
        session_cache_seconds=float(env.get("SESSION_CACHE_SECONDS", "2")),
        bcrypt_rounds=int(env.get("BCRYPT_ROUNDS", "12")),
        kms_key_id=env.get("KMS_KEY_ID", "alias/secure-messaging"),
        fanout_queue_url=env.get("FANOUT_QUEUE_URL", ""),
        ws_callback_url=env.get("WS_CALLBACK_URL", ""),
        log_level=env.get("LOG_LEVEL", "INFO"),
        push_apns_application_arn=env.get("PUSH_APNS_APPLICATION_ARN", ""),
        push_fcm_application_arn=env.get("PUSH_FCM_APPLICATION_ARN", ""),
        ses_sender=env.get("SES_SENDER", "no-reply@secure-messaging.local"),
        forgot_floor_seconds=float(env.get("PASSWORD_FORGOT_FLOOR_SECONDS", "1.0")),
        on_lambda=on_lambda(env),
        # MongoDB (chalicelib/storage/mongo.py; the arithmetic is in docs/benchmarks.md).
        mongo_max_pool_size=int(env.get("MONGO_MAX_POOL_SIZE", "2")),
        mongo_server_selection_timeout_ms=int(env.get("MONGO_SERVER_SELECTION_TIMEOUT_MS", "5000")),
        mongo_socket_timeout_ms=int(env.get("MONGO_SOCKET_TIMEOUT_MS", "4000")),
        mongo_max_idle_time_ms=int(env.get("MONGO_MAX_IDLE_TIME_MS", "60000")),
        attachments_bucket=env.get("ATTACHMENTS_BUCKET", f"secure-messaging-attachments-{stage}"),
        attachment_url_seconds=int(env.get("ATTACHMENT_URL_SECONDS", "300")),
    )
    _refuse_unsafe(loaded)
    return loaded


def on_lambda(env=None):
    """True when this process is a Lambda function (whatever its stage says)."""
    env = os.environ if env is None else env
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) or env.get("AWS_EXECUTION_ENV", "").startswith(
        LAMBDA_RUNTIME_PREFIX)


def cors_allow_origin():
    """The one web origin (e.g. "https://chat.example.com") whose pages may call the REST
    API from a browser, from CORS_ALLOW_ORIGIN; None (no cross-origin access) if unset.

    Read apart from settings(): app.py needs it at import, because `chalice package` writes
    API Gateway's preflight routes from it, and settings() may fetch secrets from SSM.
    """
    origin = os.environ.get("CORS_ALLOW_ORIGIN", "").strip()
    if not origin:
        return None
    if not _ORIGIN.match(origin):
        raise ServiceMisconfigured(
            f"CORS_ALLOW_ORIGIN must be one origin such as https://chat.example.com "
            f"(scheme, host and port only; not '*'), not {origin!r}."
        )
    return origin


def _secret(env, name):
    """`name` from the environment, or from the SSM parameter named by `<name>_PARAMETER`."""
    if env.get(name):
        return env[name]
    parameter = env.get(f"{name}_PARAMETER")
    if parameter:
        from chalicelib.core.aws import (
            client,  # only deployed stages pay for this import
        )

        reply = client("ssm").get_parameter(Name=parameter, WithDecryption=True)
        return reply["Parameter"]["Value"]
    return ""


def _refuse_unsafe(loaded):
    if not loaded.jwt_secret:
        raise ServiceMisconfigured("JWT_SECRET (or JWT_SECRET_PARAMETER) is not set.")
    if loaded.deployed:
        where = f"Stage {loaded.stage!r}" + (" on Lambda" if loaded.on_lambda else "")
        if loaded.jwt_secret == DEV_JWT_SECRET or len(loaded.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise ServiceMisconfigured(
                f"{where} refuses the development JWT secret or one under {MIN_SECRET_BYTES} bytes."
            )
        if loaded.bcrypt_rounds < 12:
            raise ServiceMisconfigured(f"{where} needs BCRYPT_ROUNDS of 12 or more.")
        if not loaded.ws_callback_url.startswith("https://"):
            # Derived from the event it would name the API's own host: wrong behind a custom domain.
            raise ServiceMisconfigured(f"{where} needs WS_CALLBACK_URL, the https:// @connections endpoint.")
    if not 10 <= loaded.token_ttl_seconds <= 24 * 3600:
        raise ServiceMisconfigured("Access tokens must live between ten seconds and one day.")
    if not 1 <= loaded.refresh_token_days <= 365:
        raise ServiceMisconfigured("REFRESH_TOKEN_DAYS must be between 1 and 365.")
    if not 0 <= loaded.session_cache_seconds <= 60:
        raise ServiceMisconfigured("SESSION_CACHE_SECONDS must be between 0 and 60.")
    if not 60 <= loaded.attachment_url_seconds <= 3600:
        raise ServiceMisconfigured("ATTACHMENT_URL_SECONDS must be between 60 and 3600.")
    if not 4 <= loaded.bcrypt_rounds <= 16:
        raise ServiceMisconfigured("BCRYPT_ROUNDS must be between 4 and 16.")
