"""Settings: a deployed stage refuses to serve with an unsafe configuration."""
import pytest

from chalicelib.core import config
from chalicelib.core.errors import ServiceMisconfigured

STRONG = "a-production-secret-of-more-than-32-bytes-123456"


@pytest.fixture
def fresh_settings(monkeypatch):
    """Read settings from a controlled environment, then restore the test settings."""
    for name in ("JWT_SECRET", "JWT_SECRET_PARAMETER", "STAGE", "BCRYPT_ROUNDS"):
        monkeypatch.delenv(name, raising=False)
    config.settings.cache_clear()
    yield monkeypatch
    config.settings.cache_clear()


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"STAGE": "prod", "BCRYPT_ROUNDS": "12"}, "JWT_SECRET"),
        ({"STAGE": "prod", "BCRYPT_ROUNDS": "12", "JWT_SECRET": config.DEV_JWT_SECRET}, "development"),
        ({"STAGE": "prod", "BCRYPT_ROUNDS": "12", "JWT_SECRET": "short"}, "development"),
        ({"STAGE": "prod", "BCRYPT_ROUNDS": "10", "JWT_SECRET": STRONG}, "BCRYPT_ROUNDS"),
        ({"STAGE": "dev", "BCRYPT_ROUNDS": "3", "JWT_SECRET": STRONG}, "BCRYPT_ROUNDS"),
        ({"STAGE": "dev"}, "JWT_SECRET"),
    ],
)
def test_refuses_unsafe_settings(fresh_settings, env, problem):
    for name, value in env.items():
        fresh_settings.setenv(name, value)
    with pytest.raises(ServiceMisconfigured) as raised:
        config.settings()
    assert problem in raised.value.message


def test_prod_serves_with_a_strong_secret(fresh_settings):
    fresh_settings.setenv("STAGE", "prod")
    fresh_settings.setenv("BCRYPT_ROUNDS", "12")
    fresh_settings.setenv("JWT_SECRET", STRONG)
    assert config.settings().deployed


def test_dev_accepts_the_development_secret(fresh_settings):
    fresh_settings.setenv("STAGE", "dev")
    fresh_settings.setenv("JWT_SECRET", config.DEV_JWT_SECRET)
    assert not config.settings().deployed


def test_prod_with_dev_secret_answers_503_without_a_stack_trace(client, fresh_settings):
    from chalicelib import services
    from tests.helpers import call

    fresh_settings.setenv("STAGE", "prod")
    fresh_settings.setenv("BCRYPT_ROUNDS", "12")
    fresh_settings.setenv("JWT_SECRET", config.DEV_JWT_SECRET)
    services.forget_all()
    try:
        status, body, _ = call(client, "POST", "/login", {"email": "a@b.co", "password": "whatever1"})
        assert status == 503
        assert body["error"]["code"] == "service_misconfigured"
    finally:
        fresh_settings.undo()
        services.forget_all()
