"""CORS on the REST API: none unless the stage names one web origin (CORS_ALLOW_ORIGIN),
so a browser page elsewhere (the web client pointed at a deployed stage) may call it."""
import pytest
import requests
from chalice import Chalice, CORSConfig

from chalicelib.core import config
from chalicelib.core.errors import ServiceMisconfigured
from chalicelib.edge import web
from devstack.rest import preflight_headers


@pytest.mark.parametrize("value, origin", [
    (None, None),
    ("", None),
    ("   ", None),
    ("https://chat.example.com", "https://chat.example.com"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("  https://chat.example.com  ", "https://chat.example.com"),
])
def test_the_allowed_origin_comes_from_the_environment(monkeypatch, value, origin):
    if value is None:
        monkeypatch.delenv("CORS_ALLOW_ORIGIN", raising=False)
    else:
        monkeypatch.setenv("CORS_ALLOW_ORIGIN", value)
    assert config.cors_allow_origin() == origin


@pytest.mark.parametrize("value", [
    "*",  # any site: name the one that serves the client instead
    "https://chat.example.com/",
    "https://chat.example.com/app",
    "chat.example.com",
    "https://a.example.com,https://b.example.com",
    "javascript:alert(1)",
])
def test_anything_but_one_origin_is_refused(monkeypatch, value):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", value)
    with pytest.raises(ServiceMisconfigured) as raised:
        config.cors_allow_origin()
    assert "CORS_ALLOW_ORIGIN" in raised.value.message


def test_the_cors_config_allows_that_origin_and_exposes_retry_after(monkeypatch):
    monkeypatch.delenv("CORS_ALLOW_ORIGIN", raising=False)
    assert web.cors_config() is False
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://chat.example.com")
    headers = web.cors_config().get_access_control_headers()
    assert headers["Access-Control-Allow-Origin"] == "https://chat.example.com"
    assert headers["Access-Control-Expose-Headers"] == "Retry-After"  # so a page can read a 429's wait
    assert "Authorization" in headers["Access-Control-Allow-Headers"].split(",")


def test_by_default_no_answer_allows_another_origin(client):
    answer = client.http.post("/login", body=b'{"email": "a@example.com", "password": "x"}',
                              headers={"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert answer.status_code == 401
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)


def test_the_local_gateway_answers_preflights_as_api_gateway_would():
    app = Chalice("cors-check")
    app.api.cors = CORSConfig(allow_origin="https://chat.example.com", expose_headers=["Retry-After"])

    @app.route("/things", methods=["GET", "POST"])
    def things():
        return {}

    @app.route("/private", methods=["GET"], cors=False)
    def private():
        return {}

    headers = preflight_headers(app.routes["/things"])
    assert headers["Access-Control-Allow-Origin"] == "https://chat.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert preflight_headers(app.routes["/private"]) is None


@pytest.mark.stack
def test_the_stack_allows_its_configured_origin(stack):
    origin = stack["web_origin"]
    preflight = requests.options(f"{stack['http']}/groups/create", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"}, timeout=10)
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST,OPTIONS"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower().split(",")
    assert {"authorization", "content-type"} <= set(allowed)

    refused = requests.get(f"{stack['http']}/me", headers={"Origin": origin}, timeout=10)
    assert refused.status_code == 401  # errors carry the header too, so the page can read them
    assert refused.headers["Access-Control-Allow-Origin"] == origin
