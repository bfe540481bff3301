"""Microsoft Teams by webhook, in the two forms a team may have.

- Workflows (Power Automate, "When a Teams webhook request is received"): takes only an Adaptive Card, as a
  message with one attachment, and answers 202 Accepted. That says the flow took the request, not that the
  card was posted: a card the flow cannot post fails in the flow's run history. Errors come back as JSON
  `{"error": {"code": "AuthorizationFailed", "message": "..."}}`, 429 with Retry-After when throttled.
- Office 365 connector ("Incoming Webhook", host *.webhook.office.com, being retired by Microsoft): takes a
  MessageCard and answers 200 with the body `1` when it posted. "Connectors do not throw 429s" (Microsoft's
  connectors-using page): a refused post can come back as 200 with a body that says so, e.g. `Webhook
  message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 ...`. At most four
  requests a second per webhook.

Both: "The message size limit is 28 KB", and text fields are a Markdown subset (HTML is not rendered).

Limits:
- The whole request, JSON envelope included: 28 KB ("The message size limit is 28 KB. When the size exceeds
  28 KB, you receive an error."), kept here within 27,000 bytes of UTF-8 JSON; a longer update is cut on a
  grapheme boundary and ends with "(shortened)".
  https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
- Text is Markdown in both forms (headings, lists, links, code, block quotes): every mark is escaped so an
  update shows as the text it is.
  https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-format
- Four requests a second per connector: the connectors-using page above.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from commander.domain.core import graphemes
from commander.domain.core.errors import DomainError
from commander.integrations.destinations.base import Outcome, Update, classify, json_request, pace, quoted, shorten

SIZE_LIMIT = 27_000  # bytes of JSON: Teams documents 28 KB for the whole message, the envelope included
RATE = 0.25  # seconds between messages to one webhook: connectors allow four a second
TITLE_LIMIT = 250  # characters of title, so that a long title can never crowd out the text
SHORTENED = "\n\n(shortened)"
FORMATS = ("adaptive", "messagecard")
THEME = {"SEV1": "D13438", "SEV2": "CA5010", "SEV3": "FFB900", "SEV4": "0078D4"}
RESOLVED_THEME = "107C10"
WORKFLOW_HINTS = {
    400: 'the workflow could not read the card: check that it starts with "When a Teams webhook request is received"',
    401: "the workflow did not accept its URL: copy the URL again from the workflow's trigger",
    403: "the workflow did not accept its URL: copy the URL again from the workflow's trigger",
    404: "the workflow no longer exists or is turned off: turn it on, or make a new one and set its URL",
}
# Marks that format wherever they are (emphasis, code, links, headings, tables, strike-through) and those
# that format only at a line's start (lists, block quotes, setext rules). Addresses stay whole: clickable.
_ADDRESS = re.compile(r"(https?://\S+)")
_INLINE_MARK = re.compile(r"([\\`*_~\[\]#|])")
_LINE_MARK = re.compile(r"^(\s*)([-+=>]|\d+\.(?=\s))", re.MULTILINE)


def markdown_text(text: str) -> str:
    """Plain text as Teams shows it: every Markdown mark escaped so it stays a character (`*all*` is not
    bold, `# 1` no heading, `[x](y)` no disguised link, `- a` no list), and every line break doubled, since a
    card's Markdown joins single lines into one (microsoft/AdaptiveCards#5538)."""
    parts = _ADDRESS.split(text)
    escaped = "".join(part if index % 2 else _INLINE_MARK.sub(r"\\\1", part) for index, part in enumerate(parts))
    escaped = _LINE_MARK.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)
    return escaped.replace("\n", "\n\n")


