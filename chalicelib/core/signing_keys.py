"""The keys that sign access tokens, and their rotation without signing anyone out.

Every token names its key in the JWT header (`kid`). Two keys are valid at once: the one
that signs (current) and the one before it (previous), so a rotation never invalidates a
token that is still live.

Deployed, the keys are the versions of the stage's SecureString parameter (JWT_SECRET_PARAMETER,
`/secure-messaging/<stage>/jwt-secret`): its latest version signs, the version before it still
verifies, and a key's id is its version (`v7`). Rotating is putting a new version
(`make rotate-jwt-key STAGE=...`, `rotate_parameter` below), which an operator can do without
being able to read any key (the stage key's policy lets deployers encrypt parameters, never
decrypt them). Each Lambda reads both versions on first use and again every KEY_CACHE_SECONDS,
and at once (at most every REFRESH_COOLDOWN_SECONDS) when a token names a newer version than
it knows, so a fresh Lambda's new tokens are accepted by warm ones from the first request.

Rotating twice drops the key before the previous one, so a rotation waits until no live token
can be signed with that key: the previous rotation must be older than the longest token
lifetime plus KEY_CACHE_SECONDS (the longest a warm Lambda keeps signing with an older key).

Locally (and in tests) JWT_SECRET in the environment is the only key, `kid` "env".
"""
import threading
import time
from dataclasses import dataclass

ENV_KID = "env"
KEY_CACHE_SECONDS = 300
REFRESH_COOLDOWN_SECONDS = 30
NEW_SECRET_BYTES = 48  # 64 URL-safe characters (infra/parameters.py creates the first one alike)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str

    def __repr__(self):  # never the secret, in a traceback or a log line
        return f"SigningKey(kid={self.kid!r})"


class StaticKeys:
    """One key for good: JWT_SECRET from the environment (the local stack, tests)."""

    def __init__(self, secret, kid=ENV_KID):
        self._key = SigningKey(kid, secret)

    def current(self):
        return self._key

    def find(self, kid):
        """The key `kid` names, or None."""
        return self._key if kid == self._key.kid else None

    def valid(self):
        return [self._key]


class ParameterKeys:
    """The latest two versions of an SSM SecureString parameter, re-read as they age.

    `check(secret, current)` may raise (the current key is unfit to serve with) or return
    False (an unfit previous key, left out)."""

    def __init__(self, ssm, name, *, check=None, clock=time.monotonic, max_age=KEY_CACHE_SECONDS,
                 cooldown=REFRESH_COOLDOWN_SECONDS, log=None):
        self._ssm = ssm
        self._name = name
        self._check = check or (lambda secret, current: True)
        self._clock = clock
        self._max_age = max_age
        self._cooldown = cooldown
        self._log = log
        self._lock = threading.Lock()
        self._keys = None
        self._loaded_at = None
        self._forced_at = None  # the last re-read a newer kid caused (at most one per cooldown)

    def current(self):
        """The key new tokens are signed with."""
        return self.valid()[0]

    def valid(self):
        """[current, previous] (previous only if there is one and it is fit)."""
        with self._lock:
            if self._keys is None or self._clock() - self._loaded_at >= self._max_age:
                self._load()
            return self._keys

    def find(self, kid):
        """The valid key `kid` names, re-reading the parameter once if it names a newer version; or None."""
        for key in self.valid():
            if key.kid == kid:
                return key
        version = _version_of(kid)
        with self._lock:
            newer = version is not None and version > _version_of(self._keys[0].kid)
            if newer and (self._forced_at is None or self._clock() - self._forced_at >= self._cooldown):
                self._forced_at = self._clock()
                self._load()
            keys = self._keys
        return next((key for key in keys if key.kid == kid), None)

    def _load(self):
        latest = self._ssm.get_parameter(Name=self._name, WithDecryption=True)["Parameter"]
        version = int(latest["Version"])
        if self._keys is not None and self._keys[0].kid == f"v{version}":  # unchanged: one call, not two
            self._loaded_at = self._clock()
            return
        self._check(latest["Value"], True)
        keys = [SigningKey(f"v{version}", latest["Value"])]
        previous = self._previous(version - 1) if version > 1 else None
        if previous is not None:
            keys.append(previous)
        self._keys, self._loaded_at = keys, self._clock()

    def _previous(self, version):
        from botocore.exceptions import ClientError

        try:
            found = self._ssm.get_parameter(Name=f"{self._name}:{version}", WithDecryption=True)["Parameter"]
        except ClientError as error:  # SSM keeps 100 versions; an older one may be gone
            if error.response.get("Error", {}).get("Code") in ("ParameterVersionNotFound", "ParameterNotFound"):
                return None
            raise
        if not self._check(found["Value"], False):
            if self._log is not None:
                self._log.error("the previous JWT signing key (v%d) is unfit and is not accepted", version)
            return None
        return SigningKey(f"v{version}", found["Value"])


def rotate_parameter(ssm, name, *, min_age_seconds, now=None, force=False, secret=None):
    """Put a new version of the signing-key parameter (same type and KMS key), never reading
    any value; its new kid. Refuses (RotationTooSoon) while the current version is younger
    than `min_age_seconds`, unless `force`."""
    import secrets as random

    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    if not found:
        raise LookupError(f"{name} does not exist; `make deploy` creates it.")
    (parameter,) = found
    if parameter["Type"] != "SecureString":
        raise ValueError(f"{name} must be a SecureString parameter.")
    age = (now or time.time()) - parameter["LastModifiedDate"].timestamp()
    if age < min_age_seconds and not force:
        raise RotationTooSoon(min_age_seconds - age)
    answer = ssm.put_parameter(Name=name, Value=secret or random.token_urlsafe(NEW_SECRET_BYTES), Type="SecureString",
                               KeyId=parameter["KeyId"], Overwrite=True,
                               Description="secure-messaging: the keys that sign access tokens (latest signs)")
    return f"v{answer['Version']}"


class RotationTooSoon(Exception):
    """The current key is too young to become the previous one (a token signed with the key
    a rotation drops could still be live)."""

    def __init__(self, wait_seconds):
        super().__init__(f"wait {wait_seconds:.0f} s")
        self.wait_seconds = wait_seconds


def _version_of(kid):
    if isinstance(kid, str) and kid.startswith("v") and kid[1:].isdigit():
        return int(kid[1:])
    return None
