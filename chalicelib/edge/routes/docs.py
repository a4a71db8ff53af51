"""The API's own descriptions, no sign-in needed: GET /openapi.json (REST) and GET
/asyncapi.json (WebSocket). See docs/api.md."""
from chalice import Blueprint

from chalicelib.edge.web import endpoint, ok

routes = Blueprint(__name__)


@routes.route("/openapi.json", methods=["GET"])
@endpoint
def get_openapi_document():
    # Imported here, not above: only a Lambda asked for the document loads and builds it.
    from chalicelib.edge import openapi
    return ok(openapi.document(routes.current_app.routes))


@routes.route("/asyncapi.json", methods=["GET"])
@endpoint
def get_asyncapi_document():
    from chalicelib.edge import asyncapi
    return ok(asyncapi.document())
