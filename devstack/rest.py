"""The REST half of the local API Gateway: HTTP requests become API Gateway (REST API,
proxy integration) events for the Chalice app, and its answers become HTTP responses."""
import base64
import json
import os
import time
import uuid

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestPayloadError

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit; the app enforces a smaller one
STAGE = "api"
NOT_FOUND_BODY = {"error": {"code": "not_found", "message": "There is no such route."}}


class Routes:
    """Match concrete paths against the app's route templates, as API Gateway does."""

    def __init__(self, templates):
        # Literal segments win over {captures}, as in API Gateway.
        self._templates = sorted(
            (template.split("/") for template in templates),
            key=lambda parts: [part.startswith("{") for part in parts],
        )

    def match(self, path):
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        parts = path.split("/")
        for template in self._templates:
            if len(template) != len(parts):
                continue
            captured = {}
            for concrete, pattern in zip(parts, template):
                if pattern.startswith("{") and pattern.endswith("}"):
                    if not concrete:
                        break
                    captured[pattern[1:-1]] = concrete
                elif concrete != pattern:
                    break
            else:
                return "/".join(template), captured
        return None, None


def rest_event(request, resource, path_parameters, body):
    """The proxy event API Gateway sends for `request`."""
    headers = {name: value for name, value in request.headers.items()}
    multi_headers = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    query = {name: value for name, value in request.query.items()}
    multi_query = {}
    for name, value in request.query.items():
        multi_query.setdefault(name, []).append(value)
    try:
        text_body, is_base64 = (body.decode("utf-8"), False) if body else (None, False)
    except UnicodeDecodeError:
        text_body, is_base64 = base64.b64encode(body).decode(), True
    now = time.time()
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{request.path}",
            "accountId": "000000000000",
            "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
            "stage": STAGE,
            "domainPrefix": "local",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": request.remote or "127.0.0.1", "userAgent": request.headers.get("User-Agent")},
            "domainName": request.host,
            "apiId": "local",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def http_response(result):
    """The HTTP response for a Lambda proxy integration result."""
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return web.Response(status=result["statusCode"], body=payload, headers=headers)


def json_response(status, body, headers=None):
    return web.Response(
        status=status,
        text=json.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def preflight_headers(methods):
    """API Gateway's answer to a CORS preflight (OPTIONS) on a route, given its methods
    (method -> Chalice route entry): the mock integration `chalice package` writes for
    routes with CORS, which never invokes a Lambda. None when the route has no CORS."""
    with_cors = [method for method, entry in methods.items() if entry.cors is not None]
    if not with_cors:
        return None
    headers = methods[with_cors[0]].cors.get_access_control_headers()
    headers["Access-Control-Allow-Methods"] = ",".join([*with_cors, "OPTIONS"])
    return headers


def rest_app(pool, route_templates, handler_name="app", static_dirs=None, preflight=None):
    """An aiohttp application that fronts the Chalice REST handler `handler_name`.

    `static_dirs` maps a URL prefix to a folder served as plain files (the web client), its
    index.html at the prefix itself; `preflight(resource)` gives a route's CORS preflight
    headers or None, as API Gateway answers OPTIONS for routes with CORS.
    """
    routes = Routes(route_templates)

    async def handle(request):
        try:
            body = await request.read()
        except (HttpProcessingError, RequestPayloadError):
            # A body that does not decode as its Content-Encoding (a bad gzip stream, ...).
            return json_response(400, {"error": {"code": "invalid_encoding",
                                                 "message": "The request body does not decode as its Content-Encoding says."}})
        if len(body) > MAX_PAYLOAD_BYTES:
            return json_response(413, {"error": {"code": "too_large", "message": "Request too large."}})
        resource, path_parameters = routes.match(request.path)
        if resource is None:
            # Deployed, a gateway response turns API Gateway's "Missing Authentication
            # Token" for unknown routes into this same 404 (see infra/).
            return json_response(404, NOT_FOUND_BODY)
        if request.method == "OPTIONS" and preflight is not None:
            headers = preflight(resource)
            if headers is not None:
                return web.Response(status=200, headers=headers)
        event = rest_event(request, resource, path_parameters, body)
        result = await pool.invoke(handler_name, event)
        response = http_response(result)
        # As API Gateway does: the id a client can quote, and every log line of the request carries.
        response.headers["x-amzn-RequestId"] = event["requestContext"]["requestId"]
        return response

    application = web.Application(client_max_size=MAX_PAYLOAD_BYTES + 1)
    for prefix, directory in (static_dirs or {}).items():
        _serve_folder(application, prefix, directory)
    # Every path reaches `handle`, one holding an encoded newline (%0A) too, which `.` misses.
    application.router.add_route("*", "/{tail:[\\s\\S]*}", handle)
    return application


def answer_parse_errors_in_the_contract():
    """Requests aiohttp cannot even parse (oversized headers, malformed request lines) get the
    contract's JSON error, and their log line names the kind of error only: aiohttp's own
    answer and log quote the offending bytes, which can be an Authorization header's token.

    aiohttp has no hook for these answers, so its request handler's error method is replaced,
    for this process (the local gateway) only.
    """
    from aiohttp import web_protocol

    def handle_error(self, request, status=500, exc=None, message=None):
        if isinstance(exc, LineTooLong):
            status, code, text = 413, "headers_too_large", "The request line or a header is too large."
        elif status == 500:
            code, text = "internal_error", "The local gateway failed; try again."
        else:
            code, text = "bad_request", "The request is not valid HTTP."
        print(f"local gateway refused a request: {type(exc).__name__ if exc else 'error'} ({status})", flush=True)
        response = web.Response(status=status, text=json.dumps({"error": {"code": code, "message": text}}),
                                content_type="application/json")
        response.force_close()
        return response

    web_protocol.RequestHandler.handle_error = handle_error


def _serve_folder(application, prefix, directory):
    """Serve `directory` under `prefix`, its index.html at `prefix/`, never from a cache
    without asking (so an edited file is seen on the next reload)."""
    index = os.path.join(directory, "index.html")

    async def to_index(_request):
        raise web.HTTPFound(prefix + "/")

    async def serve_index(_request):
        return web.FileResponse(index)

    async def no_stale_copies(request, response):
        if request.path == prefix or request.path.startswith(prefix + "/"):
            response.headers["Cache-Control"] = "no-cache"

    application.router.add_get(prefix, to_index)
    application.router.add_get(prefix + "/", serve_index)
    application.router.add_static(prefix, directory, show_index=False)
    application.on_response_prepare.append(no_stale_copies)
