"""Where stakeholder updates go: one module per kind of destination, each with `make(name, options,
secret)`. Modules load when first used, so start-up never pays for the ones a team does not use."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from commander.integrations.destinations.base import Destination

MODULES = {
    "slack": "slack", "slack-api": "slack_api", "teams": "teams", "mattermost": "mattermost",
    "discord": "discord", "matrix": "matrix", "webhook": "webhook", "statuspage": "statuspage",
    "cachet": "cachet", "instatus": "instatus",
}


def make(kind: str, name: str, options: Mapping[str, str], secret: str) -> Destination:
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    destination: Destination = module.make(name, options, secret)
    return destination
