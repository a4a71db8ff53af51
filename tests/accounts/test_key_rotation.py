"""JWT signing-key rotation end to end against moto's SSM (in process, KMS-encrypted
SecureString as `make deploy` stores it): `python -m chalicelib.admin rotate-jwt-key` puts a
new version; tokens name their key (`kid`); old tokens keep working until they expire, new
ones use the new key, warm Lambdas accept the new key at once, a token naming an unknown key
is refused, the key before the previous one stops, and the development secret is still refused
on Lambda."""
import time

import jwt
import pytest

from chalicelib.accounts.tokens import Tokens
from chalicelib.core import aws as aws_clients
from chalicelib.core import config
from chalicelib.core.errors import NotAuthenticated, ServiceMisconfigured
from chalicelib.core.signing_keys import ParameterKeys, RotationTooSoon, rotate_parameter
from infra.parameters import ensure_parameters

NAME = "/secure-messaging/prod/jwt-secret"
MONGO = "/secure-messaging/prod/mongo-uri"
ISSUER, AUDIENCE = "secure-messaging", "secure-messaging-clients"
LAMBDA_ENV = {"STAGE": "prod", "AWS_LAMBDA_FUNCTION_NAME": "secure-messaging-prod", "BCRYPT_ROUNDS": "12",
              "WS_CALLBACK_URL": "https://example.execute-api.us-east-1.amazonaws.com/api",
              "JWT_SECRET_PARAMETER": NAME}


@pytest.fixture
def ssm(aws, monkeypatch):
    """The stage's parameters as `make deploy` leaves them: the first signing key, random."""
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    client = aws.client("ssm")
    client.put_parameter(Name=MONGO, Type="SecureString", KeyId=key_arn, Value="mongodb+srv://cluster.example")
    ensure_parameters(client, {"JwtSecretParameterName": NAME, "MongoUriParameterName": MONGO, "KmsKeyArn": key_arn,
                               "Stage": "prod"}, log=lambda *_: None)
    aws_clients.reset_for_tests()  # the app's own clients are made inside moto too
    monkeypatch.delenv("JWT_SECRET", raising=False)
    for name, value in LAMBDA_ENV.items():
        monkeypatch.setenv(name, value)
    config.settings.cache_clear()
    yield client
    config.settings.cache_clear()
    aws_clients.reset_for_tests()


def _lambda_tokens():
    """A freshly started Lambda's Tokens, configured as deployed (settings from the environment)."""
    config.settings.cache_clear()
    settings = config.settings()
    return Tokens(settings.jwt_keys, ISSUER, AUDIENCE, 900)


def _kid(token):
    return jwt.get_unverified_header(token)["kid"]


def _rotate(*extra):
    from chalicelib.admin import main

    return main(["rotate-jwt-key", "--parameter", NAME, *extra])


def test_rotation_signs_nobody_out_and_new_tokens_use_the_new_key(ssm, capsys):
    before = _lambda_tokens()
    old_token = before.issue("alice", "session-alice")
    assert _kid(old_token) == "v1"

    assert _rotate() == 2  # the first key is seconds old: rotating now could drop live tokens
    assert "Not rotated" in capsys.readouterr().err
    assert _rotate("--force") == 0
    assert "v2" in capsys.readouterr().out

    after = _lambda_tokens()  # a Lambda started after the rotation
    new_token = after.issue("bob", "session-bob")
    assert _kid(new_token) == "v2"
    assert after.verify(old_token).user_id == "alice"  # the previous key still verifies
    assert after.verify(new_token).user_id == "bob"
    # A Lambda warm from before has only v1 cached: a token naming a newer version makes it read again.
    assert before.verify(new_token).user_id == "bob"
    assert _kid(before.issue("carol", "session-carol")) == "v2"


def test_the_key_before_the_previous_one_stops_verifying(ssm):
    tokens = _lambda_tokens()
    first = tokens.issue("alice", "session-alice")
    _rotate("--force")
    second = _lambda_tokens().issue("alice", "session-alice")
    _rotate("--force")
    now = _lambda_tokens()
    assert _kid(now.issue("alice", "session-alice")) == "v3"
    assert now.verify(second).user_id == "alice"
    with pytest.raises(NotAuthenticated) as refused:
        now.verify(first)
    assert refused.value.code == "invalid_token"


