"""The local gateway's outbox: every email (and, later, mobile push) the app sent, as
`GET /__devstack/outbox` answers it (CONTRACT.md, "Running it"):

    {"emails": [{"to", "subject", "text"}], "pushes": [{"userId", "deviceId", "platform", ...}]}

oldest first. Nothing is recorded here: each part is read from the moto server the app sent
through (its /moto-api/data.json model dump), so the outbox shows exactly what reached the
AWS APIs. A new kind of outgoing message is one more reader in `PARTS`.
"""
import asyncio
import json
import urllib.request

from aiohttp import web


class Outbox:
    def __init__(self, aws_endpoint):
        self._aws_endpoint = aws_endpoint.rstrip("/")

    async def handle(self, _request):
        models = await asyncio.get_running_loop().run_in_executor(None, self._models)
        return web.json_response({name: read(models) for name, read in PARTS.items()})

    def _models(self):
        with urllib.request.urlopen(f"{self._aws_endpoint}/moto-api/data.json", timeout=10) as answer:
            return json.loads(answer.read())


def emails(models):
    """Every email sent through SES SendEmail, one entry per recipient."""
    sent = []
    for message in models.get("ses", {}).get("Message", []):
        destinations = message.get("destinations") or {}
        for to in destinations.get("ToAddresses", []):
            sent.append({"to": to, "subject": message.get("subject"), "text": message.get("body")})
    return sent


def pushes(models):
    """Mobile pushes (published through SNS); none are sent yet."""
    return []


PARTS = {"emails": emails, "pushes": pushes}
