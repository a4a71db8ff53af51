"""Settings: a deployed stage refuses to serve with an unsafe configuration."""
import pytest

from chalicelib.core import config
from chalicelib.core.errors import ServiceMisconfigured

STRONG = "a-production-secret-of-more-than-32-bytes-123456"


@pytest.fixture
def fresh_settings(monkeypatch):
    """Read settings from a controlled environment, then restore the test settings."""
    for name in ("JWT_SECRET", "JWT_SECRET_PARAMETER", "STAGE", "BCRYPT_ROUNDS", "WS_CALLBACK_URL",
                 "AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV"):
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
    fresh_settings.setenv("WS_CALLBACK_URL", CALLBACK)
    assert config.settings().deployed


CALLBACK = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"


@pytest.mark.parametrize("marker", ["AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV"])
@pytest.mark.parametrize("stage", ["dev", "test", "anything"])
def test_on_lambda_the_development_secret_is_refused_whatever_the_stage(fresh_settings, marker, stage):
    """A plain `chalice deploy` deploys the dev stage, development secret included (issue 13)."""
    fresh_settings.setenv(marker, "secure-messaging-dev" if marker.endswith("NAME") else "AWS_Lambda_python3.11 aws-chalice/1.34.0")
    fresh_settings.setenv("STAGE", stage)
    fresh_settings.setenv("BCRYPT_ROUNDS", "12")
    fresh_settings.setenv("WS_CALLBACK_URL", CALLBACK)
    fresh_settings.setenv("JWT_SECRET", config.DEV_JWT_SECRET)
    with pytest.raises(ServiceMisconfigured, match="development JWT secret"):
        config.settings()
    config.settings.cache_clear()
    fresh_settings.setenv("JWT_SECRET", STRONG)
    assert config.settings().deployed and config.settings().on_lambda


@pytest.mark.parametrize("callback", ["", "http://127.0.0.1:8001/local"])
def test_a_deployed_function_needs_the_callback_url(fresh_settings, callback):
    """Derived from the event, the @connections URL names the API's host: wrong behind a custom domain."""
    fresh_settings.setenv("AWS_LAMBDA_FUNCTION_NAME", "secure-messaging-prod-websocket_message")
    fresh_settings.setenv("STAGE", "prod")
    fresh_settings.setenv("BCRYPT_ROUNDS", "12")
    fresh_settings.setenv("JWT_SECRET", STRONG)
    fresh_settings.setenv("WS_CALLBACK_URL", callback)
    with pytest.raises(ServiceMisconfigured, match="WS_CALLBACK_URL"):
        config.settings()


def test_mongodb_timeouts_end_before_the_functions_do(fresh_settings):
    """A slow query is a 503 from the app, not a Lambda timeout (issue 13, item 5)."""
    from chalicelib.storage.mongo import client_options
    from tests.deploy.support import chalice_config

    fresh_settings.setenv("STAGE", "dev")
    fresh_settings.setenv("JWT_SECRET", STRONG)
    for name in ("MONGO_SOCKET_TIMEOUT_MS", "MONGO_SERVER_SELECTION_TIMEOUT_MS", "MONGO_MAX_POOL_SIZE"):
        fresh_settings.delenv(name, raising=False)
    options = client_options(config.settings())
    shortest = min(function.get("lambda_timeout", 60)
                   for stage in ("prod", "staging")
                   for function in chalice_config()["stages"][stage]["lambda_functions"].values())
    assert options["serverSelectionTimeoutMS"] >= 5000  # SRV lookup + TLS + auth on a cold start
    assert options["serverSelectionTimeoutMS"] + options["socketTimeoutMS"] < shortest * 1000
    assert options["maxIdleTimeMS"] and options["maxPoolSize"] <= 4


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


def test_importing_chalice_locally_is_not_running_on_lambda():
    """Chalice sets AWS_EXECUTION_ENV="AWS_Lambda aws-chalice/..." wherever it is imported."""
    assert not config.on_lambda({"AWS_EXECUTION_ENV": "AWS_Lambda aws-chalice/1.34.0"})
    assert config.on_lambda({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11 aws-chalice/1.34.0"})
    assert config.on_lambda({"AWS_LAMBDA_FUNCTION_NAME": "secure-messaging-dev"})
