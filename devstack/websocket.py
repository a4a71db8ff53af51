"""The WebSocket half of the local API Gateway.

Clients connect to ws://host:port/?token=...; each upgrade becomes a `$connect` event
(refused upgrades answer with the handler's status), each text frame a `$default` event
(route selection on `action`: Chalice defines only $default, so every action lands there),
and each close a `$disconnect` event. The same port serves the @connections management API
where API Gateway serves it, under the stage (`/local/@connections/{id}`: POST to send, GET
to describe, DELETE to close; 410 Gone for a closed connection). The handlers reach it
through boto3 exactly as they reach API Gateway's, at the endpoint they derive from the
event (`{domainName}/{stage}`), since the local stack sets no WS_CALLBACK_URL.
"""
import base64
import json
import secrets
import string
import time
import uuid

from aiohttp import WSMsgType, web

MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
STAGE = "local"
ROUTE_HANDLERS = {"$connect": "ws_connect", "$default": "ws_message", "$disconnect": "ws_disconnect"}


class Connection:
    def __init__(self, connection_id, socket, source_ip, user_agent):
        self.id = connection_id
        self.socket = socket
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.connected_at = time.time()
        self.last_active_at = self.connected_at


class WebSocketGateway:
    def __init__(self, pool, routes=("$connect", "$default", "$disconnect")):
        self._pool = pool
        self._routes = set(routes)
        self._open = {}
        self._vanished = set()
        self.posts = 0  # @connections posts served, for benchmarks

    def application(self):
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES + 1)
        app.router.add_route("POST", f"/{STAGE}/@connections/{{connection_id}}", self._post)
        app.router.add_route("GET", f"/{STAGE}/@connections/{{connection_id}}", self._describe)
        app.router.add_route("DELETE", f"/{STAGE}/@connections/{{connection_id}}", self._delete)
        app.router.add_route("GET", "/", self._upgrade)
        # Local-only fault injection for tests: a client that vanishes without $disconnect.
        app.router.add_route("POST", "/__devstack/vanish/{connection_id}", self._vanish)
        app.on_shutdown.append(self._close_all)
        return app

    async def _upgrade(self, request):
        connection_id = _new_connection_id()
        event = self._event(request, connection_id, "$connect", "CONNECT")
        event["headers"] = dict(request.headers)
        event["multiValueHeaders"] = {name: [value] for name, value in request.headers.items()}
        event["queryStringParameters"] = dict(request.query) or None
        event["multiValueQueryStringParameters"] = {k: request.query.getall(k) for k in request.query} or None
        result = await self._invoke("$connect", event)
        status = (result or {}).get("statusCode", 200)
        if not 200 <= status < 300:
            return web.Response(status=status, body=(result or {}).get("body") or "",
                                headers={"Content-Type": "application/json"})
        socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES)
        await socket.prepare(request)
        connection = Connection(connection_id, socket, request.remote, request.headers.get("User-Agent"))
        self._open[connection_id] = connection
        try:
            async for message in socket:
                connection.last_active_at = time.time()
                if message.type == WSMsgType.TEXT:
                    await self._route_frame(request, connection, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._open.pop(connection_id, None)
            if connection_id in self._vanished:
                return socket
            await self._invoke("$disconnect", self._event(request, connection_id, "$disconnect", "DISCONNECT"))
        return socket

    async def _route_frame(self, request, connection, data):
        route = "$default"
        try:
            action = json.loads(data).get("action")
            if isinstance(action, str) and action in self._routes:
                route = action
        except (ValueError, AttributeError, RecursionError):  # a 20,000-deep frame goes to $default too
            pass
        event = self._event(request, connection.id, route, "MESSAGE")
        event["body"] = data
        event["requestContext"]["messageId"] = base64.b64encode(secrets.token_bytes(8)).decode()
        await self._invoke(route, event)

    async def _invoke(self, route, event):
        try:
            return await self._pool.invoke(ROUTE_HANDLERS[route], event)
        except Exception as exc:  # noqa: BLE001 - like API Gateway: a failed integration is logged, not fatal
            print(f"websocket {route} handler failed: {type(exc).__name__}: {exc}", flush=True)
            return {"statusCode": 500}

    def _event(self, request, connection_id, route_key, event_type):
        now = time.time()
        return {
            "requestContext": {
                "routeKey": route_key,
                "eventType": event_type,
                "extendedRequestId": str(uuid.uuid4()),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "messageDirection": "IN",
                "stage": STAGE,
                "connectedAt": int(now * 1000),
                "requestTimeEpoch": int(now * 1000),
                "identity": {"sourceIp": request.remote or "127.0.0.1", "userAgent": request.headers.get("User-Agent")},
                "requestId": str(uuid.uuid4()),
                "domainName": request.host,
                "connectionId": connection_id,
                "apiId": "local",
            },
            "isBase64Encoded": False,
        }

    async def _post(self, request):
        connection = self._open.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return _gone()
        data = await request.read()
        try:
            await connection.socket.send_str(data.decode("utf-8"))
        except (ConnectionResetError, RuntimeError):
            return _gone()
        self.posts += 1
        return web.Response(status=200)

    async def _describe(self, request):
        connection = self._open.get(request.match_info["connection_id"])
        if connection is None:
            return _gone()
        return web.json_response({
            "connectedAt": _iso(connection.connected_at),
            "lastActiveAt": _iso(connection.last_active_at),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        })

    async def _delete(self, request):
        connection = self._open.pop(request.match_info["connection_id"], None)
        if connection is None:
            return _gone()
        await connection.socket.close()
        return web.Response(status=204)

    async def _vanish(self, request):
        """Drop a connection as a dead network would: no close handshake, no $disconnect."""
        connection_id = request.match_info["connection_id"]
        connection = self._open.pop(connection_id, None)
        if connection is None:
            return _gone()
        self._vanished.add(connection_id)
        await connection.socket.close()
        return web.Response(status=204)

    async def _close_all(self, _app):
        for connection in list(self._open.values()):
            await connection.socket.close()


def _new_connection_id():
    """An id shaped like API Gateway's (e.g. "L0SM9cOFvHcCIhw="): letters, digits, one "="."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(15)) + "="


def _gone():
    return web.json_response({"message": "Gone"}, status=410, headers={"x-amzn-ErrorType": "GoneException"})


def _iso(moment):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"
