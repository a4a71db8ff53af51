"""Posting to WebSocket connections through API Gateway's @connections management API.

Each answer is read as API Gateway means it: 410 GoneException and 403 ForbiddenException
mean the connection is not there (closed, or never of this API): forget it; 413
PayloadTooLargeException is permanent (retrying sends the same bytes); 429
LimitExceededException asks us to slow down. The client makes one attempt per call
(botocore's own retries are off, see `from_env`): the fan-out consumer is the one retry
layer, and it knows its deadline.

A post is the fan-out's unit of work, so it skips boto3's generic call path (parameter
validation, endpoint rules, serialisation, response parsing, urllib3: about 0.7 ms of CPU a
post): `ConnectionsClient` (chalicelib/realtime/connections_api.py) sends the one request
@connections needs, SigV4-signed, on a kept-alive connection per pushing thread, with the
boto3 client's timeouts, and turns a refusal into the very ClientError boto3 raises.
"""
import json


class Gone(Exception):
    """The connection is not there: API Gateway answered 410 (closed) or 403 (not ours, or gone)."""

    def __init__(self, connection_id, status="410"):
        super().__init__(connection_id)
        self.status = status


class TooLarge(Exception):
    """API Gateway refuses the frame for good (413): sending it again cannot help."""


class Throttled(Exception):
    """API Gateway asked us to slow down (429 / LimitExceeded); worth retrying later."""


_GONE_CODES = {"GoneException", "ForbiddenException"}
_TOO_LARGE_CODES = {"PayloadTooLargeException"}
_THROTTLED_CODES = {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"}


class ConnectionPusher:
    """Sends JSON frames to connections; one management-API client per endpoint URL."""

    def __init__(self, client_for):
        self._client_for = client_for  # endpoint URL -> apigatewaymanagementapi client

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client

        # One attempt per call, answered within 2 s (a post takes milliseconds): retries
        # belong to the caller, which has a deadline.
        from chalicelib.realtime.connections_api import ConnectionsClient

        clients = {}

        def client_for(endpoint):
            found = clients.get(endpoint)
            if found is None:
                found = clients.setdefault(endpoint, ConnectionsClient.wrapping(client(
                    "apigatewaymanagementapi", endpoint_url=endpoint, attempts=1, read_timeout=2)))
            return found

        return cls(client_for)

    def send(self, endpoint, connection_id, frame):
        """Post `frame` (a dict) to one connection; Gone, TooLarge or Throttled when it cannot."""
        from botocore.exceptions import ClientError

        data = json.dumps(frame, separators=(",", ":")).encode()
        try:
            self._client_for(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as failure:
            raise classify(failure, connection_id) from None

    def disconnect(self, endpoint, connection_id):
        """Close a connection from the server side (a Gone one is already closed)."""
        from botocore.exceptions import ClientError

        try:
            self._client_for(endpoint).delete_connection(ConnectionId=connection_id)
        except ClientError as failure:
            if not isinstance(classify(failure, connection_id), Gone):
                raise


def classify(failure, connection_id):
    """The exception a @connections ClientError stands for (the ClientError itself if unknown)."""
    code = failure.response.get("Error", {}).get("Code", "")
    status = failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _GONE_CODES or status in (403, 410):
        return Gone(connection_id, "403" if code == "ForbiddenException" or status == 403 else "410")
    if code in _TOO_LARGE_CODES or status == 413:
        return TooLarge(connection_id)
    if code in _THROTTLED_CODES or status == 429:
        return Throttled(connection_id)
    return failure