def adaptive(update: Update, text: str) -> dict[str, object]:
    """The update as an Adaptive Card 1.4 (what Teams renders on every client) in a Workflows message."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": markdown_text(shorten(update.title, TITLE_LIMIT)),
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                        },
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": "Incident", "value": update.reference},
                                {"title": "Severity", "value": update.severity},
                                {"title": "Status", "value": update.status},
                            ],
                        },
                        {"type": "TextBlock", "text": markdown_text(text), "wrap": True},
                    ],
                },
            }
        ],
    }


def message_card(update: Update, text: str) -> dict[str, object]:
    """The update as a legacy MessageCard, for an Office 365 connector."""
    resolved = update.status in ("resolved", "closed")
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": shorten(f"{update.severity} {update.title}", TITLE_LIMIT),
        "themeColor": RESOLVED_THEME if resolved else THEME.get(update.severity, THEME["SEV4"]),
        "title": markdown_text(shorten(update.title, TITLE_LIMIT)),
        "sections": [
            {
                "facts": [
                    {"name": "Incident", "value": update.reference},
                    {"name": "Severity", "value": update.severity},
                    {"name": "Status", "value": update.status},
                ],
                "text": markdown_text(text),
            }
        ],
    }


def body(update: Update, card_format: str) -> tuple[bytes, tuple[int, int] | None]:
    """The request body, its text shortened until the whole JSON is within Teams' size limit; and (characters
    sent, characters) when it was shortened."""
    build = adaptive if card_format == "adaptive" else message_card

    def encoded(text: str) -> bytes:
        return json.dumps(build(update, text), ensure_ascii=False).encode()

    fitted = graphemes.fit(update.text, fits=lambda text: len(encoded(text)) <= SIZE_LIMIT, note=SHORTENED)
    return encoded(fitted.text), fitted.shortened


def default_format(url: str) -> str:
    """A legacy connector's URL is on *.webhook.office.com; anything else is taken to be a workflow."""
    host = urlsplit(url).hostname or ""
    return "messagecard" if host.endswith("webhook.office.com") else "adaptive"


@dataclass
class TeamsWebhook:
    name: str
    url: str
    card_format: str  # "adaptive" (Workflows) or "messagecard" (Office 365 connector)
    kind: str = "teams"
    resumable: bool = False  # neither form has an idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        await pace(f"teams:{self.url}", RATE)
        content, shortened = body(update, self.card_format)
        response = await client.post(self.url, content=content, headers=json_request(None)["headers"])
        outcome = (
            self._connector_outcome(response) if self.card_format == "messagecard" else self._workflow_outcome(response)
        )
        return replace(outcome, shortened=shortened) if outcome.state == "delivered" else outcome

    def _connector_outcome(self, response: httpx.Response) -> Outcome:
        said = quoted(response)
        if response.status_code == 200 and said == "1":
            return Outcome("delivered")
        if response.status_code != 200:
            return classify(response, f"Teams ({self.name})")
        if "HTTP error 429" in said:
            return Outcome("retry", f"Teams ({self.name}) is throttling the webhook: {said[:200]}")
        hint = (
            "the update is too large for Teams: shorten it"
            if "HTTP error 413" in said
            else "check the webhook in the channel's connectors, or move to a Workflows webhook"
        )
        return Outcome(
            "failed", f"Teams ({self.name}) did not post the update ({said[:300] or 'empty answer'}): {hint}."
        )

    def _workflow_outcome(self, response: httpx.Response) -> Outcome:
        outcome = classify(response, f"Teams workflow ({self.name})")
        if not outcome.final or outcome.state == "delivered":
            return outcome
        try:
            error = response.json().get("error") or {}
            code, message = str(error.get("code", "")), str(error.get("message", ""))
        except (ValueError, AttributeError):
            return outcome  # not the workflow's JSON error: the common reading says what it can
        if not code:
            return outcome
        hint = WORKFLOW_HINTS.get(response.status_code, "check the workflow's run history in Power Automate")
        return Outcome(
            "failed",
            f"Teams workflow ({self.name}) refused the update ({response.status_code} {code}: "
            f"{message[:300]}): {hint}.",
        )


def make(name: str, options: Mapping[str, str], secret: str) -> TeamsWebhook:
    card_format = options.get("format", "").strip().lower() or default_format(secret)
    if card_format not in FORMATS:
        raise DomainError(
            f"The Teams destination {name} has format '{card_format}': use adaptive (a Workflows "
            f"webhook) or messagecard (an Office 365 connector)."
        )
    return TeamsWebhook(name, secret, card_format)
