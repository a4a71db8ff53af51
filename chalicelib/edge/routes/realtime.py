"""Real-time helpers over REST: a single-use WebSocket ticket."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.edge.caller import caller
from chalicelib.edge.web import created, endpoint

routes = Blueprint(__name__)

TICKET_TTL_SECONDS = 30


@routes.route("/realtime/ticket", methods=["POST"])
@endpoint
def issue_ticket():
    """A ticket for `wss://...?ticket=`, so long-lived tokens stay out of URLs and logs."""
    access = caller(routes.current_request)
    ticket = services.tickets().issue(access.user_id, TICKET_TTL_SECONDS, session_id=access.session_id)
    return created({"ticket": ticket, "expiresIn": TICKET_TTL_SECONDS})
