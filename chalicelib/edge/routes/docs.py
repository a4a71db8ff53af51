"""The API's own description: GET /openapi.json (no sign-in needed). See docs/api.md."""
from chalice import Blueprint

from chalicelib.edge.web import endpoint, ok

routes = Blueprint(__name__)


@routes.route("/openapi.json", methods=["GET"])
@endpoint
def openapi_document():
    # Imported here, not above: only a Lambda asked for the document loads and builds it.
    from chalicelib.edge import openapi
    return ok(openapi.document())
