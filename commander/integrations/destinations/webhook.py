"""A generic JSON webhook, signed: `X-Commander-Signature: sha256=<hex HMAC of timestamp.body>`, with
`X-Commander-Timestamp`, so the receiver can check who sent it and refuse replays.

Limits: none; the receiver is the team's own and gets the whole update, as UTF-8 JSON with its charset said."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from commander.integrations.destinations.base import JSON_CONTENT_TYPE, Outcome, Update, classify


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class JsonWebhook:
    name: str
    url: str
    secret: str
    kind: str = "webhook"
    resumable: bool = False  # receivers may dedupe on x-commander-delivery; Commander cannot know

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        body = json.dumps(
            {
                "reference": update.reference,
                "severity": update.severity,
                "status": update.status,
                "title": update.title,
                "text": update.text,
                "delivery": update.delivery,
                "services": list(update.services),
            },
            ensure_ascii=False,
        ).encode()
        stamp = str(int(time.time()))
        response = await client.post(
            self.url,
            content=body,
            headers={
                "content-type": JSON_CONTENT_TYPE,
                "x-commander-timestamp": stamp,
                "x-commander-delivery": update.delivery,
                "x-commander-signature": signature(self.secret, stamp, body),
            },
        )
        return classify(response, f"Webhook {self.name}")


def make(name: str, options: Mapping[str, str], secret: str) -> JsonWebhook:
    return JsonWebhook(name, options["url"], secret)
