"""Attachments: POST /attachments (a presigned upload) and GET /attachments/{attachmentId}
(a presigned download). See docs/attachments.md."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import is_id
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import created, endpoint, json_body, ok
from chalicelib.media.schemas import CREATE_SCHEMA

routes = Blueprint(__name__)


@routes.route("/attachments", methods=["POST"])
@endpoint
def create_attachment():
    request = routes.current_request
    caller = caller_id(request)
    body = json_body(request, CREATE_SCHEMA)
    return created(services.attachments().create(
        caller, body["conversationId"], body["name"], body["contentType"], body["size"]))


@routes.route("/attachments/{attachmentId}", methods=["GET"])
@endpoint
def download_attachment(attachmentId):
    caller = caller_id(routes.current_request)
    if not is_id(attachmentId):
        raise NotFound("There is no such attachment.", "attachment_not_found")
    return ok(services.attachments().download(caller, attachmentId))
