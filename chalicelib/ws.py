"""The WebSocket edge: API Gateway's $connect, $default and $disconnect events in, the
Realtime use cases called, and the answers API Gateway expects out."""
import logging

from chalice import Response

from chalicelib import services
from chalicelib.config import settings
from chalicelib.errors import DomainError

log = logging.getLogger("messaging.ws")


def on_connect(event):
    """Accept (200) or refuse (401/503) the upgrade; the refusal reaches the client as HTTP."""
    query = event.to_dict().get("queryStringParameters") or {}
    try:
        services.realtime().connect(
            event.connection_id, callback_endpoint(event), token=query.get("token"), ticket=query.get("ticket")
        )
    except Exception as exc:  # noqa: BLE001 - every failure refuses the upgrade cleanly
        from chalicelib.web import error_response

        response = error_response(exc)
        if not isinstance(exc, DomainError):
            log.warning("connect refused: %s", type(exc).__name__)
        return response
    return Response(body="", status_code=200)


def on_message(event):
    services.realtime().receive(event.connection_id, callback_endpoint(event), event.body)


def on_disconnect(event):
    services.realtime().disconnect(event.connection_id)


def callback_endpoint(event):
    """The @connections endpoint that reaches this API's connections from any Lambda."""
    return settings().ws_callback_url or f"https://{event.domain_name}/{event.stage}"
