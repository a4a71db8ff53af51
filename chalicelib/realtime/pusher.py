"""Posting to WebSocket connections through API Gateway's @connections management API."""
import json


class Gone(Exception):
    """The connection is closed: API Gateway answered 410."""


class Throttled(Exception):
    """API Gateway asked us to slow down (429 / LimitExceeded); worth retrying later."""


class ConnectionPusher:
    """Sends JSON frames to connections; one management-API client per endpoint URL."""

    def __init__(self, client_for):
        self._client_for = client_for  # endpoint URL -> apigatewaymanagementapi client

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client

        return cls(lambda endpoint: client("apigatewaymanagementapi", endpoint_url=endpoint))

    def send(self, endpoint, connection_id, frame):
        """Post `frame` (a dict) to one connection; Gone or Throttled when it cannot."""
        from botocore.exceptions import ClientError

        data = json.dumps(frame, separators=(",", ":")).encode()
        try:
            self._client_for(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as failure:
            code = failure.response.get("Error", {}).get("Code", "")
            status = failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                raise Gone(connection_id) from None
            if code in {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"} or status == 429:
                raise Throttled(connection_id) from None
            raise

    def disconnect(self, endpoint, connection_id):
        """Close a connection from the server side (a Gone one is already closed)."""
        from botocore.exceptions import ClientError

        try:
            self._client_for(endpoint).delete_connection(ConnectionId=connection_id)
        except ClientError as failure:
            if failure.response.get("Error", {}).get("Code") != "GoneException":
                raise
