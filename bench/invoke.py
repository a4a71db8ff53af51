"""Invoke the app's handlers in this process with API Gateway's and SQS's event shapes, as
Lambda does (the same shapes devstack/ builds), and a stand-in @connections endpoint.

Kept light on imports: cold-start children use it to measure a handler's memory.
"""
import json
import time
import uuid

API_ID = "bench"
WS_STAGE = "local"


class Context:
    """The parts of Lambda's context object that handlers may read."""

    def __init__(self, function_name):
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 128
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Handlers:
    """The app's handlers, called as Lambda calls them; REST answers come back parsed."""

    def __init__(self, app_module):
        self._app = app_module
        self._routes = None

    def rest(self, method, path, body=None, token=None, query=None):
        """(status, parsed JSON body) of one REST request."""
        if self._routes is None:
            from devstack.rest import (
                Routes,  # aiohttp comes with it: not in memory-measuring children
            )

            self._routes = Routes(list(self._app.app.routes))
        resource, path_parameters = self._routes.match(path)
        return self.rest_to(resource, path_parameters, method, path, body, token, query)

    def rest_to(self, resource, path_parameters, method, path, body=None, token=None, query=None):
        """`rest` with the route template and its parameters given."""
        headers = {"content-type": "application/json", "host": "bench.local"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        event = {
            "resource": resource, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": path_parameters or None, "stageVariables": None,
            "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{path}",
                               "stage": "api", "requestId": str(uuid.uuid4()), "apiId": API_ID,
                               "identity": {"sourceIp": "127.0.0.1"}, "domainName": "bench.local"},
            "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
        }
        result = self._app.app(event, Context("api_handler"))
        return result["statusCode"], json.loads(result["body"]) if result.get("body") else None

    def ws_connect(self, connection_id, token):
        event = _ws_event(connection_id, "$connect", "CONNECT")
        event["queryStringParameters"] = {"token": token}
        return self._app.ws_connect(event, Context("websocket_connect"))

    def ws_message(self, connection_id, frame):
        event = _ws_event(connection_id, "$default", "MESSAGE")
        event["body"] = json.dumps(frame)
        return self._app.ws_message(event, Context("websocket_message"))

    def ws_disconnect(self, connection_id):
        event = _ws_event(connection_id, "$disconnect", "DISCONNECT")
        return self._app.ws_disconnect(event, Context("websocket_disconnect"))

    def fanout(self, bodies):
        """Run the SQS consumer on one batch of jobs (dicts, or their JSON); its batchItemFailures answer."""
        bodies = [body if isinstance(body, str) else json.dumps(body) for body in bodies]
        records = [{"messageId": str(index), "receiptHandle": f"r{index}", "body": body, "attributes": {},
                    "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:bench", "awsRegion": "us-east-1"}
                   for index, body in enumerate(bodies)]
        return self._app.fanout({"Records": records}, Context("fanout"))


def _ws_event(connection_id, route_key, event_type):
    now = int(time.time() * 1000)
    return {
        "requestContext": {"routeKey": route_key, "eventType": event_type, "messageDirection": "IN",
                           "stage": WS_STAGE, "connectedAt": now, "requestTimeEpoch": now,
                           "identity": {"sourceIp": "127.0.0.1"}, "requestId": str(uuid.uuid4()),
                           "domainName": "bench.local", "connectionId": connection_id, "apiId": API_ID},
        "isBase64Encoded": False,
    }


class ConnectionsEndpoint:
    """A stand-in for API Gateway's @connections API that accepts every POST (and counts it),
    optionally after a simulated network delay.

    Used where a benchmark invokes handlers in this process; the fan-out and load benchmarks
    use the local gateway's real @connections API instead.
    """

    def __init__(self, delay_seconds=0.0):
        import http.server
        import threading

        self.posts = 0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if delay_seconds:
                    time.sleep(delay_seconds)  # a network round trip, simulated
                endpoint.posts += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_DELETE(self):  # noqa: N802
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # every push thread connects at once
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


class RemoteConnectionsEndpoint:
    """A ConnectionsEndpoint in a process of its own: its CPU is not the measured process's
    (deployed, @connections is API Gateway's, not the Lambda's). `posts` is not counted."""

    def __init__(self, delay_seconds=0.0):
        import os
        import subprocess
        import sys

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        code = f"import bench.invoke as i; i._serve_connections({float(delay_seconds)!r})"
        self._process = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError("the @connections stand-in did not start")

    def close(self):
        self._process.stdin.close()  # the child ends when its stdin does
        try:
            self._process.wait(5)
        except Exception:  # noqa: BLE001 - a benchmark's helper: make sure it is gone
            self._process.kill()


def _serve_connections(delay_seconds):
    """Serve @connections POSTs (200) and DELETEs (204) on asyncio, with as little parsing as
    HTTP/1.1 keep-alive needs: the stand-in's own CPU should not be what is measured."""
    import asyncio
    import os
    import sys

    async def answer(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"POST"):
                    if delay_seconds:
                        await asyncio.sleep(delay_seconds)  # a network round trip, simulated
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main():
        server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=128)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent is done
        os._exit(0)  # nothing to clean up; open keep-alive connections just end

    asyncio.run(main())
