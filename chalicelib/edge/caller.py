"""Who is calling: the bearer token of a REST request, verified, and its session still live."""
from chalicelib.core.errors import NotAuthenticated


def caller(request):
    """The AccessToken (user id, session id) of the request's valid bearer token of a live session."""
    from chalicelib import services

    return services.sessions().authenticate(bearer_token(request.headers.get("authorization")))


def caller_id(request):
    """The id of the user whose valid bearer token (of a live session) came with `request`."""
    return caller(request).user_id


def bearer_token(authorization_header):
    """The token in `Authorization: Bearer <token>`; NotAuthenticated if absent or malformed."""
    if not authorization_header:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.", "missing_token")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.", "missing_token")
    return token
