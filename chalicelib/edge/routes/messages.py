"""Messages: /messages/send, /messages/{conversationId}, PUT and POST /messages (the 1:1 seed),
/conversations, /conversations/{conversationId}/read and .../reads (read receipts). See
docs/messaging.md."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import is_id
from chalicelib.core.validation import DEFAULT_PAGE
from chalicelib.edge.caller import caller_id
from chalicelib.edge.web import created, endpoint, json_body, ok, query_params
from chalicelib.groups.schemas import PAGE_QUERY
from chalicelib.messaging.schemas import (
    CONVERSATIONS_QUERY,
    DIRECT_HISTORY_SCHEMA,
    DIRECT_SEND_SCHEMA,
    HISTORY_QUERY,
    MARK_READ_SCHEMA,
    SEND_SCHEMA,
    conversation_id_of,
)

routes = Blueprint(__name__)


@routes.route("/messages/send", methods=["POST"])
@endpoint
def send_message():
    caller, body = _caller_and_body(SEND_SCHEMA)
    message = services.messaging().send(
        caller, conversation_id_of(body), body["text"], body.get("clientMessageId"),
        attachments=body.get("attachments", ()),
        reply_to=body.get("replyTo"), mentions=body.get("mentions"),
    )
    return created({"message": message})


# The seed's GET /messages/{groupId}: a 1:1 conversation's id works too, and API Gateway allows one
# variable name per path segment, shared with /messages/{conversationId}/{messageId} (lifecycle).
@routes.route("/messages/{conversationId}", methods=["GET"])
@endpoint
def list_messages(conversationId):
    caller, params = _caller_and_query(HISTORY_QUERY)
    if "changedSince" in params:  # catch-up on edits, deletions and reactions (docs/messaging.md)
        return ok(services.message_lifecycle().changes(caller, _known_id(conversationId), **_changes_params(params)))
    return ok(services.messaging().history(caller, _known_id(conversationId), **params))


@routes.route("/messages", methods=["PUT"])
@endpoint
def send_direct_message():
    caller, body = _caller_and_body(DIRECT_SEND_SCHEMA)
    message = body["message"]
    return created(services.messaging().send_direct(
        caller,
        body["participants"],
        message["sender"],
        message["text"],
        client_timestamp=message.get("timestamp"),
        client_message_id=message.get("clientMessageId"),
        attachments=message.get("attachments", ()),
        reply_to=message.get("replyTo"),
        mentions=message.get("mentions"),
    ))


@routes.route("/messages", methods=["POST"])
@endpoint
def read_direct_messages():
    caller, body = _caller_and_body(DIRECT_HISTORY_SCHEMA)
    return ok(services.messaging().direct_history(caller, **body))


@routes.route("/conversations", methods=["GET"])
@endpoint
def list_conversations():
    caller, params = _caller_and_query(CONVERSATIONS_QUERY)
    return ok(services.messaging().conversations_of(caller, **params))


@routes.route("/conversations/{conversationId}/read", methods=["POST"])
@endpoint
def mark_conversation_read(conversationId):
    caller, body = _caller_and_body(MARK_READ_SCHEMA)
    return ok(services.messaging().mark_read(caller, _known_id(conversationId), body["seq"]))


@routes.route("/conversations/{conversationId}/reads", methods=["GET"])
@endpoint
def list_read_positions(conversationId):
    caller, params = _caller_and_query(PAGE_QUERY)
    params.setdefault("limit", DEFAULT_PAGE)
    return ok(services.read_receipts().of_conversation(caller, _known_id(conversationId), **params))


def _changes_params(params):
    """changedSince, and the seq window (before, after) and page size that may come with it."""
    return {"changed_since": params["changedSince"],
            **{name: params[name] for name in ("limit", "before", "after") if name in params}}


def _caller_and_body(schema):
    """(the caller's id, the JSON body validated against `schema`): 401 comes before 400."""
    request = routes.current_request
    return caller_id(request), json_body(request, schema)


def _caller_and_query(schema):
    """(the caller's id, the query string validated against `schema`)."""
    request = routes.current_request
    return caller_id(request), query_params(request, schema)


def _known_id(conversation_id):
    """A path id that cannot name anything is unknown (404), like any id that names nothing."""
    if not is_id(conversation_id):
        raise NotFound("There is no such conversation.", "conversation_not_found")
    return conversation_id
