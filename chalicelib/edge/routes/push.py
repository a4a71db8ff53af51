"""Mobile push: /devices (the caller's phones) and /conversations/{conversationId}/mute.
See docs/push.md."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import is_id
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import created, endpoint, json_body, no_content, ok
from chalicelib.realtime.schemas import MUTE_SCHEMA, REGISTER_DEVICE_SCHEMA

routes = Blueprint(__name__)


@routes.route("/devices", methods=["POST"])
@endpoint
def register_device():
    request = routes.current_request
    caller = caller_id(request)
    body = json_body(request, REGISTER_DEVICE_SCHEMA)
    device, new = services.devices().register(caller, body["platform"], body["token"], body.get("name"))
    return created({"device": device}) if new else ok({"device": device})


@routes.route("/devices", methods=["GET"])
@endpoint
def list_devices():
    return ok(services.devices().list(caller_id(routes.current_request)))


@routes.route("/devices/{deviceId}", methods=["DELETE"])
@endpoint
def remove_device(deviceId):
    caller = caller_id(routes.current_request)
    if not is_id(deviceId):
        raise NotFound("There is no such device.", "device_not_found")
    services.devices().remove(caller, deviceId)
    return no_content()


@routes.route("/conversations/{conversationId}/mute", methods=["PUT"])
@endpoint
def mute_conversation(conversationId):
    request = routes.current_request
    caller = caller_id(request)
    body = json_body(request, MUTE_SCHEMA) if (request.raw_body or b"").strip() else {}
    return ok(services.mutes().mute(caller, _known_conversation(conversationId), body.get("until")))


@routes.route("/conversations/{conversationId}/mute", methods=["DELETE"])
@endpoint
def unmute_conversation(conversationId):
    caller = caller_id(routes.current_request)
    services.mutes().unmute(caller, _known_conversation(conversationId))
    return no_content()


def _known_conversation(conversation_id):
    if not is_id(conversation_id):
        raise NotFound("There is no such conversation.", "conversation_not_found")
    return conversation_id