def test_old_tokens_still_expire_when_their_time_comes(ssm):
    tokens = _lambda_tokens()
    expired = tokens.issue("alice", "session-alice", now=time.time() - 901)
    _rotate("--force")
    with pytest.raises(NotAuthenticated) as refused:
        _lambda_tokens().verify(expired)
    assert refused.value.code == "token_expired"


@pytest.mark.parametrize("kid", ["v9", "v0", "env", "bogus", ""])
def test_a_token_naming_an_unknown_key_is_refused(ssm, kid):
    tokens = _lambda_tokens()
    current = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"]
    claims = jwt.decode(tokens.issue("alice", "session-alice"), options={"verify_signature": False})
    forged = jwt.encode(claims, current, algorithm="HS256", headers={"kid": kid})  # even with a real key
    with pytest.raises(NotAuthenticated) as refused:
        tokens.verify(forged)
    assert refused.value.code == "invalid_token"


def test_a_token_with_a_known_kid_but_another_secret_is_refused(ssm):
    tokens = _lambda_tokens()
    claims = jwt.decode(tokens.issue("alice", "session-alice"), options={"verify_signature": False})
    forged = jwt.encode(claims, "an-attacker-secret-that-is-long-enough-0123456789", algorithm="HS256",
                        headers={"kid": "v1"})
    with pytest.raises(NotAuthenticated):
        tokens.verify(forged)


def test_a_token_from_before_key_ids_verifies_with_the_current_or_previous_key(ssm):
    tokens = _lambda_tokens()
    claims = jwt.decode(tokens.issue("alice", "session-alice"), options={"verify_signature": False})
    first = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"]
    legacy = jwt.encode(claims, first, algorithm="HS256")  # no kid
    _rotate("--force")
    assert _lambda_tokens().verify(legacy).user_id == "alice"
    _rotate("--force")
    with pytest.raises(NotAuthenticated):
        _lambda_tokens().verify(legacy)


def test_the_development_secret_is_still_refused_on_lambda(ssm):
    _rotate("--force")
    rotate_parameter(ssm, NAME, min_age_seconds=0, secret=config.DEV_JWT_SECRET)  # someone stored it by hand
    with pytest.raises(ServiceMisconfigured):
        _lambda_tokens()


