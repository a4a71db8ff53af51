"""The local outbox: every email and mobile push the app sent, at `GET /__devstack/outbox`
on the local gateway (CONTRACT.md, "Running it"), oldest first:

    {"emails": [{"to", "subject", "text"}], "pushes": [{"userId", "deviceId", "platform",
     "title", "body", "data", "badge"}]}

Both are read from moto, where the app sent them, so the outbox shows exactly what reached
the AWS APIs: emails from SES's sent messages; pushes from SNS: moto's server lists its models at
`/moto-api/data.json`, and each SNS platform endpoint there keeps the messages published to
it (deleted endpoints too, so a pruned device's earlier pushes stay listed). The endpoint's
CustomUserData names the user and device (chalicelib/realtime/devices.py). devstack's moto
launcher numbers every publish (devstack/moto_main.py) so pushes to different devices come
out in the order they were sent; against a moto without it they come out endpoint by endpoint.
"""
import json

from aiohttp import ClientSession, ClientTimeout, web

from chalicelib.realtime.sns import read_message

PLATFORMS = {"APNS": "apns", "APNS_SANDBOX": "apns", "GCM": "fcm"}


def outbox_route(aws_endpoint):
    """The aiohttp handler of GET /__devstack/outbox."""

    async def outbox(_request):
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            async with session.get(f"{aws_endpoint}/moto-api/data.json") as answer:
                models = json.loads(await answer.text())
        return web.json_response({"emails": emails(models), "pushes": pushes(models)})

    return outbox


def pushes(models):
    """Every notification published to an SNS platform endpoint, oldest first."""
    found = []
    for position, endpoint in enumerate(models.get("sns", {}).get("PlatformEndpoint", [])):
        platform = PLATFORMS.get(endpoint.get("arn", "").split(":endpoint/", 1)[-1].split("/", 1)[0])
        if platform is None:
            continue
        numbered = {entry["messageId"]: entry for entry in endpoint.get("published", [])}
        for index, (message_id, message) in enumerate(endpoint.get("messages", {}).items()):
            entry = numbered.get(message_id, {})
            owner = _user_data(entry.get("customUserData") or _current_user_data(endpoint))
            try:
                notification = read_message(platform, message)
            except (ValueError, KeyError, TypeError):
                continue  # not one of ours
            # A message without its number is being published at this moment (moto stores it
            # before the numbering wrapper records it), so it is the newest one, not the oldest.
            found.append(((entry.get("n", float("inf")), position, index), {
                "userId": owner.get("userId"), "deviceId": owner.get("deviceId"), "platform": platform,
                "title": notification["title"], "body": notification["body"], "data": notification["data"],
                "badge": notification["badge"],
            }))
    return [push for _, push in sorted(found, key=lambda item: item[0])]


def emails(models):
    """Every email sent through SES SendEmail, one entry per recipient, oldest first."""
    sent = []
    for message in models.get("ses", {}).get("Message", []):
        destinations = message.get("destinations") or {}
        for to in destinations.get("ToAddresses", []):
            sent.append({"to": to, "subject": message.get("subject"), "text": message.get("body")})
    return sent


def _current_user_data(endpoint):
    """SetEndpointAttributes keeps CustomUserData among the attributes; creation apart."""
    return (endpoint.get("attributes") or {}).get("CustomUserData") or endpoint.get("custom_user_data")


def _user_data(raw):
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
