"""Real-time helpers over REST: a single-use WebSocket ticket."""
from chalice import Blueprint

from chalicelib import services
from chalicelib.edge.caller import bearer_token, caller
from chalicelib.edge.web import created, endpoint

routes = Blueprint(__name__)

TICKET_TTL_SECONDS = 30


@routes.route("/realtime/ticket", methods=["POST"])
@endpoint
def issue_ticket():
    """A ticket for `wss://...?ticket=`, so long-lived tokens stay out of URLs and logs."""
    request = routes.current_request
    access = caller(request)
    # The connection the ticket opens ends when the token that bought it does.
    token_expires_at = services.tokens().expires_at(bearer_token(request.headers.get("authorization")))
    ticket = services.tickets().issue(access.user_id, TICKET_TTL_SECONDS, session_id=access.session_id,
                                      token_expires_at=token_expires_at)
    return created({"ticket": ticket, "expiresIn": TICKET_TTL_SECONDS})