def test_a_weak_previous_key_is_left_out_and_the_current_one_serves(ssm):
    rotate_parameter(ssm, NAME, min_age_seconds=0, secret=config.DEV_JWT_SECRET)
    claims = {"sub": "mallory", "sid": "s", "typ": "access", "iss": ISSUER, "aud": AUDIENCE,
              "iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "x"}
    forged = jwt.encode(claims, config.DEV_JWT_SECRET, algorithm="HS256", headers={"kid": "v2"})
    _rotate("--force")  # v3 is strong; v2, the previous, is the development secret
    tokens = _lambda_tokens()
    assert _kid(tokens.issue("alice", "session-alice")) == "v3"
    with pytest.raises(NotAuthenticated):
        tokens.verify(forged)


def test_a_warm_lambda_picks_up_a_rotation_when_its_keys_age(ssm):
    clock = [0.0]
    keys = ParameterKeys(ssm, NAME, clock=lambda: clock[0], max_age=300)
    assert keys.current().kid == "v1"
    rotate_parameter(ssm, NAME, min_age_seconds=0)
    clock[0] = 299.0
    assert keys.current().kid == "v1"  # cached
    clock[0] = 300.0
    assert [key.kid for key in keys.valid()] == ["v2", "v1"]


def test_unknown_newer_kids_reread_at_most_once_per_cooldown(ssm):
    calls = []
    ssm.meta.events.register("before-call.ssm.GetParameter", lambda **_: calls.append(1))
    clock = [0.0]
    keys = ParameterKeys(ssm, NAME, clock=lambda: clock[0], cooldown=30)
    keys.current()
    calls.clear()
    for _ in range(5):
        assert keys.find("v7") is None  # an attacker's kid: one re-read, then none until the cooldown ends
    clock[0] = 31.0
    keys.find("v8")
    assert len(calls) == 2


def test_rotation_waits_for_the_longest_token_and_the_key_cache(ssm):
    made = ssm.describe_parameters()["Parameters"]
    (parameter,) = [found for found in made if found["Name"] == NAME]
    became_current = parameter["LastModifiedDate"].timestamp()
    with pytest.raises(RotationTooSoon) as too_soon:
        rotate_parameter(ssm, NAME, min_age_seconds=900 + 300, now=became_current + 1000)
    assert too_soon.value.wait_seconds == pytest.approx(200, abs=1)
    assert rotate_parameter(ssm, NAME, min_age_seconds=1200, now=became_current + 1201) == "v2"
    stored = [found for found in ssm.describe_parameters()["Parameters"] if found["Name"] == NAME][0]
    assert stored["Type"] == "SecureString" and stored["KeyId"] == parameter["KeyId"]


def test_the_rotation_never_reads_a_key(ssm):
    """Deployers may encrypt the stage's parameters, never decrypt them (infra/stack.yaml)."""
    read = []
    aws_clients.reset_for_tests()
    client = aws_clients.client("ssm")
    client.meta.events.register("before-call.ssm.GetParameter", lambda **_: read.append(1))
    client.meta.events.register("before-call.ssm.GetParameters", lambda **_: read.append(1))
    client.meta.events.register("before-call.ssm.GetParameterHistory", lambda **_: read.append(1))
    assert _rotate("--force") == 0
    assert read == []


def test_make_names_the_stages_parameter():
    import subprocess

    dry = subprocess.run(["make", "-n", "rotate-jwt-key", "STAGE=prod"], capture_output=True, text=True,
                         cwd=__file__.rsplit("/tests/", 1)[0])
    assert f"chalicelib.admin rotate-jwt-key --parameter {NAME}" in dry.stdout


def test_a_reset_code_mailed_before_a_rotation_works_after_it(ssm, db):
    from chalicelib import services
    from tests.fakes import RecordingMailer, RecordingPublisher

    def lambda_services(mailer):
        config.settings.cache_clear()
        return services.build(db, mailer=mailer, publisher=RecordingPublisher())

    mailer = RecordingMailer()
    before = lambda_services(mailer)
    before.accounts.register(email="ann@example.com", password="a long password", name="Ann")
    before.recovery.forgot("ann@example.com", "1.2.3.4")
    code = mailer.code_for("ann@example.com")
    assert _rotate("--force") == 0

    after = lambda_services(RecordingMailer())  # a Lambda started after the rotation signs with v2
    assert after.settings.jwt_keys.current().kid == "v2"
    with pytest.raises(Exception) as wrong:
        after.recovery.reset("ann@example.com", "0" * len(code), "another long password", "1.2.3.4")
    assert getattr(wrong.value, "code", None) == "invalid_code"
    after.recovery.reset("ann@example.com", code, "another long password", "1.2.3.4")
    assert after.accounts.login(email="ann@example.com", password="another long password", source_address="x")


def test_a_code_mailed_under_a_new_key_works_on_a_lambda_still_holding_the_old_keys(ssm, db):
    """A warm Lambda reads the keys every few minutes; a code another Lambda hashed under the
    new key right after a rotation must work on it at once, as a token with the new kid does."""
    from chalicelib import services
    from tests.fakes import RecordingMailer, RecordingPublisher

    config.settings.cache_clear()
    stale = services.build(db, mailer=RecordingMailer(), publisher=RecordingPublisher())
    stale.accounts.register(email="bo@example.com", password="a long password", name="Bo")
    assert stale.settings.jwt_keys.current().kid == "v1"  # read, and cached
    assert _rotate("--force") == 0

    mailer = RecordingMailer()
    config.settings.cache_clear()
    fresh = services.build(db, mailer=mailer, publisher=RecordingPublisher())
    fresh.recovery.forgot("bo@example.com", "1.2.3.4")  # hashed under v2
    code = mailer.code_for("bo@example.com")
    with pytest.raises(Exception) as wrong:
        stale.recovery.reset("bo@example.com", "0" * len(code), "another long password", "1.2.3.4")
    assert getattr(wrong.value, "code", None) == "invalid_code"
    stale.recovery.reset("bo@example.com", code, "another long password", "1.2.3.4")
    assert stale.accounts.login(email="bo@example.com", password="another long password", source_address="x")
