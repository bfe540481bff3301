"""Where stakeholder updates go: one module per kind of destination, each with `make(name, options,
secret)`. Modules load when first used, so start-up never pays for the ones a team does not use."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping

from commander.integrations.destinations.base import Destination

# A webhook's URL is its secret, and httpx and httpcore log every request's URL (at INFO and DEBUG). Keep
# them at WARNING whatever logging the application sets up, so no secret reaches a log.
for _chatty in ("httpx", "httpcore"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

MODULES = {
    "slack": "slack",
    "slack-api": "slack_api",
    "teams": "teams",
    "mattermost": "mattermost",
    "discord": "discord",
    "matrix": "matrix",
    "webhook": "webhook",
    "statuspage": "statuspage",
    "cachet": "cachet",
    "instatus": "instatus",
}


def make(kind: str, name: str, options: Mapping[str, str], secret: str) -> Destination:
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    destination: Destination = module.make(name, options, secret)
    return destination
