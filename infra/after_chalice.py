"""What Chalice does not set, in one place for both ways of deploying.

1. API Gateway's own answers (an unknown route is 403 "Missing Authentication Token" by
   default) get the contract's status and `{"error": {code, message}}` body.
2. The SQS event source reports partial batch failures (ReportBatchItemFailures), so the
   fan-out consumer's `{"batchItemFailures": [{"itemIdentifier": <messageId>}]}` retries
   only the records it names instead of the whole batch; and it invokes at most
   SQS_MAXIMUM_CONCURRENCY consumers at once (ScalingConfig), so a backlog cannot open more
   MongoDB connections than the capacity model allows (docs/benchmarks.md).

`chalice deploy` path: `apply_after_deploy` calls the APIs after every deploy (Chalice
re-imports the REST API on each deploy, which drops gateway responses).
`chalice package` path: `finish_template` writes the same into the SAM template.
"""
import json

from infra.stage import PENDING_WEBSOCKET_API, deployed_resource, deployed_resources

API_GATEWAY_STAGE = "api"
PARTIAL_BATCH = "ReportBatchItemFailures"
# Concurrent fan-out consumers (2 to 1000); the fanout function's reserved_concurrency in
# .chalice/config.json must be at least this (tests/deploy/test_capacity.py).
SQS_MAXIMUM_CONCURRENCY = 10


def _body(code, message_expression):
    # message_expression is VTL: a quoted literal, or $context.error.messageString, which
    # API Gateway expands to a quoted JSON string.
    return '{"error": {"code": "%s", "message": %s}}' % (code, message_expression)


# responseType -> (status or None to keep API Gateway's, body, extra headers)
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", _body("not_found", json.dumps("There is no such route.")), {}),
    "THROTTLED": ("429", _body("rate_limited", json.dumps("Too many requests. Try again shortly.")),
                  {"Retry-After": "1"}),
    "REQUEST_TOO_LARGE": ("413", _body("too_large", json.dumps("The request is too large.")), {}),
    "DEFAULT_4XX": (None, _body("request_rejected", "$context.error.messageString"), {}),
    "DEFAULT_5XX": (None, _body("service_unavailable",
                                json.dumps("The service could not answer. Try again shortly.")), {}),
}


def apply_after_deploy(apigateway, lambda_client, deployed, log=print):
    """Apply both settings to what `chalice deploy` recorded in `deployed`."""
    rest_api = deployed_resource(deployed, "rest_api")
    if rest_api:
        apply_gateway_responses(apigateway, rest_api["rest_api_id"])
        log(f"Gateway responses set on REST API {rest_api['rest_api_id']} and redeployed.")
    for uuid in report_batch_item_failures(lambda_client, deployed):
        log(f"SQS event source {uuid} reports partial batch failures, at most "
            f"{SQS_MAXIMUM_CONCURRENCY} consumers at once.")


def apply_gateway_responses(apigateway, rest_api_id, stage_name=API_GATEWAY_STAGE):
    """Put the contract's gateway responses and redeploy the stage so they take effect."""
    for response_type, (status, template, headers) in GATEWAY_RESPONSES.items():
        request = {
            "restApiId": rest_api_id,
            "responseType": response_type,
            "responseTemplates": {"application/json": template},
            "responseParameters": _header_parameters(headers),
        }
        if status:
            request["statusCode"] = status
        apigateway.put_gateway_response(**request)
    apigateway.create_deployment(restApiId=rest_api_id, stageName=stage_name,
                                 description="contract gateway responses")


def report_batch_item_failures(lambda_client, deployed):
    """Turn on ReportBatchItemFailures and the concurrency cap for every SQS event source
    Chalice created; the ids of those changed."""
    changed = []
    for source in deployed_resources(deployed, "sqs_event"):
        uuid = source["event_uuid"]
        mapping = lambda_client.get_event_source_mapping(UUID=uuid)
        scaling = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if PARTIAL_BATCH not in (mapping.get("FunctionResponseTypes") or []) or scaling != SQS_MAXIMUM_CONCURRENCY:
            lambda_client.update_event_source_mapping(
                UUID=uuid, FunctionResponseTypes=[PARTIAL_BATCH],
                ScalingConfig={"MaximumConcurrency": SQS_MAXIMUM_CONCURRENCY})
            changed.append(uuid)
    return changed


def finish_template(template, stage):
    """The `chalice package` SAM template, finished for CloudFormation (changed in place).

    Besides the two settings above: each role gets the name `chalice deploy` would give it
    (secure-messaging-<stage>-<function>), which the KMS key policy expects, and the
    WebSocket API's id, unknown when the files were rendered, becomes a reference to the
    API in the same template (policies and WS_CALLBACK_URL)."""
    resources = template.get("Resources", {})
    rest_api = resources.get("RestAPI")
    if rest_api:
        swagger = rest_api["Properties"]["DefinitionBody"]
        swagger["x-amazon-apigateway-gateway-responses"] = {
            response_type: _swagger_response(status, body, headers)
            for response_type, (status, body, headers) in GATEWAY_RESPONSES.items()
        }
    has_websocket_api = "WebsocketAPI" in resources
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::IAM::Role":
            function = logical_id[: -len("Role")] if logical_id.endswith("Role") else logical_id
            resource["Properties"]["RoleName"] = f"secure-messaging-{stage}-{function}"
            if has_websocket_api:
                resource["Properties"]["Policies"] = _refer_to_websocket_api(resource["Properties"]["Policies"])
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event.get("Type") == "SQS":
                event["Properties"]["FunctionResponseTypes"] = [PARTIAL_BATCH]
                event["Properties"]["ScalingConfig"] = {"MaximumConcurrency": SQS_MAXIMUM_CONCURRENCY}
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if has_websocket_api and variables.get("WS_CALLBACK_URL") == "":
            variables["WS_CALLBACK_URL"] = {
                "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
                + API_GATEWAY_STAGE
            }
    return template


def _refer_to_websocket_api(item):
    if isinstance(item, str) and PENDING_WEBSOCKET_API in item:
        return {"Fn::Sub": item.replace(PENDING_WEBSOCKET_API, "${WebsocketAPI}")}
    if isinstance(item, list):
        return [_refer_to_websocket_api(element) for element in item]
    if isinstance(item, dict):
        return {key: _refer_to_websocket_api(value) for key, value in item.items()}
    return item


def _swagger_response(status, body, headers):
    response = {"responseTemplates": {"application/json": body}}
    if status:
        response["statusCode"] = status
    if headers:
        response["responseParameters"] = _header_parameters(headers)
    return response


def _header_parameters(headers):
    return {f"gatewayresponse.header.{name}": f"'{value}'" for name, value in headers.items()}
