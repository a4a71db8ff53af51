"""A message after it is sent: PATCH/DELETE /messages/{conversationId}/{messageId} and
PUT/DELETE …/reactions/{emoji}. See docs/messaging.md (Lifecycle)."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import is_id
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import endpoint, json_body, no_content, ok
from chalicelib.messaging.schemas import EDIT_SCHEMA

routes = Blueprint(__name__)


@routes.route("/messages/{conversationId}/{messageId}", methods=["PATCH"])
@endpoint
def edit_message(conversationId, messageId):
    request = routes.current_request
    caller = caller_id(request)
    body = json_body(request, EDIT_SCHEMA)
    message = services.message_lifecycle().edit(caller, *_known(conversationId, messageId), body["text"])
    return ok({"message": message})


@routes.route("/messages/{conversationId}/{messageId}", methods=["DELETE"])
@endpoint
def delete_message(conversationId, messageId):
    caller = caller_id(routes.current_request)
    services.message_lifecycle().delete(caller, *_known(conversationId, messageId))
    return no_content()


@routes.route("/messages/{conversationId}/{messageId}/reactions/{emoji}", methods=["PUT"])
@endpoint
def add_reaction(conversationId, messageId, emoji):
    caller = caller_id(routes.current_request)
    message = services.message_reactions().add(caller, *_known(conversationId, messageId), emoji)
    return ok({"message": message})


@routes.route("/messages/{conversationId}/{messageId}/reactions/{emoji}", methods=["DELETE"])
@endpoint
def remove_reaction(conversationId, messageId, emoji):
    caller = caller_id(routes.current_request)
    services.message_reactions().remove(caller, *_known(conversationId, messageId), emoji)
    return no_content()


def _known(conversation_id, message_id):
    """Path ids that cannot name anything are unknown (404), like ids that name nothing."""
    if not is_id(conversation_id):
        raise NotFound("There is no such conversation.", "conversation_not_found")
    if not is_id(message_id):
        raise NotFound("There is no such message in this conversation.", "message_not_found")
    return conversation_id, message_id
