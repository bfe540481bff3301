"""The team's update destinations, as events in the `settings:destinations` stream (shared through the
store like everything else). A destination's secret (webhook URL, token) is never in an event: each
console keeps it in its own OS keyring under `secret_name`."""

from __future__ import annotations

from commander.domain.connections import Connection, Family, Kind

STREAM = "settings:destinations"


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("slack", "Slack (incoming webhook)", "the webhook URL"),
    Kind("slack-api", "Slack (Web API, chat.postMessage)", "a bot token (xoxb-…)", ("channel",), ("api_url",)),
    Kind("teams", "Microsoft Teams (Workflows or connector webhook)", "the webhook URL", (), ("format",)),
    Kind("mattermost", "Mattermost (incoming webhook)", "the webhook URL", (), ("channel", "username")),
    Kind("discord", "Discord (webhook)", "the webhook URL", (), ("username",)),
    Kind("matrix", "Matrix (client-server API)", "an access token", ("homeserver", "room")),
    Kind("webhook", "JSON webhook, signed with HMAC-SHA256", "the signing key", ("url",)),
    Kind("statuspage", "Atlassian Statuspage", "an API key", ("page_id",), ("components", "api_url"), True),
    Kind("cachet", "Cachet status page", "an API token", ("url",), ("components",), True),
    Kind("instatus", "Instatus status page", "an API key", ("page_id",), ("components", "api_url"), True),
)}

FAMILY = Family("destination", STREAM, KINDS, "commander destination list")
DestinationConfig = Connection

