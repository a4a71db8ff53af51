"""The WebSocket edge: API Gateway's $connect, $default and $disconnect events in, the
socket use cases (realtime/sockets.py) called, and the answers API Gateway expects out."""
import logging

from chalice import Response

from chalicelib import services
from chalicelib.core.config import settings
from chalicelib.core.errors import DomainError

log = logging.getLogger("messaging.ws")


def on_connect(event):
    """Accept (200) or refuse (401/503) the upgrade; the refusal reaches the client as HTTP."""
    query = event.to_dict().get("queryStringParameters") or {}
    try:
        services.sockets().connect(
            event.connection_id, callback_endpoint(event), token=query.get("token"), ticket=query.get("ticket")
        )
    except Exception as exc:  # noqa: BLE001 - every failure refuses the upgrade cleanly
        from chalicelib.edge.web import error_response

        response = error_response(exc)
        if not isinstance(exc, DomainError):
            log.warning("connect refused: %s", type(exc).__name__)
        _access("$connect", status=response.status_code)
        return response
    _access("$connect", status=200)
    return Response(body="", status_code=200)


def on_message(event):
    reply = services.sockets().receive(event.connection_id, callback_endpoint(event), event.body)
    outcome = None if reply is None else reply["error"]["code"] if reply["type"] == "error" else reply["type"]
    _access("$default", outcome=outcome)


def on_disconnect(event):
    services.sockets().disconnect(event.connection_id)
    _access("$disconnect")


def _access(route, **fields):
    """One line per WebSocket event: the route and what came of it (a reply type or error
    code), never the query string (it may hold a token) or the frame."""
    log.info("websocket %s %s", route, " ".join(str(value) for value in fields.values()),
             extra={"fields": {"route": route, **fields}})


def callback_endpoint(event):
    """The @connections endpoint that reaches this API's connections from any Lambda.

    Deployed, WS_CALLBACK_URL (settings refuse to serve without it: behind a custom domain
    the event's domain is not the API's). Otherwise derived from the event as API Gateway
    serves it, `{domainName}/{stage}`, over plain HTTP only for a loopback host (the local
    gateway)."""
    configured = settings().ws_callback_url
    if configured:
        return configured
    host = event.domain_name or ""
    scheme = "http" if _is_loopback(host) else "https"
    return f"{scheme}://{host}/{event.stage}"


def _is_loopback(host):
    hostname = host.rsplit("]", 1)[0] + "]" if host.startswith("[") else host.split(":")[0]
    return hostname in ("127.0.0.1", "localhost", "[::1]")
